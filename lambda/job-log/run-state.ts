import type { Alert } from '../core/alert';
import { compareInstants } from '../core/iso-time';
import type { PipelineSettings } from '../core/settings';
import { silencer, type Silence } from '../silences/silence';
import { acknowledger, type Ack } from '../silences/ack';
import { withIds } from '../state/codec';
import type { AppliedEvents } from '../state/applied-events-items';
import type { RunState } from '../state/job-items';
import { RunAccountsBuilder, type RunAccounts } from '../state/run-accounts';
import { expiresAt } from '../state/table';
import { freshEvents, type DigestSet } from './applied-events';
import { runBucketCounts, type PagesRead, type PageWrite } from './bucket-counts';
import { countOutcomes, eventOutcomes, withGroupAlerts, type OutcomeCounts } from './event-outcomes';
import type { LogEvent } from './log-events';
import { groupAlerts, jobEventAlert, runAlertId, statusAlert } from './run-alerts';
import type { PreviousRun } from './run-compare';
import { foldRunFacts, type RunIdentity } from './run-facts';
import { matchSilences } from './run-silences';
import { isTerminal } from './run-status';
import type { FindingsSummary } from './run-findings';
import { applySummary, decideSummary } from './summary-decision';

export type { RunStatus } from '../state/job-items';

/**
 * The run reducer: (run as read, one batch of the run's events) -> (run to write, alerts to send). Pure and
 * deterministic: no I/O, no clock but ctx.now for the TTL. It composes the stages: fresh events
 * (applied-events.ts), facts (run-facts.ts), silences (run-silences.ts), the summary decision
 * (summary-decision.ts), each event's outcome (event-outcomes.ts), then the alerts' words (run-alerts.ts).
 */

export const APPLIED_BATCHES_CAP = 500;

export interface RunBatch extends RunIdentity {
  readonly batchKey: string;
  readonly events: readonly LogEvent[];
}

