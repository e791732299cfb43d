import { createHash } from 'node:crypto';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import type { Alert } from '../core/alert';
import { deliverPending, releaseBirthClaims, type BirthClaims, type PendingAlerts } from '../delivery/outbox';
import { MAX_OPS_PER_TRANSACTION, OutboxWriter } from '../delivery/outbox-writer';
import { compareInstants, compareIso } from '../core/iso-time';
import { APPLIED_EVENTS_CAP, DigestSet, mayHaveApplied, newestDigests } from './applied-events';
import { PagesBehindRun } from './bucket-counts';
import { BucketPageReads } from './bucket-page-reads';
import { BucketPageCodec } from '../state/bucket-pages';
import { decodeSubscriptionEvent, parseJobLogEvent, toLogEvent, type LogEvent } from './log-events';
import { deliveryDeps, type PipelineDeps } from '../pipeline-deps';
import { eventTypeDimension } from './event-types';
import { addOutcomeCounts, NO_OUTCOMES, type OutcomeCounts } from './event-outcomes';
import { isJobOnlyEvent, reduceJob } from './job-reducer';
import { needsFindings, needsPrevious, previousRunDate } from './read-plan';
import { asPreviousRun, type PreviousRun } from './run-compare';
import { withArrival } from './run-arrival';
import { reduceRun, type RunReduction } from './run-state';
import { summarizeFindings, type FindingsSummary } from './run-findings';
import { ackSource, silenceSource } from '../silences/cache';
import type { Ack } from '../silences/ack';
import type { Silence } from '../silences/silence';
import { silenceTallyCount, silenceTallyWrites } from '../silences/silence-tally';
import { decodeOptional } from '../state/codec';
import { AppliedEventsCodec, DIGEST_BYTES, type AppliedEvents } from '../state/applied-events-items';
import { JobCodec, RunCodec, type JobState, type RunState } from '../state/job-items';
import { ConditionalWriteConflict, unchangedSince, withOptimisticRetry, writeChanges, type Item, type StateStore, type WriteOp } from '../state/store';
import { markSummarized, readLedger, type FindingsLedger } from '../state/findings-ledger';
import { expiresAt, keys, UNKNOWN_RUN, type ItemKey } from '../state/table';
import { endsRun } from './run-status';

/**
 * The job-log pipeline: a CloudWatch Logs subscription batch (one log stream = one job) -> run state in DynamoDB
 * -> alerts through the outbox. Per job in the batch: one consistent read of the job and its runs, the pure
 * reducers (job-reducer.ts, run-state.ts), one atomic conditional write of everything that changed plus the new
 * alerts, then delivery of every touched run's pending alerts. A lost condition re-reads and recomputes, so
 * concurrent invocations lose nothing; a log event already applied to its run counts once, whatever batch it comes
 * back in (applied-events.ts). The silences are read once per invocation, and only when an event may alert
 * (through the per-container cache, lambda/silences/cache.ts); a periodic job's previous run is read only when a
 * first group alert or a summary may be built, in the same request for every run of the batch.
 */
export interface JobLogReport extends OutcomeCounts {
  /** Log events seen (control messages excluded). */
  events: number;
  /** Log events rejected (not JSON, missing or wrong fields). */
  bad: number;
  /** Events in run batches already applied (redelivery or retry). */
  duplicates: number;
  /** Alerts published by this invocation (including pending ones left by an earlier failure). */
  published: Alert[];
  /** Alerts already claimed by another invocation. */
  alreadySent: number;
  /** Runs touched, as `${jobId}#${runDate}`. */
  runs: string[];
  /** True when the payload could not be decoded at all (it is dropped: retrying cannot fix it). */
  badBatch?: boolean;
}

function emptyReport(): JobLogReport {
  return { events: 0, bad: 0, duplicates: 0, published: [], ...NO_OUTCOMES, alreadySent: 0, runs: [] };
}

export async function processSubscriptionEvent(event: CloudWatchLogsEvent, deps: PipelineDeps): Promise<JobLogReport> {
  const decoded = decodeSubscriptionEvent(event);
  if (!decoded.ok) {
    deps.telemetry.error('undecodable subscription payload', { reason: decoded.reason, rawSample: decoded.rawSample });
    deps.telemetry.count('BadBatches');
    return { ...emptyReport(), badBatch: true };
  }
  return processLogsPayload(decoded.payload, deps);
}

