import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLlmProvider } from '../../src/runner/llm/index.ts';
import { ExternalServiceError } from '../../src/util/errors.ts';
import { startOllamaDouble, type OllamaDouble } from '../doubles/ollama/server.ts';
import { startOpenAiDouble, type OpenAiDouble } from './openai-double.ts';
import { captureLogger } from './support.ts';

const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
const msgs = [
  { role: 'system' as const, content: 'You answer in JSON.' },
  { role: 'user' as const, content: 'Say hi.' },
];

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ExternalServiceError);
    return (err as ExternalServiceError).reason;
  }
  throw new Error('expected a failure');
}

describe('ollama provider against the Ollama double', () => {
  let ollama: OllamaDouble;
  const { logger } = captureLogger();
  beforeAll(async () => {
    ollama = await startOllamaDouble({ models: ['codellama:7b-code'] });
  });
  afterAll(async () => ollama.close());

  it('sends structured output with format, temperature, seed, num_ctx and num_predict', async () => {
    ollama.script(['{"a":"hi"}']);
    const llm = createLlmProvider({
      provider: 'ollama',
      host: ollama.url,
      model: 'codellama:7b-code',
      logger,
    });
    const out = await llm.chat(msgs, {
      schema,
      temperature: 0,
      seed: 7,
      numCtx: 4096,
      maxTokens: 256,
    });
    expect(out).toBe('{"a":"hi"}');
    const req = ollama.requests.at(-1)!;
    expect(req).toMatchObject({
      model: 'codellama:7b-code',
      stream: false,
      format: schema,
      options: { temperature: 0, seed: 7, num_ctx: 4096, num_predict: 256 },
    });
    expect(req.messages).toEqual(msgs);
  });

  it('streams NDJSON when stream is not false, as Ollama does by default', async () => {
    ollama.script(['a fairly long answer that spans several chunks']);
    const res = await fetch(`${ollama.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'codellama:7b-code', messages: msgs }),
    });
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.at(-1).done).toBe(true);
    expect(lines.map((l) => l.message.content).join('')).toBe(
      'a fairly long answer that spans several chunks',
    );
  });

  it('maps an unknown model to ModelNotFound', async () => {
    const llm = createLlmProvider({
      provider: 'ollama',
      host: ollama.url,
      model: 'nope:1b',
      logger,
    });
    expect(await reasonOf(llm.chat(msgs, { temperature: 0, seed: 1, numCtx: 2048 }))).toBe(
      'ModelNotFound',
    );
  });

  it('maps a 5xx to LLMUnavailable', async () => {
    ollama.failNext(500, { error: 'model requires more system memory (8 GiB) than is available' });
    const llm = createLlmProvider({
      provider: 'ollama',
      host: ollama.url,
      model: 'codellama:7b-code',
      logger,
    });
    expect(await reasonOf(llm.chat(msgs, { temperature: 0, seed: 1, numCtx: 2048 }))).toBe(
      'LLMUnavailable',
    );
  });

  it('refuses a prompt that does not fit before anything reaches the server', async () => {
    const before = ollama.requests.length;
    const llm = createLlmProvider({
      provider: 'ollama',
      host: ollama.url,
      model: 'codellama:7b-code',
      logger,
    });
    const big = [{ role: 'user' as const, content: 'x'.repeat(3 * 4000) }];
    expect(
      await reasonOf(llm.chat(big, { temperature: 0, seed: 1, numCtx: 4096, maxTokens: 512 })),
    ).toBe('ContextTooLarge');
    expect(ollama.requests.length).toBe(before);
  });

  it('maps a closed server and a timeout to LLMUnavailable', async () => {
    const gone = await startOllamaDouble();
    const url = gone.url;
    await gone.close();
    const llm = createLlmProvider({
      provider: 'ollama',
      host: url,
      model: 'codellama:7b-code',
      logger,
    });
    expect(await reasonOf(llm.chat(msgs, { temperature: 0, seed: 1, numCtx: 2048 }))).toBe(
      'LLMUnavailable',
    );

    // A server that accepts but never answers: hold the request open.
    const { createServer } = await import('node:http');
    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const port = (hang.address() as { port: number }).port;
    const timed = createLlmProvider({
      provider: 'ollama',
      host: `http://127.0.0.1:${port}`,
      model: 'm',
      logger,
      timeoutMs: 300,
    });
    expect(await reasonOf(timed.chat(msgs, { temperature: 0, seed: 1, numCtx: 2048 }))).toBe(
      'LLMUnavailable',
    );
    hang.closeAllConnections();
    await new Promise((r) => hang.close(r));
  });

  it('answers /api/tags, /api/show and /api/version like Ollama', async () => {
    const tags: any = await (await fetch(`${ollama.url}/api/tags`)).json();
    expect(tags.models.map((m: any) => m.name)).toEqual(['codellama:7b-code']);
    const show = await fetch(`${ollama.url}/api/show`, {
      method: 'POST',
      body: JSON.stringify({ model: 'missing' }),
    });
    expect(show.status).toBe(404);
    expect(await show.json()).toEqual({ error: 'model "missing" not found, try pulling it first' });
    expect(((await (await fetch(`${ollama.url}/api/version`)).json()) as any).version).toMatch(
      /^\d+\.\d+\.\d+$/,
    );
  });
});