export interface ReduceContext {
  readonly settings: PipelineSettings;
  readonly region: string;
  /** Wall clock: only for the TTL. */
  readonly now: Date;
  /** The run's findings, when a summary may be built (read-plan.ts, needsFindings). */
  readonly findings?: FindingsSummary;
  /** The silences as read for this batch: an alerting event one of them matches is counted, not alerted. */
  readonly silences?: readonly Silence[];
  /** The acknowledgements as read for this batch: an acknowledged error group's repeats are held. */
  readonly acks?: readonly Ack[];
  /** The previous completed run of a periodic job, when its errors or summary compare with it (needsPrevious). */
  readonly previous?: PreviousRun;
  /** The run's applied digests, read when the batch may repeat events the run applied (mayHaveApplied). */
  readonly applied?: DigestSet;
  /** The bucket pages of each error type the batch must read to count its buckets (bucketPagesToRead). */
  readonly bucketPages?: ReadonlyMap<string, PagesRead>;
  /** namedBuckets of the batch's events, when the pipeline has it. */
  readonly namedBuckets?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface RunReduction {
  /** Every event of the batch was applied before: nothing changed, `run` is the run as read. */
  readonly duplicate: boolean;
  /** Events of the batch already applied to the run (skipped). */
  readonly duplicateEvents: number;
  /** The batch's events applied now, for the first time. */
  readonly freshEvents: readonly LogEvent[];
  /** The run ended with this batch (it was not completed or cancelled before). */
  readonly ended?: 'COMPLETED' | 'CANCELLED';
  readonly run: RunState;
  /** The digests of the events applied now, to write with the run (absent for a duplicate). */
  readonly appliedEvents?: AppliedEvents;
  /** Bucket pages to write with the run (bucket-counts.ts). */
  readonly bucketPages?: readonly PageWrite[];
  readonly alerts: Alert[];
  readonly counts: OutcomeCounts;
}

/** Applies one batch of one run's events. */
export function reduceRun(current: RunState | undefined, batch: RunBatch, ctx: ReduceContext): RunReduction {
  if (current?.appliedBatches.includes(batch.batchKey)) return unchanged(current, batch.events.length);
  const { fresh, digests } = freshEvents(current, batch.events, ctx.applied);
  if (current && fresh.length === 0) return unchanged(current, batch.events.length);
  const events = [...fresh].sort(byTimeThenType);
  const silenceOf = ctx.silences?.length ? silencer(ctx.silences) : undefined;
  const buckets = runBucketCounts(current, events, ctx.bucketPages, fresh.length === batch.events.length ? ctx.namedBuckets : undefined);
  const facts = { ...foldRunFacts(current, events, batch, ctx.region), bucketCounts: buckets.counts };
  const silencing = matchSilences(current?.silenced, events, batch.jobId, silenceOf);
  const run: RunState = { ...facts, silenced: silencing.silenced };
  const summary = decideSummary(current, run, silenceOf);
  const acks = ctx.acks?.length ? acknowledger(ctx.acks) : undefined;
  const acked = acks && ((type: string, at: number) => acks.subject(runAlertId(batch.jobId, batch.runDate, type), at));
  const outcomes = eventOutcomes({ current, run, events, silenced: silencing.matched, summary, previous: ctx.previous, settings: ctx.settings, acked });
  const told = applySummary(
    { ...run, groups: withGroupAlerts(run.groups, outcomes.groups), accounts: withTold(run.accounts, outcomes.toldAccounts) },
    summary,
    ctx,
  );
  const alerts = [
    ...outcomes.statusAlerts.map((e) => statusAlert(e, batch, ctx)),
    ...outcomes.jobAlerts.map((e) => jobEventAlert(e, { ...batch, status: run.status, endedAt: run.endedAt }, ctx)),
    ...outcomes.groups.flatMap((decision) => groupAlerts(decision, run.groups[decision.type], batch, ctx)),
    ...(told.alert ? [told.alert] : []),
  ];
  const ttl = expiresAt(ctx.now, ctx.settings.stateRetentionDays);
  // This batch's digests, in an item of their own; a run of the earlier layout moves its digests there too.
  const n = (current?.appliedEventItems ?? 0) + 1;
  const appliedEvents: AppliedEvents = {
    jobId: batch.jobId,
    runDate: batch.runDate,
    n,
    digests: current?.appliedEvents ? Buffer.concat([current.appliedEvents, digests]) : digests,
    expiresAt: ttl,
  };
  const written: RunState = {
    ...told.run,
    appliedBatches: [...run.appliedBatches, batch.batchKey].slice(-APPLIED_BATCHES_CAP),
    appliedEventItems: n,
    appliedEvents: undefined,
    pendingAlerts: withIds(
      current?.pendingAlerts,
      alerts.map((a) => a.id),
    ),
    version: (current?.version ?? 0) + 1,
    expiresAt: ttl,
  };
  const ended = isTerminal(run.status) && !isTerminal(current?.status) ? run.status : undefined;
  return {
    duplicate: false,
    duplicateEvents: batch.events.length - fresh.length,
    freshEvents: fresh,
    run: written,
    appliedEvents,
    ...(buckets.pages.length > 0 ? { bucketPages: buckets.pages } : {}),
    alerts,
    counts: countOutcomes(outcomes.byEvent.values()),
    ...(ended ? { ended } : {}),
  };
}

/** A batch whose every event the run applied before. */
function unchanged(run: RunState, events: number): RunReduction {
  return { duplicate: true, duplicateEvents: events, freshEvents: [], run, alerts: [], counts: countOutcomes([]) };
}

/** Time order, then type: the order every stage reads a batch's events in. */
function byTimeThenType(a: LogEvent, b: LogEvent): number {
  const t = compareInstants(a.at, b.at);
  if (t !== 0) return t;
  const x = a.event.eventType;
  const y = b.event.eventType;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The run's accounts with the told ones flagged. */
function withTold(accounts: RunAccounts, told: ReadonlySet<string>): RunAccounts {
  const builder = new RunAccountsBuilder(accounts);
  for (const account of told) builder.add(account, undefined, true);
  return builder.result;
}
