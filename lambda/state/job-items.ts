import * as z from 'zod/mini';
import { bookkeepingItem, bookkeepingShape, compact, CorruptItemError, itemCodec, type Bookkeeping } from './codec';
import type { Item } from './store';
import { NO_ACCOUNTS, packAccounts, RunAccountsBuilder, unpackAccounts, type RunAccounts } from './run-accounts';
import { GSI1, GSI2, keys, utcDay } from './table';

/**
 * The job-log room's stored aggregates: the job item (JOB#<jobId> / JOB) and one run item per run (JOB#<jobId> /
 * RUN#<runDate>). The job-log reducers (lambda/job-log/run-state.ts, job-reducer.ts) own their facts; the sweeper
 * owns the `sweeper` marks on both, which it writes with UpdateItem so a reducer's whole-item put must carry them
 * over unchanged.
 */

export type RunStatus = 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'CANCELLED' | 'NO_BUCKETS' | 'UNKNOWN';
export const OPEN_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['RUNNING', 'PAUSED']);

/** One error type's alerting bookkeeping in a run (grouping windows use event time). */
export interface RunGroup {
  readonly count: number;
  readonly firstAt: string;
  readonly lastAt: string;
  /** Event time covered by the group's last alert. */
  readonly lastAlertAt?: string;
  readonly alerts: number;
}

/** The affected resources of one error type: the smallest names (capped), and how many events in all. */
export interface AffectedSet {
  readonly buckets: readonly string[];
  readonly accounts: readonly string[];
  readonly total: number;
}

/**
 * The resources each error type affected in a run, for the next run of the job to compare with
 * (lambda/job-log/run-compare.ts). Keys: `b:<bucket>`, `a:<account>`, or `-` for an event naming neither.
 * Exact up to a bound on the run (the smallest keys are kept); a type that lost keys to it is `partial`.
 */
export interface RunFingerprint {
  readonly resources: Readonly<Record<string, readonly string[]>>;
  readonly partial: readonly string[];
}

/** Events of a run one silence matched: the silence as it read (who, why, until when) and counts per event type. */
export interface SilencedEvents {
  readonly author: string;
  readonly reason: string;
  readonly endsAt: string;
  readonly events: Readonly<Record<string, number>>;
}

/** What a summary said, so a later correction can say what changed. */
export interface SummarySnapshot {
  readonly status: RunStatus;
  readonly bucketsMatched: number;
  readonly errors: Readonly<Record<string, number>>;
}

/** What a report (the summary, or a "run summary updated") said about the run's sensitive-data findings. */
export interface FindingsSnapshot {
  readonly total: number;
  readonly byType: Readonly<Record<string, number>>;
}

/** The sweeper's reports of findings counted after the run's summary. */
export interface LateFindingsMark {
  /** Updates sent so far (each alert's id is numbered by it). */
  readonly updates: number;
  /** When the last one was decided (wall clock): the next waits repeatIntervalMinutes. */
  readonly lastAt: string;
  /** The findings as that update reported them: what the next one compares with. */
  readonly reported: FindingsSnapshot;
}

/** The reminders raised for one user pause of a run (sweeper/paused-jobs.ts): a new pause starts afresh. */
export interface UserPauseMark {
  readonly pausedAt: string;
  readonly steps: readonly string[];
  readonly alertedAt: string;
  readonly alertId: string;
}

/** The reminders raised for a periodic job paused between runs: how many missed runs (or days) the last one told. */
export interface PausedJobMark {
  readonly pausedAt: string;
  readonly told: number;
  readonly alertedAt: string;
  readonly alertId: string;
}

/** Conditions the sweeper has alerted on, each once. */
export interface RunSweeperMarks {
  readonly stillRunning?: { readonly alertedAt: string; readonly alertId: string };
  readonly quotaPause?: { readonly pausedAt: string; readonly alertedAt: string; readonly alertId: string };
  readonly userPause?: UserPauseMark;
  readonly lateFindings?: LateFindingsMark;
}

export interface MissedRunMark {
  readonly expectedAt: string;
  readonly lastStart: string;
  readonly alertedAt: string;
  readonly alertId: string;
  readonly resolvedAt?: string;
}

/** A status event of a run: its type and when it occurred (the text Macie wrote). */
export interface StatusEvent {
  readonly type: string;
  readonly at: string;
}

