import type { Logger } from '../../util/logger.ts';

export type LlmProviderName = 'ollama' | 'openai';

export interface LlmProviderConfig {
  provider: LlmProviderName;
  /** Base URL: Ollama's host, or the OpenAI-compatible API base (with or without /v1). */
  host: string;
  model: string;
  apiKey?: string;
  logger: Logger;
  /** Per-request deadline; default 5 minutes (local models are slow). */
  timeoutMs?: number;
}
