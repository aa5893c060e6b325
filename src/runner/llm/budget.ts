// Conservative prompt-size estimate. We cannot run the model's tokenizer
// here, so we over-count: ~3 characters per token for ASCII (code tokenizes
// denser than prose), one token per non-ASCII character, plus per-message
// chat-template overhead. Over-counting wastes a little context; under-counting
// would let the server truncate the prompt silently.
import { ExternalServiceError } from '../../util/errors.ts';
import type { ChatMessage, GenerateOptions } from './types.ts';

const PER_MESSAGE = 8;
/** Output reserved when the caller sets no maxTokens. */
export const DEFAULT_OUTPUT_TOKENS = 1024;

export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 3) + other;
}

export function estimatePromptTokens(
  messages: ChatMessage[],
  schema?: Record<string, unknown>,
): number {
  let n = 4;
  for (const m of messages) n += PER_MESSAGE + estimateTokens(m.content);
  // Some servers inject the schema into the prompt; count it to be safe.
  if (schema) n += estimateTokens(JSON.stringify(schema));
  return n;
}

/** Output tokens to reserve (and to cap generation at). */
export function outputBudget(options: GenerateOptions): number {
  return options.maxTokens ?? Math.min(DEFAULT_OUTPUT_TOKENS, Math.floor(options.numCtx / 4));
}

/** Throws ContextTooLarge before anything is sent when prompt + reserved output exceed numCtx. */
export function assertFits(
  service: string,
  messages: ChatMessage[],
  options: GenerateOptions,
): number {
  const prompt = estimatePromptTokens(messages, options.schema);
  const output = outputBudget(options);
  if (prompt + output > options.numCtx) {
    throw new ExternalServiceError(
      service,
      'ContextTooLarge',
      `prompt needs about ${prompt} tokens plus ${output} reserved for the answer, ` +
        `but num_ctx is ${options.numCtx}; nothing was sent`,
    );
  }
  return prompt;
}
