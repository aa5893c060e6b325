// Ollama through the official `ollama` package. Structured output goes in
// `format` (a JSON schema); num_ctx is always set so the server never falls
// back to its small default window, and num_predict caps the answer at the
// budget we reserved for it.
import { Ollama } from 'ollama';
import { ExternalServiceError, errorMessage } from '../../../util/errors.ts';
import { assertFits, outputBudget } from '../budget.ts';
import { fetchWithTimeout, isConnectionError } from '../timeout-fetch.ts';
import type { ChatMessage, GenerateOptions, LlmProvider } from '../types.ts';
import type { LlmProviderConfig } from '../config.ts';

const SERVICE = 'ollama';

/** The one place Ollama failures become our reasons. */
export function mapOllamaError(err: unknown, model: string, host: string): ExternalServiceError {
  if (err instanceof ExternalServiceError) return err;
  const status = (err as { status_code?: number }).status_code;
  const msg = errorMessage(err);
  if (status === 404 && /model .*not found/i.test(msg)) {
    return new ExternalServiceError(
      SERVICE,
      'ModelNotFound',
      `model "${model}" is not available on ${host}: ${msg}`,
      {
        cause: err,
        status,
      },
    );
  }
  if (isConnectionError(err)) {
    return new ExternalServiceError(
      SERVICE,
      'LLMUnavailable',
      `cannot reach Ollama at ${host}: ${msg}`,
      { cause: err },
    );
  }
  return new ExternalServiceError(
    SERVICE,
    'LLMUnavailable',
    `Ollama at ${host} failed${status ? ` (HTTP ${status})` : ''}: ${msg}`,
    { cause: err, status },
  );
}

export function createOllamaProvider(cfg: LlmProviderConfig): LlmProvider {
  const client = new Ollama({
    host: cfg.host,
    fetch: fetchWithTimeout(cfg.timeoutMs ?? 300_000),
    headers: cfg.apiKey ? { Authorization: `Bearer ${cfg.apiKey}` } : undefined,
  });
  const log = cfg.logger.child({ llm: SERVICE, model: cfg.model });
  return {
    name: 'ollama',
    model: cfg.model,
    async chat(messages: ChatMessage[], options: GenerateOptions): Promise<string> {
      const promptTokens = assertFits(SERVICE, messages, options);
      const started = Date.now();
      try {
        const res = await client.chat({
          model: cfg.model,
          messages,
          stream: false,
          format: options.schema,
          options: {
            temperature: options.temperature,
            seed: options.seed,
            num_ctx: options.numCtx,
            num_predict: outputBudget(options),
          },
        });
        log.info(
          {
            promptTokens,
            promptEvalCount: res.prompt_eval_count,
            evalCount: res.eval_count,
            doneReason: res.done_reason,
            ms: Date.now() - started,
          },
          'llm chat done',
        );
        if (res.done_reason === 'length')
          log.warn({ numPredict: outputBudget(options) }, 'llm answer hit the output cap');
        return res.message.content;
      } catch (err) {
        throw mapOllamaError(err, cfg.model, cfg.host);
      }
    },
  };
}
