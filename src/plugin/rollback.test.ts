import { expect, test } from '@jest/globals';
import { PluginError } from './errors.ts';
import { newRollbackId, rollbackSpec } from './rollback.ts';

const now = new Date('2026-11-21T08:00:00.123Z');

test('each mode sets exactly one field and nulls the others (merge patch semantics)', () => {
  expect(rollbackSpec({ commit: '4f2a9c1' }, now)).toMatchObject({
    commit: '4f2a9c1',
    run: null,
    resetWorkBranch: null,
  });
  expect(rollbackSpec({ run: 'api-29384756' }, now)).toMatchObject({
    commit: null,
    run: 'api-29384756',
    resetWorkBranch: null,
  });
  expect(rollbackSpec({ reset: true }, now)).toMatchObject({
    commit: null,
    run: null,
    resetWorkBranch: true,
  });
});

test('zero or several modes are refused, naming what was given', () => {
  expect(() => rollbackSpec({}, now)).toThrow(/exactly one of .*; got none$/);
  expect(() => rollbackSpec({ commit: 'abcdef1', reset: true }, now)).toThrow(
    /got --commit and --reset$/,
  );
  expect(() => rollbackSpec({ commit: 'abcdef1', run: 'r' }, now)).toThrow(PluginError);
});

test('a commit that is not a sha is refused before anything is sent', () => {
  expect(() => rollbackSpec({ commit: 'HEAD~1' }, now)).toThrow(/not a commit sha/);
});

test('ids sort by time and differ within the same second', () => {
  expect(newRollbackId(now, 'a1b2c3')).toBe('20261121T080000Z-a1b2c3');
  const ids = new Set(Array.from({ length: 50 }, () => rollbackSpec({ reset: true }, now).id));
  expect(ids.size).toBe(50);
});