/** Where one batch's events without runDate went: so a retry of the batch goes there too. */
export interface RunRoute {
  readonly batch: string;
  readonly runDate: string;
}

export interface JobSweeperMarks {
  readonly missedRun?: MissedRunMark;
  readonly pausedJob?: PausedJobMark;
}

export interface RunState extends Bookkeeping {
  readonly jobId: string;
  readonly runDate: string;
  readonly jobName: string;
  readonly adminAccountId: string;
  readonly region: string;
  readonly status: RunStatus;
  /** The status change that won (see job-log/run-status.ts): its event time and type. */
  readonly statusAt?: string;
  readonly statusEvent?: string;
  /** The status was set by a cancel without runDate (job-log/undated-cancel.ts): a completion of the run beats it. */
  readonly statusUndated?: boolean;
  readonly bucketsMatched: number;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly lastEventAt?: string;
  /** When the pipeline applied the run's newest event (lastEventAt): its clock, not Macie's (job-log/run-arrival.ts). */
  readonly lastEventArrivedAt?: string;
  /** When the pipeline applied the event that ended the run (its clock): where the digest places a late end. */
  readonly endArrivedAt?: string;
  readonly noBucketsAt?: string;
  readonly pausedBy?: 'QUOTA' | 'USER';
  readonly pausedAt?: string;
  /** Events per error type. */
  readonly errors: Readonly<Record<string, number>>;
  readonly affected: Readonly<Record<string, AffectedSet>>;
  /**
   * Distinct buckets per error type, exact; past the capped list's 10 names their digests are in bucket pages
   * (bucket-pages.ts). A type with buckets and no count is of a run written before: its count is a lower bound.
   */
  readonly bucketCounts?: Readonly<Record<string, number>>;
  /** Every account the run's errors named, by error type, and whether an account error of it was told (run-accounts.ts). */
  readonly accounts: RunAccounts;
  /** What failed, per error type, for the next run's comparison. */
  readonly fingerprint?: RunFingerprint;
  /** Events counted but not alerted because a silence matched them, by silence id. */
  readonly silenced?: Readonly<Record<string, SilencedEvents>>;
  readonly groups: Readonly<Record<string, RunGroup>>;
  /** The run's alerting status events (newest kept): each is told once, and they tell the pauses' story. */
  readonly statusEvents: readonly StatusEvent[];
  readonly summarySentAt?: string;
  readonly summaryVersion?: number;
  readonly summarized?: SummarySnapshot;
  /** Batch keys already applied to this run (a batch redelivered whole changes nothing). */
  readonly appliedBatches: readonly string[];
  /** How many applied-events items the run has: one per batch applied, numbered from 1 (job-log/applied-events.ts). */
  readonly appliedEventItems?: number;
  /** Digests of the log events applied to this run, as runs written before applied-events items kept them. */
  readonly appliedEvents?: Uint8Array;
  readonly sweeper?: RunSweeperMarks;
}

export type JobKind = 'ONE_TIME' | 'SCHEDULED';
export type JobStatus = 'CANCELLED' | 'USER_PAUSED' | 'ACTIVE';

export interface JobState extends Bookkeeping {
  readonly jobId: string;
  readonly jobName?: string;
  readonly adminAccountId?: string;
  /** Event time of the event that named the job (the newest wins). */
  readonly nameAt?: string;
  readonly createdAt?: string;
  readonly kind?: JobKind;
  /** The newest runDate seen: events without one attach to it. */
  readonly currentRunDate?: string;
  readonly recentRunStarts: readonly string[];
  readonly jobStatus?: JobStatus;
  readonly jobStatusAt?: string;
  /** Where each batch of undated events went (newest kept). */
  readonly routedBatches: readonly RunRoute[];
  readonly sweeper?: JobSweeperMarks;
  /**
   * The runs that versions before the findings ledgers (findings-ledger.ts) marked summarised. Kept as read,
   * never added to, so a late finding of a run summarised before an upgrade is still told as late; it goes with
   * the item's TTL.
   */
  readonly summarizedRuns?: readonly string[];
}