export async function processLogsPayload(payload: CloudWatchLogsDecodedData, deps: PipelineDeps): Promise<JobLogReport> {
  const report = emptyReport();
  if (payload.messageType === 'CONTROL_MESSAGE') {
    deps.telemetry.info('control message ignored', { logGroup: payload.logGroup });
    return report;
  }
  const logStream = typeof payload.logStream === 'string' ? payload.logStream : undefined;
  const parsed: LogEvent[] = [];
  const logEvents = Array.isArray(payload.logEvents) ? payload.logEvents : [];
  for (let index = 0; index < logEvents.length; index++) {
    const logEvent = logEvents[index];
    report.events++;
    const logEventId = typeof logEvent?.id === 'string' && logEvent.id ? logEvent.id : undefined;
    const result = typeof logEvent?.message === 'string' ? parseJobLogEvent(logEvent.message) : ({ ok: false, reason: 'log event has no message' } as const);
    if (!logEventId || !result.ok) {
      report.bad++;
      deps.telemetry.warn('bad job log event', { logEventId: logEventId ?? `#${index}`, logStream, reason: result.ok ? 'log event has no id' : result.reason });
      deps.telemetry.count('BadRecords');
      continue;
    }
    parsed.push(toLogEvent(logEventId, result.event));
  }

  // One stream is one job; grouping by jobId anyway keeps a mixed payload (replays, tests) correct.
  const byJob = new Map<string, LogEvent[]>();
  for (const p of parsed) {
    const list = byJob.get(p.event.jobId);
    if (list) list.push(p);
    else byJob.set(p.event.jobId, [p]);
  }

  // Once per invocation, and only when something may alert: progress events (bucket matched) never do.
  const mayAlert = parsed.some((p) => p.kind.alertsAtOnce);
  const silences = mayAlert ? await silenceSource(deps).list() : [];
  const acks = mayAlert ? await ackSource(deps).list() : [];

  const pending: PendingAlerts[] = [];
  const births: BirthClaims[] = [];
  try {
    for (const [jobId, records] of byJob) {
      const outcome = await applyJobBatch(jobId, records, { silences, acks }, deps);
      report.duplicates += outcome.duplicates;
      Object.assign(report, addOutcomeCounts(report, outcome.counts));
      report.runs.push(...outcome.runs);
      pending.push(...outcome.pending);
      if (outcome.born) births.push(outcome.born);
      // Added up per type first: a storm batch applies 1,000 events of one type.
      const appliedByType = new Map<string, number>();
      for (const { event } of outcome.applied) appliedByType.set(event.eventType, (appliedByType.get(event.eventType) ?? 0) + 1);
      for (const [eventType, n] of appliedByType) deps.telemetry.countBy('JobEvents', eventTypeDimension(eventType), n);
      for (const status of outcome.ended) deps.telemetry.count(status === 'COMPLETED' ? 'RunsCompleted' : 'RunsCancelled');
    }
  } catch (error) {
    // A later job of a mixed payload failed: the earlier jobs' birth claims were never handed to SNS.
    await releaseBirthClaims(
      deliveryDeps(deps),
      births.flatMap((b) => b.claims),
    );
    throw error;
  }
  const applied = parsed.length - report.duplicates;
  if (applied > 0) deps.telemetry.count('EventsProcessed', applied);
  if (report.duplicates > 0) deps.telemetry.count('EventsDuplicate', report.duplicates);
  if (report.suppressed > 0) deps.telemetry.count('AlertsSuppressed', report.suppressed);
  if (report.silenced > 0) deps.telemetry.count('AlertsSilenced', report.silenced);

  // Delivery after the state write: a crash between the two leaves the alerts PENDING on the run (the
  // first chunk SENDING under its birth claim's lease), and the retry (a duplicate batch) still delivers
  // them (those of the first chunk once the lease is over, labelled).
  const delivery = await deliverPending(deliveryDeps(deps), pending, births);
  report.published = [...delivery.published];
  report.alreadySent = delivery.alreadySent;
  return report;
}

/** First 16 hex chars of sha256 of the run's sorted log event ids in this batch. */
export function batchKeyOf(logEventIds: readonly string[]): string {
  return createHash('sha256')
    .update([...logEventIds].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);
}

interface JobOutcome {
  duplicates: number;
  /** Events written to the state now: the job's own, and those new to their run. */
  applied: LogEvent[];
  /** Runs this batch ended. */
  ended: NonNullable<RunReduction['ended']>[];
  counts: OutcomeCounts;
  runs: string[];
  pending: PendingAlerts[];
  /** The alerts the state write claimed at birth. */
  born?: BirthClaims;
}

