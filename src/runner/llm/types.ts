// The contract every LLM provider implements (ollama/, openai/, builtin/).

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateOptions {
  /** JSON schema for structured output (Ollama `format`, OpenAI `response_format`). */
  schema?: Record<string, unknown>;
  temperature: number;
  seed: number;
  /** Context window to request (Ollama num_ctx); prompts that do not fit are refused before sending. */
  numCtx: number;
  /** Upper bound on generated tokens. */
  maxTokens?: number;
}

export interface LlmProvider {
  readonly name: 'ollama' | 'openai' | 'builtin';
  readonly model: string;
  /** Throws ExternalServiceError with reason ModelNotFound, LLMUnavailable or ContextTooLarge. */
  chat(messages: ChatMessage[], options: GenerateOptions): Promise<string>;
}
