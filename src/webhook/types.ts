// The one shape the webhook hands to the operator, whichever forge sent it.

export type WebhookProvider = 'github' | 'gitea';

export interface IssueEvent {
  provider: WebhookProvider;
  repository: {
    /** owner/repo as the forge spells it. */
    fullName: string;
    /** Every URL the forge gave for the repository (https clone, ssh, web). */
    cloneUrls: string[];
  };
  /** opened | labeled | reopened | edited (Gitea's label_updated reads as labeled). */
  action: string;
  /** Names of the labels on the issue after the event. */
  labels: string[];
  number: number;
}

/** A target as matchTargets needs it: a subset of an ImprovementTarget. */
export interface WebhookTarget {
  namespace: string;
  name: string;
  spec: { repository: { url: string } };
}