/** One run of a job batch: its key, the run as read and its reduction. */
interface RunStep {
  readonly key: ItemKey;
  readonly runDate: string;
  readonly read: RunState | undefined;
  readonly r: RunReduction;
  /** The run's findings ledger as read before its findings were listed, for a run not summarised before. */
  readonly ledger?: FindingsLedger;
}

/** A job batch read and reduced: what the write needs. */
interface JobBatchReduction {
  readonly job: JobState;
  readonly jobRead: JobState | undefined;
  readonly jobChanged: boolean;
  /** The items as read, by key: what each write is conditional on. */
  readonly found: Map<string, Item>;
  readonly reductions: readonly RunStep[];
  /** The bucket pages the reductions counted with, remembered once the write landed. */
  readonly pages: BucketPageReads;
}

/**
 * One job's events: one read of the job and its runs (and, when needed, their findings, applied digests and
 * previous runs), then the pure reducers, leaving out alerts an earlier attempt found raised before.
 */
async function reduceJobBatch(
  jobId: string,
  records: readonly LogEvent[],
  { silences, acks }: Muting,
  outbox: Pick<OutboxWriter, 'anyRaisedBefore' | 'raisedBefore'>,
  deps: PipelineDeps,
  now: Date,
): Promise<JobBatchReduction> {
  const { store, settings } = deps;
  const pages = new BucketPageReads(jobId, records, store, now.getTime());
  const explicitRuns = [...new Set(records.map((r) => r.event.runDate).filter((d): d is string => !!d))];
  // The findings ledger of a run this batch may summarise, read before its findings are listed (findings-ledger.ts).
  const ledgersRead = new Set(records.flatMap((r) => (r.event.runDate && endsRun(r.kind.effect) ? [r.event.runDate] : [])));
  const found = await store.getMany([
    keys.job(jobId),
    ...explicitRuns.map((d) => keys.run(jobId, d)),
    ...[...ledgersRead].map((d) => keys.runFindingsLedger(jobId, d)),
    ...pages.firstPages(),
  ]);
  const jobRead = decodeOptional(JobCodec, store.lookup(found, keys.job(jobId)));
  // Route events to runs: runDate if present, else the job's current run (as of this batch), else UNKNOWN.
  // The job records that choice per batch, so a retry lands where the first attempt did.
  const undated = records.filter((r) => !r.event.runDate && !isJobOnlyEvent(r));
  const {
    job,
    changed: jobChanged,
    undatedRun,
  } = reduceJob(jobRead, jobId, records, { settings, now }, undated.length > 0 ? batchKeyOf(undated.map((r) => r.id)) : undefined);
  const byRun = eventsByRun(records, undatedRun);
  const missing = [...byRun.keys()].filter((d) => !explicitRuns.includes(d));
  if (missing.length > 0) {
    // Only events without runDate whose run the batch does not name: rare, costs one more read.
    const more = await store.getMany(missing.map((d) => keys.run(jobId, d)));
    for (const [k, v] of more) found.set(k, v);
  }

  const runDates = [...byRun.keys()].sort(compareIso);
  const readRuns = new Map(runDates.map((d) => [d, decodeOptional(RunCodec, store.lookup(found, keys.run(jobId, d)))]));
  const previousOf = await previousRuns(
    job,
    runDates.filter((d) => needsPrevious(job, d, readRuns.get(d), byRun.get(d)!, settings)),
    readRuns,
    found,
    deps,
  );

  await pages.read(byRun, readRuns, found);
  const reductions: RunStep[] = [];
  for (const runDate of runDates) {
    const events = byRun.get(runDate)!;
    const key = keys.run(jobId, runDate);
    const read = readRuns.get(runDate);
    const batchKey = batchKeyOf(events.map((e) => e.id));
    const { findings, ledger } = needsFindings(read, events) ? await readRunFindings(store, found, jobId, runDate, read, ledgersRead) : {};
    // Rare: a batch that may repeat events the run applied reads the run's digests.
    const applied =
      read?.appliedEventItems && !read.appliedBatches.includes(batchKey) && mayHaveApplied(read, events) ? await readApplied(store, read) : undefined;
    const newest = events.reduce((n, e) => (compareInstants(e.at, n.at) > 0 ? e : n)).event;
    let r: RunReduction;
    try {
      r = reduceRun(
        read,
        { jobId, runDate, batchKey, events, jobName: job.jobName ?? newest.jobName, adminAccountId: job.adminAccountId ?? newest.adminAccountId },
        { settings, region: deps.region, now, findings, silences, acks, previous: previousOf(runDate, reductions), applied, ...pages.of(runDate) },
      );
    } catch (error) {
      // A page read before a write the run was read after: read and reduce again, as after a lost condition.
      if (error instanceof PagesBehindRun) throw new ConditionalWriteConflict([], true);
      throw error;
    }
    r = withArrival(r, read, now);
    if (outbox.anyRaisedBefore && !r.duplicate) r = dropRaisedBefore(r, outbox);
    reductions.push({ key, runDate, read, r, ledger });
  }
  return { job, jobRead, jobChanged, found, reductions, pages };
}