const text = z.string();
const optionalText = z.optional(z.string());
const count = z.number();
/** Maps keyed by event type (or account): read into objects with no prototype, so no key is inherited. */
const map = <T extends z.ZodMiniType>(value: T) =>
  z.pipe(
    z.optional(z.record(z.string(), value)),
    z.transform((v: Record<string, z.output<T>> | undefined) => Object.assign(Object.create(null) as Record<string, z.output<T>>, v)),
  );
const list = z.pipe(
  z.optional(z.array(z.string())),
  z.transform((v: string[] | undefined) => v ?? []),
);

const RunGroupSchema = z.object({ count, firstAt: text, lastAt: text, lastAlertAt: optionalText, alerts: count });
const AffectedSetSchema = z.object({ buckets: z.array(text), accounts: z.array(text), total: count });
const RunFingerprintSchema = z.object({ resources: map(z.array(text)), partial: list });
/**
 * The fingerprint is stored as one JSON string: up to 200 names, written at every batch, cost far less to
 * marshal and check as one attribute than as a list per error type (as runs written before kept it).
 */
const StoredFingerprintSchema = z.pipe(
  z.transform((stored: unknown, ctx) => {
    if (typeof stored !== 'string') return stored;
    try {
      return JSON.parse(stored) as unknown;
    } catch {
      ctx.issues.push({ code: 'custom', message: 'not JSON', input: stored });
      return z.NEVER;
    }
  }),
  RunFingerprintSchema,
);
const SilencedEventsSchema = z.object({ author: text, reason: text, endsAt: text, events: map(count) });
const RunStatusSchema = z.enum(['RUNNING', 'PAUSED', 'COMPLETED', 'CANCELLED', 'NO_BUCKETS', 'UNKNOWN']);
const SummarySnapshotSchema = z.object({ status: RunStatusSchema, bucketsMatched: count, errors: z.record(z.string(), count) });
/** Splits `${first}${separator}${rest}`, as the version before structured lists wrote pairs (the first part never holds the separator). */
const splitPair = (stored: string, separator: string): [string, string] => {
  const at = stored.indexOf(separator);
  return at < 0 ? [stored, ''] : [stored.slice(0, at), stored.slice(at + 1)];
};
const StatusEventsSchema = z.pipe(
  z.optional(z.array(z.union([z.object({ type: text, at: text }), text]))),
  z.transform((v): StatusEvent[] =>
    (v ?? []).map((e) => {
      if (typeof e !== 'string') return e;
      const [type, at] = splitPair(e, '@');
      return { type, at };
    }),
  ),
);
const RunRoutesSchema = z.pipe(
  z.optional(z.array(z.union([z.object({ batch: text, runDate: text }), text]))),
  z.transform((v): RunRoute[] =>
    (v ?? []).map((r) => {
      if (typeof r !== 'string') return r;
      const [batch, runDate] = splitPair(r, '=');
      return { batch, runDate };
    }),
  ),
);
const RunSweeperSchema = z.object({
  stillRunning: z.optional(z.object({ alertedAt: text, alertId: text })),
  quotaPause: z.optional(z.object({ pausedAt: text, alertedAt: text, alertId: text })),
  userPause: z.optional(z.object({ pausedAt: text, steps: z.array(text), alertedAt: text, alertId: text })),
  lateFindings: z.optional(z.object({ updates: count, lastAt: text, reported: z.object({ total: count, byType: map(count) }) })),
});
const JobSweeperSchema = z.object({
  missedRun: z.optional(z.object({ expectedAt: text, lastStart: text, alertedAt: text, alertId: text, resolvedAt: optionalText })),
  pausedJob: z.optional(z.object({ pausedAt: text, told: count, alertedAt: text, alertId: text })),
});

