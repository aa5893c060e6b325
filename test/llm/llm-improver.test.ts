// The LLM improver end to end: a real git repo, the Ollama double with
// scripted answers, the real applier.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEdits } from '../../src/runner/edits/apply.ts';
import { createLlmImprover } from '../../src/runner/improver/llm-improver.ts';
import { createLlmProvider } from '../../src/runner/llm/index.ts';
import type { Candidate, EditPolicy, Proposal } from '../../src/runner/types.ts';
import { ExternalServiceError } from '../../src/util/errors.ts';
import { startOllamaDouble, type OllamaDouble } from '../doubles/ollama/server.ts';
import { captureLogger, dirtyFiles, git, makeRepo, removeRepo, repoContext } from './support.ts';

const policy: EditPolicy = {
  type: 'bugfix',
  maxFilesChanged: 5,
  maxLinesChanged: 100,
  protectedPaths: ['.github/**'],
};
const candidates: Candidate[] = [
  {
    id: 'issue:3',
    type: 'bugfix',
    priority: 'P0',
    title: 'divide() does not guard against zero',
    detail: 'Calling divide(1, 0) returns Infinity; it should throw.',
    files: ['src/calc.js'],
    issue: 3,
  },
  {
    id: 'docs:readme',
    type: 'documentation',
    priority: 'P3',
    title: 'README has no Testing section',
    detail: '',
    files: ['README.md'],
  },
];
const CALC = 'export function divide(a, b) {\n  return a / b;\n}\n';
const PLAN = {
  candidateId: 'issue:3',
  title: 'fix: throw on division by zero',
  rationale: 'Issue #3: divide(1, 0) must throw instead of returning Infinity.',
  files: ['src/calc.js', 'src/calc.test.js'],
};
const EDIT = [
  'src/calc.js',
  '```js',
  '<<<<<<< SEARCH',
  '  return a / b;',
  '=======',
  "  if (b === 0) throw new RangeError('division by zero');",
  '  return a / b;',
  '>>>>>>> REPLACE',
  '```',
  '',
].join('\n');

