import { compareInstants, compareIso, instantOf, maxIso, minIso, type Instant } from '../core/iso-time';
import type { PipelineSettings } from '../core/settings';
import type { JobState, JobStatus, RunRoute } from '../state/job-items';
import { expiresAt, UNKNOWN_RUN } from '../state/table';
import type { EventEffect } from './event-types';
import type { LogEvent } from './log-events';

export const RECENT_RUN_STARTS_CAP = 10;
/** How many routings of undated events the job item remembers (see `undatedKey`). */
export const ROUTED_BATCHES_CAP = 100;

/** The job's own status, for the sweeper: a cancelled or user-paused periodic job has no run due. */
const JOB_STATUS_OF: Partial<Record<EventEffect, JobStatus>> = {
  CANCELLED: 'CANCELLED',
  PAUSED_BY_USER: 'USER_PAUSED',
  RESUMED: 'ACTIVE',
  RUN_STARTED: 'ACTIVE',
};

/** Events that concern the job, not a run (no run record is made for them). */
export function isJobOnlyEvent(e: LogEvent): boolean {
  return e.kind.effect === 'JOB_CREATED';
}

export interface JobReduction {
  readonly job: JobState;
  /** The job item must be written: its facts changed, or its TTL is due for a refresh. */
  readonly changed: boolean;
  /** The run this batch's events without runDate go to. */
  readonly undatedRun?: string;
}

/**
 * The job record: name, kind, current run and last run dates (for missed scheduled runs). Pure, order-independent.
 * @param undatedKey batch key of this batch's events without runDate: their run is recorded under it, so a retry
 *   routes them to the same run even if a newer run started meanwhile.
 */
export function reduceJob(
  current: JobState | undefined,
  jobId: string,
  events: readonly LogEvent[],
  ctx: { readonly settings: Pick<PipelineSettings, 'stateRetentionDays'>; readonly now: Date },
  undatedKey?: string,
): JobReduction {
  const facts = foldJobFacts(current, events);
  let routedBatches = current?.routedBatches ?? [];
  let undatedRun: string | undefined;
  if (undatedKey) {
    const recorded = routedBatches.find((r) => r.batch === undatedKey);
    undatedRun = recorded ? recorded.runDate : (facts.currentRunDate ?? UNKNOWN_RUN);
    if (!recorded) routedBatches = [...routedBatches, { batch: undatedKey, runDate: undatedRun } satisfies RunRoute].slice(-ROUTED_BATCHES_CAP);
  }
  let job: JobState = { ...current, jobId, ...facts, routedBatches };
  const changed = !current || jobFacts(current) !== jobFacts(job);
  const ttl = expiresAt(ctx.now, ctx.settings.stateRetentionDays);
  // Refresh the TTL at most daily when nothing else changed: a write per batch just for the TTL is waste.
  const stale = current?.expiresAt === undefined || current.expiresAt < ttl - 86400;
  if (changed || stale) job = { ...job, version: (current?.version ?? 0) + 1, expiresAt: ttl };
  return { job, changed: changed || stale, undatedRun };
}

type JobFacts = Pick<
  JobState,
  'jobName' | 'adminAccountId' | 'nameAt' | 'createdAt' | 'kind' | 'currentRunDate' | 'recentRunStarts' | 'jobStatus' | 'jobStatusAt'
>;

/** What the events say about the job, folded into the job as read. */
function foldJobFacts(current: JobState | undefined, events: readonly LogEvent[]): JobFacts {
  let { jobName, adminAccountId, createdAt, kind, currentRunDate, jobStatus, jobStatusAt } = current ?? {};
  let named: Instant | undefined = current?.nameAt === undefined ? undefined : instantOf(current.nameAt);
  let runDates = current?.recentRunStarts ?? [];
  for (const { event, kind: type, at } of events) {
    // The newest event names the job: Macie job names are fixed, but a stream replayed from elsewhere may differ.
    if (!named || compareInstants(at, named) >= 0) {
      jobName = event.jobName;
      adminAccountId = event.adminAccountId;
      named = at;
    }
    if (type.effect === 'JOB_CREATED') createdAt = minIso(createdAt, event.occurredAt);
    // SCHEDULED wins: a periodic job never logs one-time events, so a conflict means the table is wrong.
    if (type.jobKind && kind !== 'SCHEDULED') kind = type.jobKind;
    if (event.runDate) {
      // Equal texts: maxIso would keep the current one.
      if (event.runDate !== currentRunDate) currentRunDate = maxIso(currentRunDate, event.runDate);
      if (!runDates.includes(event.runDate)) runDates = [...runDates, event.runDate].sort(compareIso).slice(-RECENT_RUN_STARTS_CAP);
    }
    const status = JOB_STATUS_OF[type.effect];
    // Later event time wins, except that a cancelled job stays cancelled.
    if (status && jobStatus !== 'CANCELLED' && (status === 'CANCELLED' || !jobStatusAt || compareIso(event.occurredAt, jobStatusAt) >= 0)) {
      jobStatus = status;
      jobStatusAt = event.occurredAt;
    }
  }
  return { jobName, adminAccountId, nameAt: named?.iso, createdAt, kind, currentRunDate, recentRunStarts: runDates, jobStatus, jobStatusAt };
}

function jobFacts(job: JobState): string {
  // nameAt is bookkeeping: a newer event with the same name is no reason to rewrite the job item.
  return JSON.stringify([
    job.jobName,
    job.adminAccountId,
    job.createdAt,
    job.kind,
    job.currentRunDate,
    job.recentRunStarts,
    job.jobStatus,
    job.jobStatusAt,
    job.routedBatches,
  ]);
}