const RunItemSchema = z.object({
  ...bookkeepingShape,
  jobId: text,
  runDate: text,
  jobName: text,
  adminAccountId: text,
  region: text,
  status: RunStatusSchema,
  statusAt: optionalText,
  statusEvent: optionalText,
  statusUndated: z.optional(z.boolean()),
  bucketsMatched: z._default(count, 0),
  startedAt: optionalText,
  endedAt: optionalText,
  lastEventAt: optionalText,
  lastEventArrivedAt: optionalText,
  endArrivedAt: optionalText,
  noBucketsAt: optionalText,
  pausedBy: z.optional(z.enum(['QUOTA', 'USER'])),
  pausedAt: optionalText,
  errors: map(count),
  affected: map(AffectedSetSchema),
  bucketCounts: z.optional(z.record(z.string(), count)),
  accountIds: z.optional(z.instanceof(Uint8Array)),
  accountTypes: z.optional(z.array(text)),
  otherAccounts: z.optional(z.record(z.string(), count)),
  accountsDropped: z.optional(count),
  /** The layouts before accountIds: every account with an account error, and those told (read, never written). */
  openAccountErrors: z.optional(z.record(z.string(), text)),
  toldAccountErrors: z.optional(z.record(z.string(), text)),
  fingerprint: z.optional(StoredFingerprintSchema),
  silenced: z.optional(map(SilencedEventsSchema)),
  groups: map(RunGroupSchema),
  statusEvents: StatusEventsSchema,
  summarySentAt: optionalText,
  summaryVersion: z.optional(count),
  summarized: z.optional(SummarySnapshotSchema),
  appliedBatches: list,
  appliedEventItems: z.optional(count),
  appliedEvents: z.optional(z.instanceof(Uint8Array)),
  sweeper: z.optional(RunSweeperSchema),
});

const JobItemSchema = z.object({
  ...bookkeepingShape,
  jobId: text,
  jobName: optionalText,
  adminAccountId: optionalText,
  nameAt: optionalText,
  createdAt: optionalText,
  kind: z.optional(z.enum(['ONE_TIME', 'SCHEDULED'])),
  currentRunDate: optionalText,
  recentRunStarts: list,
  jobStatus: z.optional(z.enum(['CANCELLED', 'USER_PAUSED', 'ACTIVE'])),
  jobStatusAt: optionalText,
  routedBatches: RunRoutesSchema,
  summarizedRuns: z.optional(z.array(text)),
  sweeper: z.optional(JobSweeperSchema),
});

/**
 * When a run ended (completed or was cancelled) or, for a run that matched no bucket, when it found none: as
 * toISOString writes it. Undefined while it runs, is paused, or when its time cannot be read.
 */
export function runEndedAt(run: Pick<RunState, 'status' | 'endedAt' | 'noBucketsAt'>): string | undefined {
  if (OPEN_RUN_STATUSES.has(run.status) || run.status === 'UNKNOWN') return undefined;
  const at = Date.parse(run.endedAt ?? run.noBucketsAt ?? '');
  return Number.isFinite(at) ? new Date(at).toISOString() : undefined;
}

/**
 * Where the daily digest places the run's end: when it ended, or, if that reached the pipeline later (a backlog,
 * a redrive), when it did. Each window covers what the pipeline could know by its end, so a completion that
 * arrives after the digest covering its time is in the next one, not in none. Undefined while the run is open.
 */
export function runEndReportedAt(run: Pick<RunState, 'status' | 'endedAt' | 'noBucketsAt' | 'endArrivedAt'>): string | undefined {
  const ended = runEndedAt(run);
  const arrived = run.endArrivedAt === undefined ? NaN : Date.parse(run.endArrivedAt);
  if (ended === undefined || !Number.isFinite(arrived) || arrived <= Date.parse(ended)) return ended;
  return new Date(arrived).toISOString();
}

/** A run that ended is listed in the digest's index under the day the digest places its end (GSI2.runsEnded). */
function endedIndexKeys(run: RunState): Item {
  const ended = runEndReportedAt(run);
  if (ended === undefined) return {};
  const { pk, sk } = keys.run(run.jobId, run.runDate);
  return { gsi2pk: GSI2.runsEnded(utcDay(ended)), gsi2sk: `${ended}#${pk}#${sk}` };
}

function withoutKeys<T extends { pk: string; sk: string }>(parsed: T): Omit<T, 'pk' | 'sk'> {
  const { pk: _pk, sk: _sk, ...rest } = parsed;
  return rest;
}

/**
 * The run item. Keys come from jobId and runDate; an open run (RUNNING, PAUSED) is listed in OPEN_RUN for the
 * sweeper, an ended one in the digest's index by the day the digest places its end (runEndReportedAt).
 */
