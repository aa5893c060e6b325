import { describe, expect, it } from '@jest/globals';
import { commitMessage, commitScope, pullRequestBody, slugify } from './messages.ts';
import type { Proposal } from '../types.ts';

const proposal: Proposal = {
  candidate: {
    id: 'issue:7',
    type: 'bugfix',
    priority: 'P0',
    title: 't',
    detail: 'd',
    files: [],
    issue: 7,
  },
  type: 'bugfix',
  priority: 'P0',
  title: 'Handle empty input in parse.',
  rationale: 'parse() crashed on "".',
  blocks: [],
};

describe('messages', () => {
  it('writes conventional commits with a scope from the files', () => {
    expect(commitScope(['src/parser/a.ts', 'src/parser/b.ts'])).toBe('parser');
    expect(commitScope(['src/math.js'])).toBe('math');
    expect(commitScope(['a.ts', 'lib/b.ts'])).toBe('repo');
    expect(commitMessage(proposal, ['src/parse.ts'])).toBe(
      'fix(parse): Handle empty input in parse\n\nparse() crashed on "".\n\nRefs #7',
    );
  });

  it('slugs branch names', () => {
    expect(slugify('Fix: the  Parser!! (again)')).toBe('fix-the-parser-again');
    expect(slugify('***')).toBe('improvement');
  });

  it('says what changed, why, and the test result in the PR body', () => {
    const body = pullRequestBody({
      proposal,
      files: ['src/parse.ts'],
      linesChanged: 4,
      tests: {
        command: 'npm test',
        passed: true,
        timedOut: false,
        exitCode: 0,
        durationSeconds: 3.2,
        outputTail: '',
        coverage: 71,
      },
      coverageBefore: 70,
      commit: 'abcdef1234567890',
      runName: 'r-1',
    });
    expect(body).toContain(
      '## What changed\nHandle empty input in parse. (bugfix, P0), commit abcdef123456.',
    );
    expect(body).toContain('## Why\nparse() crashed on "".');
    expect(body).toContain('Closes #7');
    expect(body).toContain('## Test result\n`npm test` passed in 3.2s. Coverage: 70% → 71%.');
  });
});
