import { describe, expect, it } from '@jest/globals';
import { reviewVerdicts } from './reviews.ts';

describe('reviewVerdicts', () => {
  it("keeps each reviewer's latest verdict, in order; comments change nothing, dismissals withdraw", () => {
    expect(
      reviewVerdicts([
        { user: 'ana', state: 'CHANGES_REQUESTED' },
        { user: 'ana', state: 'APPROVED' },
        { user: 'bo', state: 'APPROVED' },
        { user: 'bo', state: 'COMMENTED' },
        { user: 'cy', state: 'APPROVED' },
        { user: 'cy', state: 'DISMISSED' },
        { user: 'di', state: 'REQUEST_CHANGES' },
      ]),
    ).toEqual({ approvedBy: ['ana', 'bo'], changesRequestedBy: ['di'] });
    expect(reviewVerdicts([])).toEqual({ approvedBy: [], changesRequestedBy: [] });
  });
});