export const RunCodec = itemCodec(
  'run',
  RunItemSchema,
  (run: RunState) =>
    compact({
      ...keys.run(run.jobId, run.runDate),
      jobId: run.jobId,
      runDate: run.runDate,
      jobName: run.jobName,
      adminAccountId: run.adminAccountId,
      region: run.region,
      status: run.status,
      statusAt: run.statusAt,
      statusEvent: run.statusEvent,
      statusUndated: run.statusUndated,
      bucketsMatched: run.bucketsMatched,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      lastEventAt: run.lastEventAt,
      lastEventArrivedAt: run.lastEventArrivedAt,
      endArrivedAt: run.endArrivedAt,
      noBucketsAt: run.noBucketsAt,
      pausedBy: run.pausedBy,
      pausedAt: run.pausedAt,
      errors: { ...run.errors },
      affected: { ...run.affected },
      bucketCounts: run.bucketCounts && { ...run.bucketCounts },
      ...packAccounts(run.accounts),
      fingerprint: run.fingerprint && JSON.stringify({ resources: run.fingerprint.resources, partial: run.fingerprint.partial }),
      silenced: run.silenced && Object.fromEntries(Object.entries(run.silenced).map(([id, s]) => [id, { ...s, events: { ...s.events } }])),
      groups: { ...run.groups },
      statusEvents: run.statusEvents,
      summarySentAt: run.summarySentAt,
      summaryVersion: run.summaryVersion,
      summarized: run.summarized,
      appliedBatches: run.appliedBatches,
      appliedEventItems: run.appliedEventItems,
      appliedEvents: run.appliedEvents,
      sweeper: run.sweeper,
      ...(OPEN_RUN_STATUSES.has(run.status) ? { gsi1pk: GSI1.openRun, gsi1sk: `${run.jobId}#${run.runDate}` } : {}),
      ...endedIndexKeys(run),
      ...bookkeepingItem(run),
    }),
  (parsed): RunState => {
    const { accountIds, accountTypes, otherAccounts, accountsDropped, openAccountErrors, toldAccountErrors, ...rest } = withoutKeys(parsed);
    const stored = { accountIds, accountTypes, otherAccounts, accountsDropped };
    return {
      ...rest,
      accounts: accountIds || otherAccounts || accountsDropped ? unpackAccounts(stored) : accountsBefore(rest.affected, openAccountErrors, toldAccountErrors),
    };
  },
);

/**
 * A run written before the accounts were kept whole: the accounts its capped lists and account-error maps
 * name. A list at its cap may have left accounts out: the counts say "at least" then.
 */
function accountsBefore(affected: Readonly<Record<string, AffectedSet>>, open: Record<string, string> = {}, told: Record<string, string> = {}): RunAccounts {
  const builder = new RunAccountsBuilder(NO_ACCOUNTS);
  let capped = false;
  for (const [type, set] of Object.entries(affected)) {
    for (const account of set.accounts) builder.add(account, type);
    capped ||= set.accounts.length >= 10;
  }
  for (const account of Object.keys(open)) builder.add(account, undefined);
  for (const account of Object.keys(told)) builder.add(account, undefined, true);
  const accounts = builder.result;
  return capped ? { ...accounts, dropped: Math.max(accounts.dropped, 1) } : accounts;
}

/** The job's name as its item holds it; undefined when absent or unreadable: a name is only ever a label. */
export function readableJobName(item: Item | undefined): string | undefined {
  if (item === undefined) return undefined;
  try {
    return JobCodec.decode(item).jobName;
  } catch (error) {
    if (error instanceof CorruptItemError) return undefined;
    throw error;
  }
}

/** The job item. A job known to be periodic is listed in PERIODIC_JOB for the sweeper. */
export const JobCodec = itemCodec(
  'job',
  JobItemSchema,
  (job: JobState) =>
    compact({
      ...keys.job(job.jobId),
      jobId: job.jobId,
      jobName: job.jobName,
      adminAccountId: job.adminAccountId,
      nameAt: job.nameAt,
      createdAt: job.createdAt,
      kind: job.kind,
      currentRunDate: job.currentRunDate,
      recentRunStarts: job.recentRunStarts,
      jobStatus: job.jobStatus,
      jobStatusAt: job.jobStatusAt,
      routedBatches: job.routedBatches,
      sweeper: job.sweeper,
      summarizedRuns: job.summarizedRuns,
      ...(job.kind === 'SCHEDULED' ? { gsi1pk: GSI1.periodicJob, gsi1sk: job.jobId } : {}),
      ...bookkeepingItem(job),
    }),
  (parsed): JobState => withoutKeys(parsed),
);
