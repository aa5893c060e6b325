// One reading of a pull request's reviews, shared by the forges: each
// reviewer's latest approving or change-requesting review counts (a comment
// does not change a verdict; a dismissed review withdraws it), as GitHub's
// own branch protection reads them.
export interface ReviewLike {
  user: string;
  /** APPROVED, CHANGES_REQUESTED (Gitea: REQUEST_CHANGES), COMMENTED/COMMENT, DISMISSED, PENDING. */
  state: string;
}

export function reviewVerdicts(reviews: ReviewLike[]): {
  approvedBy: string[];
  changesRequestedBy: string[];
} {
  const latest = new Map<string, 'approved' | 'changes' | undefined>();
  for (const r of reviews) {
    const s = r.state.toUpperCase();
    if (s === 'APPROVED') latest.set(r.user, 'approved');
    else if (s === 'CHANGES_REQUESTED' || s === 'REQUEST_CHANGES') latest.set(r.user, 'changes');
    else if (s === 'DISMISSED') latest.set(r.user, undefined);
  }
  const who = (v: string) => [...latest].filter(([, x]) => x === v).map(([u]) => u);
  return { approvedBy: who('approved'), changesRequestedBy: who('changes') };
}
