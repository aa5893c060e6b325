// What the operator asks a target's forge on its forgeCheckInterval: open
// issues with the priority label (to start a run without waiting for the
// schedule), the bot's open pull requests, and whether the pull requests of
// earlier runs have reached main. One Forge instance per target is kept, so
// the GitHub forge's ETag cache makes an unchanged answer free (304).
import { createHash } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import { createForge } from '../forge/index.ts';
import { advanceMerge, gateRecord, mergePolicyOf, needsApproval } from '../forge/merge-gate.ts';
import { LABEL_AUTO_REVERT, judgeAfterMerge, type AfterMergeJudgement } from './self-heal.ts';
import type { Forge } from '../forge/types.ts';
import { parseDuration } from '../util/duration.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { ImprovementRun, ImprovementTarget } from './types.ts';

export interface ForgeObservation {
  /** Open issues with the priority label, oldest first. */
  priorityIssues: number[];
  openPullRequests: number;
  /** Runs whose pull request is now merged, with when (and the commit the merge made, when the gate merged it). */
  merged: Array<{ run: ImprovementRun; mergedAt: string; mergeCommitSha?: string }>;
  /** main's checks on merge commits being watched (self-heal). */
  afterMerge: Array<{ run: ImprovementRun; sha: string; judgement: AfterMergeJudgement }>;
  /** Where the merge gate stands for each run's open pull request (autoMerge targets). */
  gates: Array<{ run: ImprovementRun; gate: RunGate }>;
  /** The gate asks to look again at this time (ms), before the next interval. */
  recheckAt?: number;
}

type RunGate = ReturnType<typeof gateRecord>;

export type ForgeFactory = (target: ImprovementTarget, token: string | undefined) => Forge;

export type ForgeCheckResult = { startedAt: Date } & (
  { observation: ForgeObservation } | { error: string }
);

/** A forge check interval: at least 10 s, whatever the spec says. */
export function parseInterval(text: string): number {
  return Math.max(parseDuration(text), 10_000);
}

export class ForgeChecks {
  private readonly forges = new Map<string, { key: string; forge: Forge }>();
  private readonly inflight = new Set<string>();
  private readonly results = new Map<string, ForgeCheckResult>();
  private readonly core: CoreV1Api;
  private readonly logger: Logger;
  private readonly factory: ForgeFactory;

  constructor(core: CoreV1Api, logger: Logger, factory?: ForgeFactory) {
    this.core = core;
    this.logger = logger;
    this.factory =
      factory ??
      ((t, token) =>
        createForge({
          provider: t.spec.repository.provider ?? 'github',
          repoUrl: t.spec.repository.url,
          apiUrl: t.spec.repository.apiUrl,
          token,
          logger,
        }));
  }

  /** Targets on a plain git remote have no forge API to ask. */
  static applies(target: ImprovementTarget): boolean {
    return (target.spec.repository.provider ?? 'github') !== 'git';
  }

  forget(uid: string): void {
    this.forges.delete(uid);
  }

  /** Starts a check for key unless one is running; onDone fires when its result can be taken. */
  start(
    key: string,
    target: ImprovementTarget,
    runs: ImprovementRun[],
    now: Date,
    onDone: () => void,
  ): void {
    if (this.inflight.has(key) || this.results.has(key)) return;
    this.inflight.add(key);
    this.observe(target, runs, now)
      .then(
        (observation) => this.results.set(key, { startedAt: now, observation }),
        (err: unknown) => this.results.set(key, { startedAt: now, error: errorMessage(err) }),
      )
      .finally(() => {
        this.inflight.delete(key);
        onDone();
      });
  }

  /** The finished check for key, once. */
  take(key: string): ForgeCheckResult | undefined {
    const r = this.results.get(key);
    this.results.delete(key);
    return r;
  }

  /**
   * The target's forge client, kept across checks (its ETag cache is what
   * makes an unchanged answer free). The Secret is read on every check, so a
   * rotated token takes effect at the next one; the client is rebuilt only
   * when the repository settings or the token change.
   */
  private async forgeFor(target: ImprovementTarget): Promise<Forge> {
    const ref = target.spec.repository.credentialsSecretRef;
    let token: string | undefined;
    if (ref) {
      // The operator may get (never list) Secrets; the value stays in memory, registered for redaction.
      const secret = await this.core.readNamespacedSecret({
        name: ref.name,
        namespace: target.metadata.namespace!,
      });
      token =
        Buffer.from(secret.data?.[ref.key ?? 'token'] ?? '', 'base64').toString('utf8') ||
        undefined;
    }
    const tokenHash = token ? createHash('sha256').update(token).digest('hex') : '';
    const key = JSON.stringify([target.spec.repository, tokenHash]);
    const uid = target.metadata.uid ?? `${target.metadata.namespace}/${target.metadata.name}`;
    const cached = this.forges.get(uid);
    if (cached && cached.key === key) return cached.forge;
    const forge = this.factory(target, token);
    this.forges.set(uid, { key, forge });
    return forge;
  }

