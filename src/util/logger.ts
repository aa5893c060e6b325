// One structured JSON logger (pino). Secrets are redacted here, at the
// logger, never at call sites: known secret-bearing keys by path, and any
// registered secret value wherever it appears in a message or field.
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

const REDACT_PATHS = [
  'token',
  '*.token',
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'secret',
  '*.secret',
];

/** Values that must never be printed (tokens read from env or Secrets). */
export class SecretRegistry {
  private readonly values = new Set<string>();

  add(value: string | undefined): void {
    // Very short values would redact ordinary words; tokens are long.
    if (value && value.length >= 6) this.values.add(value);
  }

  redact(text: string): string {
    let out = text;
    for (const v of this.values) out = out.split(v).join('[REDACTED]');
    return out;
  }

  get size(): number {
    return this.values.size;
  }

  /** The registered values, for scanning a change for them (never for printing). */
  list(): string[] {
    return [...this.values];
  }
}

/** The process-wide registry: a secret read anywhere is registered once and redacted everywhere. */
export const secrets = new SecretRegistry();

export function createLogger(
  opts: {
    level?: string;
    name?: string;
    destination?: pino.DestinationStream;
    registry?: SecretRegistry;
  } = {},
): Logger {
  const registry = opts.registry ?? secrets;
  const options: LoggerOptions = {
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    name: opts.name,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    hooks: {
      // Scrub registered secret values from every message and argument.
      logMethod(args, method) {
        const scrubbed = args.map((a) =>
          typeof a === 'string'
            ? registry.redact(a)
            : a && typeof a === 'object' && registry.size
              ? scrubObject(a, registry)
              : a,
        );
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

function scrubObject(value: unknown, registry: SecretRegistry, depth = 0): unknown {
  if (depth > 8) return value;
  if (typeof value === 'string') return registry.redact(value);
  if (value instanceof Error) {
    const e = new Error(registry.redact(value.message));
    e.name = value.name;
    e.stack = value.stack ? registry.redact(value.stack) : undefined;
    return e;
  }
  if (Array.isArray(value)) return value.map((v) => scrubObject(v, registry, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubObject(v, registry, depth + 1);
    return out;
  }
  return value;
}
