// An Ollama HTTP API double on 127.0.0.1 with scripted answers. It follows
// Ollama's published API (docs/api.md): /api/chat streams NDJSON unless
// `stream: false`, unknown models get 404 {"error":"model \"x\" not found, try
// pulling it first"}, errors are JSON {"error": "..."}.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OllamaChatRequest {
  model: string;
  messages: Array<{ role: string; content: string; images?: string[] }>;
  stream?: boolean;
  format?: string | Record<string, unknown>;
  options?: Record<string, unknown>;
  keep_alive?: string | number;
  think?: boolean | string;
  tools?: unknown[];
}

export type ScriptedAnswer = string | ((req: OllamaChatRequest) => string);

export interface OllamaDouble {
  url: string;
  models: string[];
  /** Answers consumed in order; each is the assistant message content. */
  script(answers: ScriptedAnswer[]): void;
  /** The next /api/chat gets this status and JSON body instead of an answer. */
  failNext(status: number, body: unknown): void;
  requests: OllamaChatRequest[];
  close(): Promise<void>;
}

const VERSION = '0.12.6';

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function notFound(model: string): { error: string } {
  return { error: `model "${model}" not found, try pulling it first` };
}

function details() {
  return {
    parent_model: '',
    format: 'gguf',
    family: 'llama',
    families: ['llama'],
    parameter_size: '7B',
    quantization_level: 'Q4_0',
  };
}

export async function startOllamaDouble(opts: { models?: string[] } = {}): Promise<OllamaDouble> {
  const models = opts.models ?? ['codellama:7b-code'];
  const queue: ScriptedAnswer[] = [];
  const failures: Array<{ status: number; body: unknown }> = [];
  const requests: OllamaChatRequest[] = [];
  const known = (m: string) => models.includes(m) || models.includes(`${m}:latest`);

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => json(res, 500, { error: String(err) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /api/version') return json(res, 200, { version: VERSION });
    if (route === 'GET /' || route === 'HEAD /') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('Ollama is running');
    }
    if (route === 'GET /api/tags') {
      return json(res, 200, {
        models: models.map((name) => ({
          name,
          model: name,
          modified_at: '2026-01-01T00:00:00Z',
          size: 3_825_819_519,
          digest: 'sha256:' + '0'.repeat(64),
          details: details(),
        })),
      });
    }
    if (req.method !== 'POST' || !['/api/chat', '/api/show'].includes(url.pathname)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('404 page not found');
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return json(res, 400, { error: 'invalid character in request body' });
    }
    const model = typeof body.model === 'string' ? body.model : '';
    if (url.pathname === '/api/show') {
      if (!model) return json(res, 400, { error: 'model is required' });
      if (!known(model)) return json(res, 404, notFound(model));
      return json(res, 200, {
        modelfile: `FROM ${model}`,
        parameters: 'stop "<EOT>"',
        template: '{{ .Prompt }}',
        details: details(),
        model_info: { 'general.architecture': 'llama', 'llama.context_length': 16384 },
        capabilities: ['completion'],
        modified_at: '2026-01-01T00:00:00Z',
      });
    }
    const chat = body as unknown as OllamaChatRequest;
    requests.push(chat);
    const failure = failures.shift();
    if (failure) return json(res, failure.status, failure.body);
    if (!model) return json(res, 400, { error: 'model is required' });
    if (!known(model)) return json(res, 404, notFound(model));
    if (!Array.isArray(chat.messages)) return json(res, 400, { error: 'messages is required' });
    const next = queue.shift();
    if (next === undefined)
      return json(res, 500, { error: 'ollama double: no scripted answer left' });
    const content = typeof next === 'function' ? next(chat) : next;
    const stats = {
      total_duration: 1_000_000,
      load_duration: 100_000,
      prompt_eval_count: chat.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0),
      prompt_eval_duration: 200_000,
      eval_count: Math.ceil(content.length / 4),
      eval_duration: 700_000,
    };
    const created_at = new Date().toISOString();
    if (chat.stream === false) {
      return json(res, 200, {
        model,
        created_at,
        message: { role: 'assistant', content },
        done_reason: 'stop',
        done: true,
        ...stats,
      });
    }
    // Ollama streams by default: one JSON object per line, the last with done: true.
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (let i = 0; i < content.length; i += 16) {
      res.write(
        JSON.stringify({
          model,
          created_at,
          message: { role: 'assistant', content: content.slice(i, i + 16) },
          done: false,
        }) + '\n',
      );
    }
    res.end(
      JSON.stringify({
        model,
        created_at,
        message: { role: 'assistant', content: '' },
        done_reason: 'stop',
        done: true,
        ...stats,
      }) + '\n',
    );
  }

  // Idle connections live as long as a real service keeps them: with Node's 5 s default, a
  // request sent on a pooled socket just as the server drops it (a busy event loop in the
  // same process delays both) fails with ECONNRESET, which no real forge would cause.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    models,
    script(answers) {
      queue.push(...answers);
    },
    failNext(status, body) {
      failures.push({ status, body });
    },
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
