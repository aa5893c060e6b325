// Every malformed or hostile answer in test/fixtures/llm-corpus must end as
// NoChange with the expected reason, through the improver (with the Ollama
// double) and through the applier directly, and leave the repo untouched.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { applyEdits } from '../../src/runner/edits/apply.ts';
import { parseEditBlocks } from '../../src/runner/edits/parse.ts';
import { createLlmImprover } from '../../src/runner/improver/llm-improver.ts';
import { createLlmProvider } from '../../src/runner/llm/index.ts';
import type { Candidate, EditPolicy } from '../../src/runner/types.ts';
import { startOllamaDouble, type OllamaDouble } from '../doubles/ollama/server.ts';
import { captureLogger, dirtyFiles, git, makeRepo, removeRepo, repoContext } from './support.ts';

const CORPUS = join(import.meta.dirname, '../fixtures/llm-corpus');

interface Case {
  file: string;
  why: string;
  stage: 'plan' | 'edit';
  reason: string;
  message: RegExp;
  output: string;
}

function loadCorpus(): Case[] {
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(CORPUS, file), 'utf8');
      const split = text.indexOf('\n---\n');
      const head = Object.fromEntries(
        text
          .slice(0, split)
          .split('\n')
          .map((l): [string, string] => [
            l.slice(0, l.indexOf(':')),
            l.slice(l.indexOf(':') + 1).trim(),
          ]),
      );
      return {
        file,
        why: head.why,
        stage: head.stage,
        reason: head.reason,
        message: new RegExp(head.message ?? 'missing message header'),
        output: text.slice(split + 5),
      } as Case;
    });
}

const cases = loadCorpus();
const policy: EditPolicy = {
  type: 'bugfix',
  maxFilesChanged: 3,
  maxLinesChanged: 30,
  protectedPaths: ['.github/workflows/**'],
};
const candidates: Candidate[] = [
  {
    id: 'issue:1',
    type: 'bugfix',
    priority: 'P0',
    title: 'add() is wrong for negatives',
    detail: 'Issue #1',
    files: ['src/math.ts'],
    issue: 1,
  },
  {
    id: 'docs:readme',
    type: 'documentation',
    priority: 'P3',
    title: 'README lacks a Testing section',
    detail: '',
    files: ['README.md'],
  },
];
const PLAN = JSON.stringify({
  candidateId: 'issue:1',
  title: 'fix: add handles negatives',
  rationale: 'Issue #1 reports it.',
  files: ['src/math.ts'],
});

const REPO = {
  'src/math.ts':
    'export function add(a: number, b: number): number {\n  return a + b;\n}\n\nexport function sub(a: number, b: number): number {\n  return a - b;\n}\n',
  'src/math.test.ts':
    "import { add, sub } from './math';\n\ndescribe('math', () => {\n  it('adds', () => {\n    expect(add(1, 2)).toBe(3);\n  });\n\n  it('subtracts', () => {\n    expect(sub(3, 2)).toBe(1);\n  });\n});\n",
  'test_calc.py':
    'from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\ndef test_add_negative():\n    assert add(-1, -2) == -3\n',
  'calc_test.go':
    'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal("bad")\n\t}\n}\n',
  'src/lib.rs':
    'pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() {\n        assert_eq!(super::add(1, 2), 3);\n    }\n}\n',
  'src/test/java/CalcTest.java':
    'class CalcTest {\n    @Test\n    void adds() {\n        assertEquals(3, Calc.add(1, 2));\n    }\n}\n',
  'README.md': '# Calc\n\nA tiny calculator.\n',
  '.github/workflows/ci.yml':
    'name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n',
  'dup.txt': 'value = 1\nother\nvalue = 1\n',
};

describe('hostile and malformed model output corpus', () => {
  let dir: string;
  let ollama: OllamaDouble;
  let head: string;
  const { logger } = captureLogger();

  beforeAll(async () => {
    dir = makeRepo(REPO);
    // A committed symlink that points out of the repository.
    symlinkSync('..', join(dir, 'outside'));
    git(dir, 'add', 'outside');
    git(dir, 'commit', '-q', '-m', 'symlink');
    head = git(dir, 'rev-parse', 'HEAD').trim();
    ollama = await startOllamaDouble({ models: ['codellama:7b-code'] });
  });
  afterAll(async () => {
    await ollama.close();
    removeRepo(dir);
  });

  it('has at least 30 cases covering every stage and reason', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => `${c.stage}/${c.reason}`))).toEqual(
      new Set(['plan/MalformedModelOutput', 'edit/MalformedModelOutput', 'edit/EditRejected']),
    );
  });

  it.each(cases.map((c) => [c.file, c] as const))('%s', async (_file, c) => {
    const llm = createLlmProvider({
      provider: 'ollama',
      host: ollama.url,
      model: 'codellama:7b-code',
      logger,
    });
    const improver = createLlmImprover(llm, { numCtx: 16384, policy, logger });
    ollama.script(c.stage === 'plan' ? [c.output] : [PLAN, c.output]);
    const sent = ollama.requests.length;

    const result = await improver.propose(repoContext(dir), candidates);
    expect(result).toMatchObject({ kind: 'none', reason: c.reason });
    expect(result.kind === 'none' && result.message).toMatch(c.message);
    expect(ollama.requests.length - sent).toBe(c.stage === 'plan' ? 1 : 2);

    // The applier alone, writing for real, must refuse the same answer.
    if (c.stage === 'edit') {
      const parsed = parseEditBlocks(c.output);
      if (parsed.ok) {
        const applied = await applyEdits(dir, parsed.blocks, policy);
        expect(applied).toMatchObject({ ok: false, reason: c.reason });
      } else {
        expect(c.reason).toBe('MalformedModelOutput');
      }
    }
    expect(dirtyFiles(dir)).toBe('');
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(head);
    expect(readFileSync(join(dir, '.git/config'), 'utf8')).not.toContain('fsmonitor');
  });
});
