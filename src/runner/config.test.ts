import { describe, expect, it } from '@jest/globals';
import { parseTargetSpec, readJobEnv, resolveOptions, RUN_OPTIONS } from './config.ts';
import { secrets } from '../util/logger.ts';

const spec = { repository: { url: 'https://github.com/acme/demo.git' }, schedule: '@daily' };

describe('options table', () => {
  it('takes flags, then env, then defaults', () => {
    const o = resolveOptions(RUN_OPTIONS, { provider: 'github' }, { BRANCH_WORK: 'work' });
    expect(o).toMatchObject({
      provider: 'github',
      branchWork: 'work',
      branchMain: 'main',
      modelProvider: 'ollama',
    });
  });

  it('fails fast naming the option', () => {
    expect(() => resolveOptions(RUN_OPTIONS, { strategy: 'yolo' })).toThrow(
      /--strategy: must be one of develop, autonomous/,
    );
    expect(() => resolveOptions(RUN_OPTIONS, {}, { OLLAMA_HOST: 'ftp://x' })).toThrow(
      /--ollama-host \(OLLAMA_HOST\): must be an http/,
    );
  });
});

describe('target spec', () => {
  it('applies CRD defaults', () => {
    const s = parseTargetSpec(spec, 'x');
    expect(s.branches).toEqual({ main: 'main', work: 'develop', strategy: 'develop' });
    expect(s.policy.maxOpenPullRequests).toBe(1);
    expect(s.stateDir).toBe('.opencode');
    expect(s.labels.question).toBe('opencode-question');
  });

  it('names the invalid field', () => {
    expect(() => parseTargetSpec({ ...spec, policy: { maxFilesChanged: 0 } }, 'T')).toThrow(
      /T\.spec\.policy\.maxFilesChanged/,
    );
  });
});

describe('job env', () => {
  const env = {
    OPENCODE_TARGET: JSON.stringify({ namespace: 'ns', name: 't', spec }),
    OPENCODE_RUN: JSON.stringify({
      name: 'r',
      spec: { targetRef: { name: 't' }, trigger: 'manual' },
    }),
    OPENCODE_FORGE_TOKEN: 'ghp_jobenvtoken123456',
  };

  it('reads the contract and registers the token for redaction', () => {
    const c = readJobEnv(env);
    expect(c).toMatchObject({
      target: { namespace: 'ns', name: 't' },
      run: { name: 'r' },
      workspace: '/workspace',
    });
    expect(c.target.spec.model.contextTokens).toBe(8192);
    expect(secrets.redact('x ghp_jobenvtoken123456 y')).toBe('x [REDACTED] y');
  });

  it('fails naming the variable', () => {
    expect(() => readJobEnv({ ...env, OPENCODE_RUN: undefined })).toThrow(
      /OPENCODE_RUN: is required/,
    );
    expect(() => readJobEnv({ ...env, OPENCODE_TARGET: '{' })).toThrow(
      /OPENCODE_TARGET: is not a JSON object/,
    );
    expect(() => readJobEnv({ ...env, OLLAMA_HOST: 'nope' })).toThrow(/OLLAMA_HOST/);
  });
});