/** Each run's events: its runDate, else the run the batch routed undated events to, else UNKNOWN; job-only events go to none. */
function eventsByRun(records: readonly LogEvent[], undatedRun: string | undefined): Map<string, LogEvent[]> {
  const byRun = new Map<string, LogEvent[]>();
  for (const r of records) {
    if (isJobOnlyEvent(r)) continue;
    const runDate = r.event.runDate ?? undatedRun ?? UNKNOWN_RUN;
    const list = byRun.get(runDate);
    if (list) list.push(r);
    else byRun.set(runDate, [r]);
  }
  return byRun;
}

/** A run's findings, and for a run not summarised before, its findings ledger as read before they were listed. */
async function readRunFindings(
  store: StateStore,
  found: Map<string, Item>,
  jobId: string,
  runDate: string,
  read: RunState | undefined,
  ledgersRead: ReadonlySet<string>,
): Promise<{ findings: FindingsSummary; ledger?: FindingsLedger }> {
  let ledger: FindingsLedger | undefined;
  if (!read?.summarySentAt) {
    // Rare: the run's ending event has no runDate.
    if (!ledgersRead.has(runDate)) for (const [k, v] of await store.getMany([keys.runFindingsLedger(jobId, runDate)])) found.set(k, v);
    ledger = readLedger(store.lookup(found, keys.runFindingsLedger(jobId, runDate)));
  }
  const findings = summarizeFindings(await store.listPrefix(keys.run(jobId, runDate).pk, keys.runFindingsPrefix(runDate)));
  return { findings, ledger };
}

/** What holds alerts back, read once per invocation: the silences and the acknowledgements. */
interface Muting {
  readonly silences: readonly Silence[];
  readonly acks: readonly Ack[];
}

async function applyJobBatch(jobId: string, records: readonly LogEvent[], muting: Muting, deps: PipelineDeps): Promise<JobOutcome> {
  const { store, settings } = deps;
  const now = deps.now();
  const outbox = new OutboxWriter(deliveryDeps(deps));
  return withOptimisticRetry(async () => {
    const { job, jobRead, jobChanged, found, reductions, pages } = await reduceJobBatch(jobId, records, muting, outbox, deps, now);

    // One atomic write per job batch, split only past one transaction's operations; each run stays atomic
    // with its alerts, and a retry after a partial split finds those runs already applied.
    const fresh = reductions.filter((x) => !x.r.duplicate);
    const opCount =
      (jobChanged ? 1 : 0) +
      fresh.reduce(
        (n, { read, r }) =>
          n +
          1 +
          (r.appliedEvents ? 1 : 0) +
          (r.bucketPages?.length ?? 0) +
          (read?.summarySentAt === undefined && r.run.summarySentAt !== undefined ? 1 : 0) +
          silenceTallyCount(read?.silenced, r.run.silenced) +
          r.alerts.length,
        0,
      );
    const write = outbox.attempt(opCount <= MAX_OPS_PER_TRANSACTION);
    const units: WriteOp[][] = jobChanged ? [[writeChanges(JobCodec.encode(job), store.lookup(found, keys.job(jobId)), unchangedSince(jobRead))]] : [];
    for (const { key, runDate, read, r, ledger } of fresh) {
      const summarized = read?.summarySentAt === undefined && r.run.summarySentAt !== undefined;
      if (summarized && !ledger) throw new Error(`run ${jobId} ${runDate} is summarised without its findings ledger read`);
      units.push([
        writeChanges(RunCodec.encode(r.run), store.lookup(found, key), unchangedSince(read)),
        ...(r.appliedEvents ? [{ kind: 'put' as const, item: AppliedEventsCodec.encode(r.appliedEvents) }] : []),
        // Unconditional: the run's version condition orders them, and the count on the run checks them on read.
        ...(r.bucketPages ?? []).map((p) => ({
          kind: 'put' as const,
          item: BucketPageCodec.encode({ jobId, runDate, ...p, expiresAt: expiresAt(now, settings.stateRetentionDays) }),
        })),
        ...silenceTallyWrites(read?.silenced, r.run.silenced, key, now, settings.stateRetentionDays),
        // In the run's own transaction, whatever the split: the run reads as summarised only with its summary.
        ...(summarized && ledger
          ? [markSummarized(jobId, runDate, ledger, { summarizedAt: now.toISOString(), endedAt: r.run.endedAt }, expiresAt(now, settings.stateRetentionDays))]
          : []),
        ...write.alertOps(r.alerts, key, now, settings.stateRetentionDays),
      ]);
    }
    await write.commit(units);
    pages.remember(fresh);

    return {
      duplicates: reductions.reduce((s, x) => s + x.r.duplicateEvents, 0),
      applied: [...records.filter(isJobOnlyEvent), ...reductions.flatMap((x) => x.r.freshEvents)],
      ended: reductions.flatMap((x) => (x.r.ended ? [x.r.ended] : [])),
      counts: reductions.reduce((sum, x) => addOutcomeCounts(sum, x.r.counts), NO_OUTCOMES),
      runs: reductions.map((x) => `${jobId}#${x.runDate}`),
      pending: reductions.map((x) => ({ owner: x.key, alertIds: [...(x.r.run.pendingAlerts ?? [])] })).filter((p) => p.alertIds.length > 0),
      born: write.births(),
    };
  });
}

