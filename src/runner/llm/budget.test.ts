import { describe, expect, it } from '@jest/globals';
import { ExternalServiceError } from '../../util/errors.ts';
import { assertFits, estimatePromptTokens, estimateTokens, outputBudget } from './budget.ts';

describe('context budget', () => {
  it('over-counts: 3 ASCII characters or 1 non-ASCII character per token', () => {
    expect(estimateTokens('abcdef')).toBe(2);
    expect(estimateTokens('abcdefg')).toBe(3);
    expect(estimateTokens('日本語')).toBe(3);
    expect(estimatePromptTokens([{ role: 'user', content: 'abc' }])).toBe(4 + 8 + 1);
  });

  it('reserves maxTokens, or a quarter of num_ctx capped at 1024', () => {
    expect(outputBudget({ temperature: 0, seed: 1, numCtx: 2048 })).toBe(512);
    expect(outputBudget({ temperature: 0, seed: 1, numCtx: 32768 })).toBe(1024);
    expect(outputBudget({ temperature: 0, seed: 1, numCtx: 2048, maxTokens: 100 })).toBe(100);
  });

  it('throws ContextTooLarge when prompt plus reserved output exceed num_ctx', () => {
    const opts = { temperature: 0, seed: 1, numCtx: 1000, maxTokens: 200 };
    expect(assertFits('ollama', [{ role: 'user', content: 'x'.repeat(2000) }], opts)).toBe(
      4 + 8 + 667,
    );
    let err: unknown;
    try {
      assertFits('ollama', [{ role: 'user', content: 'x'.repeat(2500) }], opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExternalServiceError);
    expect(err).toMatchObject({ reason: 'ContextTooLarge', service: 'ollama' });
    expect((err as Error).message).toMatch(/num_ctx is 1000; nothing was sent/);
  });
});
