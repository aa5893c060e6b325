// One place that turns API and transport failures into the short, kubectl-like
// messages the plugin prints. Users see these, never a stack trace.
import { ApiException } from '@kubernetes/client-node';
import { GROUP } from '../crds/index.ts';

/** A failure with a message meant for the user; the plugin exits with `exitCode`. */
export class PluginError extends Error {
  readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options);
    this.name = 'PluginError';
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** What the failed call was about, so the message can name it. */
export interface Subject {
  kind: 'improvementtarget' | 'improvementrun';
  name?: string;
  namespace: string;
  server: string;
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { name?: string; kind?: string };
}

function statusBody(body: unknown): StatusBody {
  if (body && typeof body === 'object') return body as StatusBody;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  return {};
}

/** Errors from fetch itself (refused, DNS, TLS, timeout) rather than from the API server. */
function transportCause(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err.name !== 'TypeError' && err.name !== 'AbortError' && !('code' in err)) return undefined;
  let c: unknown = err.cause ?? err;
  const parts: string[] = [];
  for (let i = 0; c instanceof Error && i < 4; i++) {
    const code = (c as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? code : c.message);
    c = c.cause;
  }
  return parts.filter(Boolean).at(-1) ?? err.message;
}

export function toPluginError(err: unknown, s: Subject): PluginError {
  if (err instanceof PluginError) return err;
  if (err instanceof ApiException) {
    const body = statusBody(err.body);
    const message = body.message ?? `HTTP ${err.code}`;
    switch (err.code) {
      case 404:
        // A missing object names itself in details; a missing resource type does not.
        if (s.name && body.details?.name === s.name)
          return new PluginError(`${s.kind} "${s.name}" not found in namespace "${s.namespace}"`, {
            cause: err,
          });
        return new PluginError(
          `the server at ${s.server} does not serve ${s.kind}s.${GROUP}: are the opencode-operator CRDs installed? (kubectl apply -f config/crd)`,
          { cause: err },
        );
      case 401:
        return new PluginError(`unauthorized: the credentials for ${s.server} were refused`, {
          cause: err,
        });
      case 403:
        return new PluginError(`forbidden: ${message}`, { cause: err });
      case 409:
        return new PluginError(`conflict: ${message}`, { cause: err });
      case 422:
        return new PluginError(`invalid: ${message}`, { cause: err });
      default:
        return new PluginError(`error from server (${body.reason ?? err.code}): ${message}`, {
          cause: err,
        });
    }
  }
  const cause = transportCause(err);
  if (cause)
    return new PluginError(`no cluster reachable at ${s.server}: ${cause}`, { cause: err });
  return new PluginError(err instanceof Error ? err.message : String(err), { cause: err });
}