/**
 * The previous completed run of each run that needs one (needsPrevious), read in one request for them all.
 * A previous run reduced earlier in this same batch is taken as reduced, not as read: the batch may hold the
 * end of one run and the start of the next. A previous run that did not complete (or is gone) gives none:
 * the run is compared with nothing, as a first run is.
 */
async function previousRuns(
  job: JobState,
  runDates: readonly string[],
  batchRuns: ReadonlyMap<string, unknown>,
  found: Map<string, Item>,
  deps: PipelineDeps,
): Promise<(runDate: string, reduced: readonly { runDate: string; r: RunReduction }[]) => PreviousRun | undefined> {
  const previousDates = new Map(runDates.map((d) => [d, previousRunDate(job, d)!]));
  const unread = [...new Set(previousDates.values())].filter((d) => !batchRuns.has(d)).map((d) => keys.run(job.jobId, d));
  if (unread.length > 0) for (const [k, v] of await deps.store.getMany(unread)) found.set(k, v);
  return (runDate, reduced) => {
    const previousDate = previousDates.get(runDate);
    if (!previousDate) return undefined;
    return asPreviousRun(
      reduced.find((x) => x.runDate === previousDate)?.r.run ?? decodeOptional(RunCodec, deps.store.lookup(found, keys.run(job.jobId, previousDate))),
    );
  };
}

/**
 * The run's newest APPLIED_EVENTS_CAP digests: its applied-events items, newest first, as many as hold them (the
 * first page guesses; the next ones are sized from what the first held), and the digests of the earlier layout.
 * Items numbered past the run as read belong to a write that has not landed for us: they are left out.
 */
async function readApplied(store: StateStore, run: RunState): Promise<DigestSet> {
  const count = run.appliedEventItems ?? 0;
  const items: AppliedEvents[] = [];
  let held = 0;
  const decodeNew = (read: readonly Item[]) => {
    for (const item of read.slice(items.length)) {
      const decoded = AppliedEventsCodec.decode(item);
      items.push(decoded);
      if (decoded.n <= count) held += decoded.digests.byteLength / DIGEST_BYTES;
    }
  };
  decodeNew(
    await store.listPrefixNewestFirst(keys.run(run.jobId, run.runDate).pk, keys.runAppliedEventsPrefix(run.runDate), (read) => {
      decodeNew(read);
      if (held >= APPLIED_EVENTS_CAP) return 0;
      return read.length === 0 ? 25 : Math.ceil((APPLIED_EVENTS_CAP - held) / Math.max(1, held / read.length)) + 1;
    }),
  );
  const digests = items.filter((a) => a.n <= count).map((a) => a.digests);
  return new DigestSet(newestDigests(run.appliedEvents ? [...digests, run.appliedEvents] : digests));
}

function dropRaisedBefore(r: RunReduction, outbox: Pick<OutboxWriter, 'raisedBefore'>): RunReduction {
  const pendingAlerts = r.run.pendingAlerts?.filter((id) => !outbox.raisedBefore(id));
  return {
    ...r,
    alerts: r.alerts.filter((a) => !outbox.raisedBefore(a.id)),
    run: { ...r.run, pendingAlerts: pendingAlerts && pendingAlerts.length > 0 ? pendingAlerts : undefined },
  };
}
