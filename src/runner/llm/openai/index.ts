// Any OpenAI-compatible /v1/chat/completions endpoint (OpenAI, vLLM,
// llama.cpp server, LiteLLM…) through fetch. Structured output uses
// response_format json_schema; the key travels only in the Authorization header.
import { ExternalServiceError, errorMessage } from '../../../util/errors.ts';
import { assertFits, outputBudget } from '../budget.ts';
import type { LlmProviderConfig } from '../config.ts';
import { fetchWithTimeout, isConnectionError } from '../timeout-fetch.ts';
import type { ChatMessage, GenerateOptions, LlmProvider } from '../types.ts';

const SERVICE = 'openai';

interface ApiError {
  error?: { message?: string; code?: string | null; type?: string } | string;
}

export class OpenAiHttpError extends Error {
  readonly status: number;
  readonly body: ApiError;
  constructor(status: number, body: ApiError) {
    const e = body.error;
    super(typeof e === 'string' ? e : (e?.message ?? `HTTP ${status}`));
    this.name = 'OpenAiHttpError';
    this.status = status;
    this.body = body;
  }
  get code(): string | undefined {
    const e = this.body.error;
    return typeof e === 'object' ? (e.code ?? e.type ?? undefined) : undefined;
  }
}

/** The one place OpenAI-compatible failures become our reasons. */
export function mapOpenAiError(err: unknown, model: string, host: string): ExternalServiceError {
  if (err instanceof ExternalServiceError) return err;
  if (err instanceof OpenAiHttpError) {
    const { status } = err;
    if (err.code === 'model_not_found' || (status === 404 && /model/i.test(err.message))) {
      return new ExternalServiceError(
        SERVICE,
        'ModelNotFound',
        `model "${model}" is not available at ${host}: ${err.message}`,
        {
          cause: err,
          status,
        },
      );
    }
    if (err.code === 'context_length_exceeded') {
      return new ExternalServiceError(
        SERVICE,
        'ContextTooLarge',
        `the server refused the prompt as too long: ${err.message}`,
        {
          cause: err,
          status,
        },
      );
    }
    const what =
      status === 401 || status === 403
        ? 'refused the API key'
        : status === 429
          ? 'is rate limiting'
          : 'failed';
    return new ExternalServiceError(
      SERVICE,
      'LLMUnavailable',
      `${host} ${what} (HTTP ${status}): ${err.message}`,
      {
        cause: err,
        status,
      },
    );
  }
  const reach = isConnectionError(err) ? 'cannot reach' : 'bad answer from';
  return new ExternalServiceError(
    SERVICE,
    'LLMUnavailable',
    `${reach} ${host}: ${errorMessage(err)}`,
    { cause: err },
  );
}

function completionsUrl(host: string): string {
  const base = host.replace(/\/+$/, '');
  return /\/v1$/.test(base) ? `${base}/chat/completions` : `${base}/v1/chat/completions`;
}

export function createOpenAiProvider(cfg: LlmProviderConfig): LlmProvider {
  const doFetch = fetchWithTimeout(cfg.timeoutMs ?? 300_000);
  const url = completionsUrl(cfg.host);
  const log = cfg.logger.child({ llm: SERVICE, model: cfg.model });
  return {
    name: 'openai',
    model: cfg.model,
    async chat(messages: ChatMessage[], options: GenerateOptions): Promise<string> {
      const promptTokens = assertFits(SERVICE, messages, options);
      const body: Record<string, unknown> = {
        model: cfg.model,
        messages,
        temperature: options.temperature,
        seed: options.seed,
        max_tokens: outputBudget(options),
        stream: false,
      };
      if (options.schema) {
        body.response_format = {
          type: 'json_schema',
          json_schema: { name: 'answer', strict: true, schema: options.schema },
        };
      }
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/json',
      };
      if (cfg.apiKey) headers.authorization = `Bearer ${cfg.apiKey}`;
      const started = Date.now();
      try {
        const res = await doFetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
        const text = await res.text();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = { error: text.slice(0, 300) };
        }
        if (!res.ok) throw new OpenAiHttpError(res.status, json as ApiError);
        const choice = (
          json as {
            choices?: Array<{ message?: { content?: string | null }; finish_reason?: string }>;
          }
        ).choices?.[0];
        const content = choice?.message?.content;
        if (typeof content !== 'string')
          throw new Error('the answer has no choices[0].message.content');
        const usage = (json as { usage?: { prompt_tokens?: number; completion_tokens?: number } })
          .usage;
        log.info(
          {
            promptTokens,
            usagePrompt: usage?.prompt_tokens,
            usageCompletion: usage?.completion_tokens,
            finishReason: choice?.finish_reason,
            ms: Date.now() - started,
          },
          'llm chat done',
        );
        return content;
      } catch (err) {
        throw mapOpenAiError(err, cfg.model, cfg.host);
      }
    },
  };
}