describe('OpenAI-compatible provider', () => {
  let api: OpenAiDouble;
  const key = 'sk-test-0123456789abcdef';
  const { logger, lines } = captureLogger();
  beforeAll(async () => {
    api = await startOpenAiDouble({ models: ['gpt-4o-mini'], apiKey: key });
  });
  afterAll(async () => api.close());

  it('sends response_format json_schema, temperature, seed, max_tokens and a Bearer key', async () => {
    api.script(['{"a":"hi"}']);
    const llm = createLlmProvider({
      provider: 'openai',
      host: api.url,
      model: 'gpt-4o-mini',
      apiKey: key,
      logger,
    });
    expect(
      await llm.chat(msgs, { schema, temperature: 0.2, seed: 3, numCtx: 8192, maxTokens: 300 }),
    ).toBe('{"a":"hi"}');
    const { headers, body } = api.requests.at(-1)!;
    expect(headers.authorization).toBe(`Bearer ${key}`);
    expect(body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.2,
      seed: 3,
      max_tokens: 300,
      response_format: { type: 'json_schema', json_schema: { schema, strict: true } },
    });
  });

  it('maps model_not_found, bad keys, 5xx and server-side context errors', async () => {
    const wrong = createLlmProvider({
      provider: 'openai',
      host: `${api.url}/v1`,
      model: 'gpt-9',
      apiKey: key,
      logger,
    });
    expect(await reasonOf(wrong.chat(msgs, { temperature: 0, seed: 1, numCtx: 4096 }))).toBe(
      'ModelNotFound',
    );
    const badKey = createLlmProvider({
      provider: 'openai',
      host: api.url,
      model: 'gpt-4o-mini',
      apiKey: 'sk-wrong-key-000000',
      logger,
    });
    expect(await reasonOf(badKey.chat(msgs, { temperature: 0, seed: 1, numCtx: 4096 }))).toBe(
      'LLMUnavailable',
    );
    api.failNext(503, { error: { message: 'overloaded', type: 'server_error', code: null } });
    const llm = createLlmProvider({
      provider: 'openai',
      host: api.url,
      model: 'gpt-4o-mini',
      apiKey: key,
      logger,
    });
    expect(await reasonOf(llm.chat(msgs, { temperature: 0, seed: 1, numCtx: 4096 }))).toBe(
      'LLMUnavailable',
    );
    api.failNext(400, {
      error: {
        message: 'too long',
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
      },
    });
    expect(await reasonOf(llm.chat(msgs, { temperature: 0, seed: 1, numCtx: 4096 }))).toBe(
      'ContextTooLarge',
    );
  });

  it('never logs the API key', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(key);
  });
});