  async observe(
    target: ImprovementTarget,
    runs: ImprovementRun[],
    now: Date,
  ): Promise<ForgeObservation> {
    const forge = await this.forgeFor(target);
    const labels = target.spec.labels ?? {
      priority: 'opencode-priority',
      question: 'opencode-question',
      bug: 'opencode-bug',
    };
    const issues = forge.capabilities.issues ? await forge.listOpenIssues([labels.priority]) : [];
    // Never act on a question, even when it also carries the priority label.
    const priorityIssues = issues
      .filter((i) => i.labels.includes(labels.priority) && !i.labels.includes(labels.question))
      .map((i) => i.number)
      .sort((a, b) => a - b);
    let openPullRequests = 0;
    const merged: ForgeObservation['merged'] = [];
    const gates: ForgeObservation['gates'] = [];
    const afterMerge: ForgeObservation['afterMerge'] = [];
    let recheckAt: number | undefined;
    if (forge.capabilities.pullRequests) {
      const strategy = target.spec.branches?.strategy ?? 'develop';
      const head =
        strategy === 'autonomous' ? 'autonomous/' : (target.spec.branches?.work ?? 'develop');
      openPullRequests = (await forge.listOpenPullRequests(head)).length;
      const pending = runs.filter(
        (r) => r.status?.pullRequest?.number && !r.status.pullRequest.merged,
      );
      // Runs of the develop strategy share one pull request: one look per number.
      const byNumber = new Map<number, ImprovementRun[]>();
      for (const run of pending) {
        const n = run.status!.pullRequest!.number!;
        byNumber.set(n, [...(byNumber.get(n) ?? []), run]);
      }
      for (const [n, prRuns] of byNumber) {
        // A rollback's revert pull request waits for a human, unless self-heal made it.
        const gated = prRuns.every(
          (r) => r.spec.trigger !== 'rollback' || r.metadata.labels?.[LABEL_AUTO_REVERT] === 'true',
        );
        if (target.spec.autoMerge !== false && gated) {
          // The merge gate finishes what the run started, as soon as it opens.
          const prior = prRuns.find((r) => r.status?.pullRequest?.gate?.headSeenAt)?.status
            ?.pullRequest?.gate;
          const seen = prior?.headSha
            ? { headSha: prior.headSha, at: Date.parse(prior.headSeenAt!) }
            : undefined;
          const approval = prRuns.some(
            (r) =>
              r.status?.risk?.route === 'approval' ||
              needsApproval(
                r.status?.policy?.requireApproval ?? target.spec.policy?.requireApproval,
                r.status?.improvement,
              ),
          );
          const step = await advanceMerge(
            forge,
            n,
            mergePolicyOf(target.spec),
            seen,
            now.getTime(),
            approval,
          );
          if (step.recheckAt) recheckAt = Math.min(recheckAt ?? Infinity, step.recheckAt);
          for (const run of prRuns) {
            gates.push({ run, gate: gateRecord(step, run.status?.pullRequest?.gate, now) });
            if (step.state === 'Merged' && step.mergedAt)
              merged.push({
                run,
                mergedAt: step.mergedAt,
                ...(step.mergeCommitSha ? { mergeCommitSha: step.mergeCommitSha } : {}),
              });
          }
          continue;
        }
        const pr = await forge.getPullRequest(n);
        if (pr.merged && pr.mergedAt)
          for (const run of prRuns) merged.push({ run, mergedAt: pr.mergedAt });
      }
      afterMerge.push(...(await this.watchMain(forge, target, runs, now)));
    }
    return {
      priorityIssues,
      openPullRequests,
      merged,
      gates,
      afterMerge,
      ...(recheckAt ? { recheckAt } : {}),
    };
  }

  /**
   * Self-heal's eyes: main's checks on each merge commit a bot's merge put
   * there, until they are green, red, or the window has passed. One look per
   * commit (the develop strategy's runs share one).
   */
  private async watchMain(
    forge: Forge,
    target: ImprovementTarget,
    runs: ImprovementRun[],
    now: Date,
  ): Promise<ForgeObservation['afterMerge']> {
    const policy = target.spec.policy?.autoRevert;
    if (policy?.enabled === false) return [];
    const windowMs = parseDuration(policy?.window ?? '2h');
    const watched = runs.filter((r) => {
      const pr = r.status?.pullRequest;
      const done = ['Green', 'Red', 'Unknown'].includes(pr?.afterMerge?.state ?? '');
      return (
        pr?.merged && pr.mergeCommitSha && pr.mergedAt && !done && r.spec.trigger !== 'rollback'
      );
    });
    const bySha = new Map<string, AfterMergeJudgement>();
    const out: ForgeObservation['afterMerge'] = [];
    for (const run of watched) {
      const pr = run.status!.pullRequest!;
      const sha = pr.mergeCommitSha!;
      let judged = bySha.get(sha);
      if (!judged) {
        const verdict = await forge.checksState(sha);
        const facts = {
          verdict,
          mergedAt: Date.parse(pr.mergedAt!),
          now: now.getTime(),
          windowMs,
        };
        if (verdict === 'failure') {
          const commit = await forge.getCommit(sha);
          const parent = commit.parents[0];
          judged = judgeAfterMerge({
            ...facts,
            commitMessage: commit.message,
            parentVerdict: parent ? await forge.checksState(parent) : 'none',
          });
        } else judged = judgeAfterMerge(facts);
        bySha.set(sha, judged);
      }
      out.push({ run, sha, judgement: judged });
    }
    return out;
  }
}
