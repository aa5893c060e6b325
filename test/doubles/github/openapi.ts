// Validates what the GitHub double receives and serves against GitHub's
// official OpenAPI 3.0 description (@octokit/openapi). Loaded once per
// process; `nullable` (OpenAPI 3.0) is rewritten into JSON Schema before Ajv
// sees it, and every $ref resolves inside one schema document.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Json;
}
interface Operation {
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: Json }> }>;
}

const DOC_ID = 'github';

/** OpenAPI 3.0 nullable → JSON Schema; applied to every sub-schema. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = toJsonSchema(v);
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string' && !out.enum) return { ...out, type: [out.type, 'null'] };
    return { anyOf: [{ type: 'null' }, out] };
  }
  delete out.nullable;
  return out;
}

function collectFormats(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) node.forEach((n) => collectFormats(n, into));
  else if (node && typeof node === 'object') {
    const rec = node as Json;
    if (typeof rec.format === 'string') into.add(rec.format);
    Object.values(rec).forEach((v) => collectFormats(v, into));
  }
}

const pointer = (...parts: string[]) =>
  '#/' + parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export class GitHubOpenApi {
  private readonly doc: { paths: Record<string, Record<string, Operation>>; components: Json };
  private readonly ajv: Ajv;
  private readonly coercing: Ajv;
  private readonly cache = new Map<string, ValidateFunction | null>();

  constructor() {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    const raw = JSON.parse(readFileSync(file, 'utf8')) as typeof this.doc;
    this.doc = raw;
    const components = toJsonSchema(raw.components) as Json;
    const formats = new Set<string>();
    collectFormats(raw, formats);
    const make = (coerceTypes: boolean) => {
      const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, validateSchema: false });
      addFormats.default(ajv);
      // GitHub uses formats beyond JSON Schema's (repo.nwo, ssh-key…): accept them.
      for (const f of formats) if (!ajv.formats[f]) ajv.addFormat(f, true);
      ajv.addSchema({ $id: DOC_ID, components }, DOC_ID);
      return ajv;
    };
    this.ajv = make(false);
    this.coercing = make(true);
  }

  operation(method: string, template: string): Operation {
    const op = this.doc.paths[template]?.[method.toLowerCase()];
    if (!op) throw new Error(`no operation ${method} ${template} in GitHub's OpenAPI description`);
    return op;
  }

  private deref<T>(node: T | { $ref: string }): T {
    let cur: unknown = node;
    while (cur && typeof cur === 'object' && '$ref' in cur) {
      const path = String((cur as { $ref: string }).$ref)
        .replace(/^#\//, '')
        .split('/');
      cur = path.reduce<unknown>((acc, key) => (acc as Json)[key], this.doc);
    }
    return cur as T;
  }

  private compile(key: string, schema: Json, coerce = false): ValidateFunction {
    let fn = this.cache.get(key);
    if (!fn) {
      // Refs inside operation schemas point at the document root: re-anchor them.
      const anchored = JSON.parse(
        JSON.stringify(toJsonSchema(schema)).replace(/"\$ref":"#\//g, `"$ref":"${DOC_ID}#/`),
      ) as Json;
      fn = (coerce ? this.coercing : this.ajv).compile(anchored);
      this.cache.set(key, fn);
    }
    return fn;
  }

  /** Violations of a body against a named component schema (for errors GitHub documents globally). */
  validateComponent(name: string, body: unknown): string[] {
    const validate = this.compile(`component ${name}`, { $ref: `#/components/schemas/${name}` });
    return validate(body) ? [] : describe(`component ${name}`, validate);
  }

  /**
   * A minimal instance of a component schema: every required property, filled
   * from the description's own examples where it has them. Builders in
   * fixtures.ts then set the fields that carry the double's state.
   */
  sample(name: string): unknown {
    return this.sampleOf({ $ref: `#/components/schemas/${name}` }, 0);
  }

  private sampleOf(node: unknown, depth: number): unknown {
    const s = this.deref(node as Json) as Json;
    if (depth > 12) return null;
    if (s.nullable === true) return null;
    if (Array.isArray(s.allOf))
      return Object.assign({}, ...s.allOf.map((x) => this.sampleOf(x, depth + 1) as object));
    const alt = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
    if (alt?.length) return this.sampleOf(alt[0], depth + 1);
    const type = s.type;
    if (Array.isArray(s.enum) && s.enum.length) return s.enum.find((v) => v !== null) ?? null;
    if (type === 'object' || (!type && s.properties)) {
      const props = (s.properties ?? {}) as Json;
      const out: Json = {};
      for (const key of (s.required ?? []) as string[])
        out[key] = props[key] ? this.sampleOf(props[key], depth + 1) : null;
      return out;
    }
    if (type === 'array') return [];
    if (type === 'integer' || type === 'number')
      return typeof s.example === 'number' ? s.example : 1;
    if (type === 'boolean') return typeof s.example === 'boolean' ? s.example : false;
    if (type === 'string') {
      if (s.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (s.format === 'uri')
        return typeof s.example === 'string' ? s.example : 'https://github.test/x';
      if (s.format === 'email') return 'octocat@github.test';
      return typeof s.example === 'string' ? s.example : 'x';
    }
    return null;
  }

  /** Violations of path params, query and JSON body for one request. */
  validateRequest(
    method: string,
    template: string,
    req: { path: Record<string, string>; query: Record<string, string>; body: unknown },
  ): string[] {
    const op = this.operation(method, template);
    const params = (op.parameters ?? []).map((p) => this.deref<Parameter>(p));
    const problems: string[] = [];
    for (const where of ['path', 'query'] as const) {
      const declared = params.filter((p) => p.in === where);
      const schema: Json = {
        type: 'object',
        properties: Object.fromEntries(declared.map((p) => [p.name, p.schema ?? {}])),
        required: declared.filter((p) => p.required).map((p) => p.name),
        additionalProperties: false,
      };
      const validate = this.compile(`${method} ${template} ${where}`, schema, true);
      const values = { ...req[where] };
      if (!validate(values)) problems.push(...describe(`${where}`, validate));
    }
    const body = op.requestBody?.content?.['application/json']?.schema;
    if (body) {
      if (req.body === undefined) {
        if (op.requestBody?.required) problems.push('body: required JSON body missing');
      } else {
        const validate = this.compile(`${method} ${template} body`, body);
        if (!validate(req.body)) problems.push(...describe('body', validate));
      }
    } else if (req.body !== undefined) {
      problems.push('body: operation takes no JSON body');
    }
    return problems.map((p) => `${method} ${template} request ${p}`);
  }

  /** Violations of a response: the status must be documented, the body must match. */
  validateResponse(method: string, template: string, status: number, body: unknown): string[] {
    const op = this.operation(method, template);
    const response = op.responses[String(status)];
    const where = `${method} ${template} response ${status}`;
    if (!response) return [`${where}: status not documented`];
    const resolved = this.deref(response);
    const schema = resolved.content?.['application/json']?.schema;
    if (!schema) return body === undefined ? [] : [`${where}: documented without a JSON body`];
    const validate = this.compile(
      `${where} ${pointer('paths', template, method, 'responses', String(status))}`,
      schema,
    );
    return validate(body) ? [] : describe(where, validate);
  }
}

function describe(where: string, validate: ValidateFunction): string[] {
  return (validate.errors ?? [])
    .slice(0, 10)
    .map(
      (e) =>
        `${where}: ${e.instancePath || '/'} ${e.message ?? 'invalid'} ${JSON.stringify(e.params)}`,
    );
}

let shared: GitHubOpenApi | undefined;
/** One parsed description per process (13 MB of JSON). */
export function githubOpenApi(): GitHubOpenApi {
  shared ??= new GitHubOpenApi();
  return shared;
}