describe('LLM improver', () => {
  let ollama: OllamaDouble;
  let dir: string;
  const { logger } = captureLogger();
  beforeAll(async () => {
    ollama = await startOllamaDouble({ models: ['codellama:7b-code'] });
  });
  afterAll(async () => ollama.close());
  beforeEach(() => {
    dir = makeRepo({
      'src/calc.js': CALC,
      'src/calc.test.js':
        "import { divide } from './calc.js';\ntest('divides', () => expect(divide(4, 2)).toBe(2));\n",
      'README.md': '# calc\n',
    });
  });
  afterEach(() => removeRepo(dir));

  const improver = (numCtx = 8192) =>
    createLlmImprover(
      createLlmProvider({
        provider: 'ollama',
        host: ollama.url,
        model: 'codellama:7b-code',
        logger,
      }),
      {
        numCtx,
        seed: 1234,
        policy,
        logger,
      },
    );

  it('plans with structured output, writes SEARCH/REPLACE edits, and the applier applies them', async () => {
    ollama.script([JSON.stringify(PLAN), EDIT]);
    const sent = ollama.requests.length;
    const r = await improver().propose(repoContext(dir, { testCommand: 'npm test' }), candidates);
    expect(r.kind).toBe('proposal');
    const proposal = (r as { proposal: Proposal }).proposal;
    expect(proposal).toMatchObject({
      type: 'bugfix',
      priority: 'P0',
      title: PLAN.title,
      rationale: PLAN.rationale,
    });
    expect(proposal.candidate.id).toBe('issue:3');

    const [planReq, editReq] = ollama.requests.slice(sent);
    expect(planReq!.format).toMatchObject({
      type: 'object',
      properties: { candidateId: { type: 'string', enum: ['issue:3', 'docs:readme'] } },
      required: ['candidateId', 'title', 'rationale', 'files'],
    });
    expect(planReq!.options).toMatchObject({ temperature: 0, seed: 1234, num_ctx: 8192 });
    expect(planReq!.messages[0]!.content).toMatch(/P0 critical/);
    expect(planReq!.messages[1]!.content).toContain('divide() does not guard against zero');
    // The code is asked for as plain text: no schema on the edit call, file contents included.
    expect(editReq!.format).toBeUndefined();
    expect(editReq!.options).toMatchObject({ temperature: 0, seed: 1234, num_ctx: 8192 });
    expect(editReq!.messages[1]!.content).toContain(CALC);
    expect(editReq!.messages[0]!.content).toMatch(/Never delete, skip/);

    expect(dirtyFiles(dir)).toBe(''); // propose only validates (dry run)
    const applied = await applyEdits(dir, proposal.blocks, policy);
    expect(applied).toEqual({
      ok: true,
      changedFiles: ['src/calc.js'],
      filesChanged: 1,
      linesChanged: 1,
    });
    expect(readFileSync(join(dir, 'src/calc.js'), 'utf8')).toContain(
      "throw new RangeError('division by zero')",
    );
  });

  it('repair() feeds back the failing test output and returns new blocks for the current tree', async () => {
    ollama.script([JSON.stringify(PLAN), EDIT]);
    const ctx = repoContext(dir);
    const first = await improver().propose(ctx, candidates);
    const proposal = (first as { proposal: Proposal }).proposal;
    await applyEdits(dir, proposal.blocks, policy);
    const fix = [
      'src/calc.js',
      '```js',
      '<<<<<<< SEARCH',
      "  if (b === 0) throw new RangeError('division by zero');",
      '=======',
      "  if (b === 0) throw new TypeError('division by zero');",
      '>>>>>>> REPLACE',
      '```',
    ].join('\n');
    ollama.script([fix]);
    const sent = ollama.requests.length;
    const tail = 'FAIL src/calc.test.js\n  expected TypeError, got RangeError';
    const r = await improver().repair(ctx, proposal, tail);
    expect(r.kind).toBe('proposal');
    const req = ollama.requests[sent]!;
    expect(req.messages[1]!.content).toContain(tail);
    expect(req.messages[1]!.content).toContain('with your previous edits applied');
    expect(req.messages[1]!.content).toContain("throw new RangeError('division by zero')");
    const repaired = (r as { proposal: Proposal }).proposal;
    expect(repaired.title).toBe(PLAN.title);
    expect(await applyEdits(dir, repaired.blocks, policy)).toMatchObject({ ok: true });
    expect(readFileSync(join(dir, 'src/calc.js'), 'utf8')).toContain('TypeError');
  });

  it('repair() after the workflow reverted the edits asks for the complete change again', async () => {
    ollama.script([JSON.stringify(PLAN), EDIT]);
    const ctx = repoContext(dir);
    const proposal = ((await improver().propose(ctx, candidates)) as { proposal: Proposal })
      .proposal;
    ollama.script([
      EDIT.replace("new RangeError('division by zero')", "new TypeError('division by zero')"),
    ]);
    const sent = ollama.requests.length;
    const r = await improver().repair(ctx, proposal, 'FAIL: expected TypeError');
    expect(ollama.requests[sent]!.messages[1]!.content).toContain(
      'Your previous edits were reverted',
    );
    const repaired = (r as { proposal: Proposal }).proposal;
    expect(await applyEdits(dir, repaired.blocks, policy)).toMatchObject({ ok: true });
    expect(readFileSync(join(dir, 'src/calc.js'), 'utf8')).toContain(
      "throw new TypeError('division by zero')",
    );
  });

  it('returns NothingToDo without calling the model when there are no candidates', async () => {
    const sent = ollama.requests.length;
    expect(await improver().propose(repoContext(dir), [])).toMatchObject({
      kind: 'none',
      reason: 'NothingToDo',
    });
    expect(ollama.requests.length).toBe(sent);
  });

  it('throws ContextTooLarge before sending when even the smallest prompt does not fit', async () => {
    const sent = ollama.requests.length;
    await expect(improver(600).propose(repoContext(dir), candidates)).rejects.toMatchObject({
      name: 'ExternalServiceError',
      reason: 'ContextTooLarge',
    });
    expect(ollama.requests.length).toBe(sent);
  });

  it('shrinks the repo map to fit instead of failing', async () => {
    ollama.script([JSON.stringify(PLAN), EDIT]);
    const sent = ollama.requests.length;
    const huge = Array.from({ length: 4000 }, (_, i) => `src/generated/file${i}.js`).join('\n');
    const r = await improver(4096).propose(repoContext(dir, { repoMap: huge }), candidates);
    expect(r.kind).toBe('proposal');
    expect(ollama.requests[sent]!.messages[1]!.content.length).toBeLessThan(huge.length);
  });

  it('surfaces ModelNotFound from the provider', async () => {
    const llm = createLlmProvider({
      provider: 'ollama',
      host: ollama.url,
      model: 'missing:7b',
      logger,
    });
    const err = await createLlmImprover(llm, { numCtx: 8192, policy, logger })
      .propose(repoContext(dir), candidates)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalServiceError);
    expect((err as ExternalServiceError).reason).toBe('ModelNotFound');
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });
});
