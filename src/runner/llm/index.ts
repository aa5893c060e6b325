// Picks the LLM provider from a registry map, as the forges do.
import { StalledError } from '../../util/errors.ts';
import { secrets } from '../../util/logger.ts';
import type { LlmProviderConfig, LlmProviderName } from './config.ts';
import { createOllamaProvider } from './ollama/index.ts';
import { createOpenAiProvider } from './openai/index.ts';
import type { LlmProvider } from './types.ts';

export type { LlmProviderConfig, LlmProviderName } from './config.ts';
export type { ChatMessage, GenerateOptions, LlmProvider } from './types.ts';
export { assertFits, estimatePromptTokens, estimateTokens, outputBudget } from './budget.ts';
export { mapOllamaError } from './ollama/index.ts';
export { mapOpenAiError } from './openai/index.ts';

const PROVIDERS: Record<LlmProviderName, (cfg: LlmProviderConfig) => LlmProvider> = {
  ollama: createOllamaProvider,
  openai: createOpenAiProvider,
};

export function createLlmProvider(cfg: LlmProviderConfig): LlmProvider {
  const make = PROVIDERS[cfg.provider];
  if (!make)
    throw new StalledError(
      'InvalidConfiguration',
      `unknown LLM provider "${String(cfg.provider)}" (expected ${Object.keys(PROVIDERS).join(', ')})`,
    );
  // Registered before any request so no log line can carry it.
  secrets.add(cfg.apiKey);
  return make(cfg);
}
