// A minimal OpenAI-compatible /v1/chat/completions server on 127.0.0.1, shaped
// like the published API: chat.completion objects, {error:{message,type,code}}.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OpenAiDouble {
  url: string;
  requests: Array<{ headers: Record<string, string | string[] | undefined>; body: any }>;
  script(answers: string[]): void;
  failNext(status: number, body: unknown): void;
  close(): Promise<void>;
}

export async function startOpenAiDouble(
  opts: { models?: string[]; apiKey?: string } = {},
): Promise<OpenAiDouble> {
  const models = opts.models ?? ['gpt-4o-mini'];
  const answers: string[] = [];
  const failures: Array<{ status: number; body: unknown }> = [];
  const requests: OpenAiDouble['requests'] = [];
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return send(res, 404, {
        error: { message: 'Not found', type: 'invalid_request_error', code: null },
      });
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    requests.push({ headers: req.headers, body });
    const failure = failures.shift();
    if (failure) return send(res, failure.status, failure.body);
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return send(res, 401, {
        error: {
          message: 'Incorrect API key provided.',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      });
    }
    if (!models.includes(body.model)) {
      return send(res, 404, {
        error: {
          message: `The model \`${body.model}\` does not exist or you do not have access to it.`,
          type: 'invalid_request_error',
          code: 'model_not_found',
        },
      });
    }
    const content = answers.shift();
    if (content === undefined)
      return send(res, 500, {
        error: { message: 'no scripted answer', type: 'server_error', code: null },
      });
    send(res, 200, {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (a) => void answers.push(...a),
    failNext: (status, body) => void failures.push({ status, body }),
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
