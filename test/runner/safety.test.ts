// Malformed or hostile model output through the whole workflow: each case
// ends in NoChange (or a documented failure for provider errors) and nothing
// reaches the remote beyond the state files.
import { afterEach, describe, expect, it } from '@jest/globals';
import { runOnce } from '../../src/runner/index.ts';
import {
  capturedLogger,
  git,
  planFor,
  sandbox,
  targetSpec,
  type Sandbox,
  useOllamaDouble,
} from './support.ts';

const double = useOllamaDouble();
let sb: Sandbox;
afterEach(() => sb?.cleanup());

const block = (path: string, search: string, replace: string) =>
  [path, '```', '<<<<<<< SEARCH', search, '=======', replace, '>>>>>>> REPLACE', '```'].join('\n');

const plan = planFor(/^docs:src\/math\.js$/);
const CASES: [string, unknown[], string, Record<string, unknown>?][] = (
  [
    ['plan that is not JSON', ['Sure! I would document add().'], 'MalformedModelOutput'],
    [
      'plan naming an unknown candidate',
      [JSON.stringify({ candidateId: 'nope', title: 'x y z', rationale: 'r r r', files: [] })],
      'MalformedModelOutput',
    ],
    [
      'edit answer without blocks',
      [plan, 'Here is the change: add a comment.'],
      'MalformedModelOutput',
    ],
    [
      'path traversal',
      [plan, block('../outside.js', 'export function add(a, b) {', 'evil()')],
      'EditRejected',
    ],
    [
      'write into .git',
      [plan, block('.git/config', '', '[core]\n\thooksPath = /tmp')],
      'EditRejected',
    ],
    ['protected path', [plan, block('.github/workflows/ci.yml', '', 'on: push')], 'EditRejected'],
    ['state files', [plan, block('.opencode/STATE.md', '', '# mine')], 'EditRejected'],
    [
      'the repository config',
      [plan, block('.opencode/config.yaml', '', 'policy:\n  maxFilesChanged: 1000\n')],
      'EditRejected',
    ],
    ['ambiguous search', [plan, block('src/math.js', '}', '};')], 'EditRejected'],
    [
      'deleted test',
      [
        plan,
        block(
          'test/math.test.js',
          "test('multiply', () => {\n  assert.equal(multiply(2, 3), 6);\n});",
          '',
        ),
      ],
      'EditRejected',
    ],
    [
      'skipped test',
      [plan, block('test/math.test.js', "test('add', () => {", "test.skip('add', () => {")],
      'EditRejected',
    ],
    [
      'oversize diff',
      [
        plan,
        block(
          'src/math.js',
          'export function add(a, b) {',
          Array(30).fill('// pad').join('\n') + '\nexport function add(a, b) {',
        ),
      ],
      'EditRejected',
      { policy: { maxLinesChanged: 10 } },
    ],
  ] as [string, unknown[], string, Record<string, unknown>?][]
)
  // Every row has the same arity: jest hands a shorter row a `done` callback.
  .map(([n, a, r, o]) => [n, a, r, o ?? {}]);

describe('hostile or malformed model output', () => {
  it.each(CASES)('%s -> NoChange, no code change pushed', async (_name, answers, reason, over) => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const before = sb.sha('develop')!;
    const asked = double().requests.length;
    double().script(answers as never);
    const { logger } = capturedLogger();
    const spec = targetSpec(sb.url, { model: { host: double().url }, ...over });
    const { outcome } = await runOnce(
      {
        target: { name: 'demo', spec },
        run: { name: 'r', spec: { targetRef: { name: 'demo' }, trigger: 'schedule' } },
        workspace: sb.workspace,
      },
      { logger },
    );
    expect(outcome).toMatchObject({ phase: 'NoChange', noChangeReason: reason });
    // Every scripted answer was consumed, so no case leaks answers into the next.
    expect(double().requests.length - asked).toBe(answers.length);
    const changed = git(sb.bare, ['diff', '--name-only', before, 'develop']).split('\n');
    expect(changed.filter((f) => f && !f.startsWith('.opencode/'))).toEqual([]);
    expect(sb.log('develop')[0]).toBe('chore: Initialize OpenCode state tracking');
  });
});

describe('model provider errors', () => {
  const run = async (model: Record<string, unknown>) => {
    sb = sandbox();
    const { logger } = capturedLogger();
    const spec = targetSpec(sb.url, { model });
    return (
      await runOnce(
        {
          target: { name: 'demo', spec },
          run: { name: 'r', spec: { targetRef: { name: 'demo' }, trigger: 'schedule' } },
          workspace: sb.workspace,
        },
        { logger },
      )
    ).outcome;
  };

  it('a missing model -> ModelNotFound', async () => {
    const o = await run({ host: double().url, name: 'missing:latest' });
    expect(o).toMatchObject({ phase: 'Failed', failure: { reason: 'ModelNotFound' } });
  });

  it('a server that is down -> LLMUnavailable', async () => {
    const o = await run({ host: 'http://127.0.0.1:9' });
    expect(o).toMatchObject({ phase: 'Failed', failure: { reason: 'LLMUnavailable' } });
  });
});
