// A few error classes that carry their handling policy:
// stalled: needs a human, do not retry; retryable: try again after a delay;
// external: an upstream service failed (forge, LLM, git remote).

/** Stable CamelCase reasons surface in status (failure.reason) and Events. */
export type Reason = string;

export class OperatorError extends Error {
  readonly reason: Reason;
  constructor(reason: Reason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OperatorError';
    this.reason = reason;
  }
}

/** The spec cannot be acted on until a human changes something. */
export class StalledError extends OperatorError {
  constructor(reason: Reason, message: string, options?: { cause?: unknown }) {
    super(reason, message, options);
    this.name = 'StalledError';
  }
}

/** Worth retrying after a delay (conflicts, timeouts, 5xx). */
export class RetryableError extends OperatorError {
  readonly retryAfterMs: number;
  constructor(reason: Reason, message: string, retryAfterMs = 5000, options?: { cause?: unknown }) {
    super(reason, message, options);
    this.name = 'RetryableError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** An external system (forge, LLM, remote) failed; reason names which and how. */
export class ExternalServiceError extends OperatorError {
  readonly service: string;
  readonly status?: number;
  constructor(
    service: string,
    reason: Reason,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(reason, message, options);
    this.name = 'ExternalServiceError';
    this.service = service;
    this.status = options?.status;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
