import type { AffectedResources, Alert, AlertDetail } from '../core/alert';
import { classify, isErrorEffect, type Classification, type EventEffect } from './event-types';
import { compareAt, compareIso, instant, maxIso, minIso, newestEvent } from '../core/iso-time';
import type { JobLogEvent } from './log-events';
import { jobLinks } from '../core/links';
import { DigestSet, digestBytes, digestOf } from './applied-events';
import { allFailedBefore, compareRuns, describeResource, resourceKey, withResources, type PreviousRun } from './run-compare';
import { buildRunSummaryAlert, unsilencedErrors, type FindingsSummary, type RunPause } from './run-summary';
import type { PipelineSettings } from '../core/settings';
import { silencer, withSilenced, type Silence, type SilenceSubject } from '../silences/silence';
import { withIds } from '../state/codec';
import { type AffectedSet, type AppliedEvents, type JobState, type JobStatus, type LateFindingsMark, type RunGroup, type RunState, type RunStatus, type SummarySnapshot } from '../state/job-items';
import { UNKNOWN_RUN, expiresAt } from '../state/table';

/**
 * The run reducer: (run as read, one batch of the run's events) -> (run to write, alerts to send).
 * Pure and deterministic: no I/O, no clock except ctx.now for the TTL. Facts (status, counts, sets) are
 * order-independent: status is the maximum of its candidates, counts are sums, sets are sorted and capped
 * to their smallest members. Alert bookkeeping (which groups alerted, when) depends on arrival order by
 * nature, and is kept apart from the facts.
 */
export type { RunStatus } from '../state/job-items';

export const APPLIED_BATCHES_CAP = 500;
export const AFFECTED_CAP = 10;
/** Status alerts already sent, by `${eventType}@${occurredAt}`: a status event re-sent in another batch does not alert twice. */
export const STATUS_EVENTS_CAP = 100;

export interface RunBatch {
  readonly jobId: string;
  readonly runDate: string;
  readonly batchKey: string;
  readonly events: readonly JobLogEvent[];
  /** The CloudWatch Logs id of each event (same order as events): an event already applied counts once. */
  readonly logEventIds: readonly string[];
  /** The job's name and admin account as of this batch (the newest event wins). */
  readonly jobName: string;
  readonly adminAccountId: string;
}

export interface ReduceContext {
  readonly settings: PipelineSettings;
  readonly region: string;
  /** Wall clock: only for the TTL. */
  readonly now: Date;
  /** The run's findings, when a summary may be built (see needsFindings). */
  readonly findings?: FindingsSummary;
  /** The silences as read for this batch: an alerting event one of them matches is counted, not alerted. */
  readonly silences?: readonly Silence[];
  /**
   * The previous completed run of the same periodic job, when a first group alert or a summary may be built
   * (see needsPrevious): known errors are held back, and the summary compares with it.
   */
  readonly previous?: PreviousRun;
  /** The run's applied digests, read when the batch may repeat events the run applied (mayHaveApplied). */
  readonly applied?: DigestSet;
}

export interface RunReduction {
  /** Every event of the batch was applied before: nothing changed, `run` is the run as read. */
  readonly duplicate: boolean;
  /** Events of the batch already applied to the run (skipped). */
  readonly duplicateEvents: number;
  /** The batch's events applied now, for the first time. */
  readonly freshEvents: readonly JobLogEvent[];
  /** The run ended with this batch (it was not completed or cancelled before). */
  readonly ended?: 'COMPLETED' | 'CANCELLED';
  readonly run: RunState;
  /** The digests of the events applied now, to write with the run (absent for a duplicate). */
  readonly appliedEvents?: AppliedEvents;
  readonly alerts: Alert[];
  /** Alerting events counted without an alert of their own (grouped or inhibited). */
  readonly suppressed: number;
  /** Of those, bucket errors inhibited by an open account error. */
  readonly inhibited: number;
  /** Of those, events a silence matched (a silenced summary counts its completion event). */
  readonly silenced: number;
  /** Of those, errors held back because they failed the same way in the previous run (knownErrors: summary). */
  readonly known: number;
}

const TERMINAL: ReadonlySet<string> = new Set(['COMPLETED', 'CANCELLED']);

const STATUS_OF: Partial<Record<EventEffect, { status: RunStatus; rank: number }>> = {
  RUN_STARTED: { status: 'RUNNING', rank: 0 },
  NO_BUCKETS: { status: 'NO_BUCKETS', rank: 1 },
  PAUSED_BY_USER: { status: 'PAUSED', rank: 2 },
  PAUSED_BY_QUOTA: { status: 'PAUSED', rank: 2 },
  RESUMED: { status: 'RUNNING', rank: 3 },
  COMPLETED: { status: 'COMPLETED', rank: 4 },
  CANCELLED: { status: 'CANCELLED', rank: 5 },
};

interface StatusCandidate {
  status: RunStatus;
  at: string;
  eventType: string;
  rank: number;
}

/** Total order on status changes: terminal beats non-terminal, then later event time, then rank, then type. */
function statusBeats(a: StatusCandidate, b: StatusCandidate | undefined): boolean {
  if (!b) return true;
  const ta = TERMINAL.has(a.status) ? 1 : 0;
  const tb = TERMINAL.has(b.status) ? 1 : 0;
  if (ta !== tb) return ta > tb;
  const t = compareIso(a.at, b.at);
  if (t !== 0) return t > 0;
  if (a.rank !== b.rank) return a.rank > b.rank;
  return a.eventType > b.eventType;
}

/** Does building this run's alerts need its findings (a summary or a summary update may be sent)? */
export function needsFindings(current: RunState | undefined, events: readonly JobLogEvent[], settings: PipelineSettings): boolean {
  if (current?.summarySentAt) return true;
  return events.some((e) => {
    const effect = classify(e.eventType, settings).effect;
    return effect === 'COMPLETED' || effect === 'CANCELLED';
  });
}

/** The job's run before this one, among its recent run starts; only for periodic jobs (one-time jobs have one run). */
export function previousRunDate(job: JobState, runDate: string): string | undefined {
  if (job.kind !== 'SCHEDULED') return undefined;
  return job.recentRunStarts.filter((d) => compareIso(d, runDate) < 0).sort(compareIso).at(-1);
}

/**
 * Does building this run's alerts need the previous run: a summary (or its update) may be built, or, with
 * knownErrors: summary, an error group of the run may send its first alert?
 */
export function needsPrevious(job: JobState, runDate: string, current: RunState | undefined, events: readonly JobLogEvent[], settings: PipelineSettings): boolean {
  if (previousRunDate(job, runDate) === undefined) return false;
  if (needsFindings(current, events, settings)) return true;
  if (settings.knownErrors !== 'summary') return false;
  return events.some((e) => {
    const c = classify(e.eventType, settings);
    return c.alertsAtOnce && isErrorEffect(c.effect) && !own(current?.groups ?? {}, e.eventType)?.alerts;
  });
}

export function runAlertId(jobId: string, runDate: string, suffix: string): string {
  return `run:${jobId}:${runDate}:${suffix}`;
}

/**
 * A list of the AFFECTED_CAP smallest names, added to one name at a time: the same set of events gives the same
 * list whatever the arrival order. Copied on its first change only (the list as read belongs to the run as read).
 */
class CappedList {
  /** Sorted and at most AFFECTED_CAP long, as this version writes it: then a name can go straight to its place. */
  private tidy: boolean;
  private owned = false;

  constructor(public list: readonly string[]) {
    this.tidy = list.length <= AFFECTED_CAP && list.every((v, i) => i === 0 || list[i - 1] <= v);
  }

  add(value: string | undefined): void {
    if (!value) return;
    const list = this.list;
    if (this.tidy && list.length >= AFFECTED_CAP && value >= list[list.length - 1]) return;
    if (list.includes(value)) return;
    if (!this.tidy) {
      this.list = [...list, value].sort().slice(0, AFFECTED_CAP);
      this.tidy = this.owned = true;
      return;
    }
    const out = this.owned ? (list as string[]) : [...list];
    let i = out.length;
    while (i > 0 && out[i - 1] > value) i--;
    out.splice(i, 0, value);
    if (out.length > AFFECTED_CAP) out.pop();
    this.list = out;
    this.owned = true;
  }
}

/** One error type's events in a batch: counted here, written back to the run's maps once. */
interface ErrorTally {
  readonly errorsBefore: number;
  readonly affectedBefore: number;
  readonly buckets: CappedList;
  readonly accounts: CappedList;
  count: number;
  firstAt: string;
  lastAt: string;
  /** The instants of firstAt and lastAt (compareAt). */
  firstMs: number;
  lastMs: number;
}

/** The tally of one error type, from the run as read and the batch's first event of the type. */
function errorTally(errors: Record<string, number>, affected: Record<string, AffectedSet>, groups: Record<string, RunGroup>, first: JobLogEvent): ErrorTally {
  const type = first.eventType;
  const set = own(affected, type);
  const g = own(groups, type);
  const firstAt = minIso(g?.firstAt, first.occurredAt);
  const lastAt = maxIso(g?.lastAt, first.occurredAt);
  return {
    errorsBefore: countOf(errors, type),
    affectedBefore: set?.total ?? 0,
    buckets: new CappedList(set?.buckets ?? []),
    accounts: new CappedList(set?.accounts ?? []),
    count: 0,
    firstAt,
    lastAt,
    firstMs: instant(firstAt),
    lastMs: instant(lastAt),
  };
}

/**
 * The batch's events not applied to the run before (nor earlier in the batch), in batch order, and their
 * digests. Only an event no newer than the run's newest can have been applied (applied-events.ts): those are
 * looked up in the run's digests, which the pipeline read for such a batch (`applied`).
 */
function freshEventsOf(current: RunState | undefined, batch: RunBatch, applied: DigestSet | undefined): { fresh: JobLogEvent[]; freshDigests: Buffer } {
  const newest = current?.lastEventAt;
  let known: DigestSet | undefined;
  const knownDigests = () => {
    if (!known) {
      if (!applied && current?.appliedEventItems) throw new Error(`reduceRun: run ${batch.jobId} ${batch.runDate} may hold events of this batch, and its applied events were not read`);
      known = applied ?? new DigestSet(current?.appliedEvents ? [current.appliedEvents] : []);
    }
    return known;
  };
  const newestMs = newest === undefined ? NaN : instant(newest);
  const inBatch = new Set<string>();
  const fresh: JobLogEvent[] = [];
  const digests: string[] = [];
  for (let i = 0; i < batch.events.length; i++) {
    const e = batch.events[i];
    const id = batch.logEventIds[i];
    if (inBatch.has(id)) continue;
    inBatch.add(id);
    const digest = digestOf(id);
    if (newest !== undefined && compareAt(e.occurredAt, instant(e.occurredAt), newest, newestMs) <= 0 && knownDigests().has(digest)) continue;
    digests.push(digest);
    fresh.push(e);
  }
  return { fresh, freshDigests: digestBytes(digests) };
}

/** The latest event time (maxIso over them), from the instants `classified` holds. */
function latestOf(events: readonly { readonly e: JobLogEvent; readonly ms: number }[]): string | undefined {
  let latest: string | undefined;
  let latestMs = NaN;
  for (const { e, ms } of events) {
    if (latest === undefined || compareAt(latest, latestMs, e.occurredAt, ms) < 0) {
      latest = e.occurredAt;
      latestMs = ms;
    }
  }
  return latest;
}

/** A count kept in a map keyed by event type: own keys only ("constructor" is an event type like any other). */
function countOf(map: Readonly<Record<string, number>>, key: string): number {
  return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : 0;
}

function own<T>(map: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}

/** A mutable copy of a map, with no prototype, so no key is inherited. */
function copyMap<T>(map: Readonly<Record<string, T>> | undefined): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, map);
}

/** What a summary states; silenced errors do not count, so late silenced events send no correction. */
function facts(run: RunState): string {
  return JSON.stringify([run.status, run.startedAt, run.endedAt, run.bucketsMatched, unsilencedErrors(run), run.noBucketsAt]);
}

/** Applies one batch of one run's events. */
export function reduceRun(current: RunState | undefined, batch: RunBatch, ctx: ReduceContext): RunReduction {
  const applied = current?.appliedBatches ?? [];
  if (current && applied.includes(batch.batchKey)) {
    return { duplicate: true, duplicateEvents: batch.events.length, freshEvents: [], run: current, alerts: [], suppressed: 0, inhibited: 0, silenced: 0, known: 0 };
  }
  const { fresh, freshDigests } = freshEventsOf(current, batch, ctx.applied);
  const duplicateEvents = batch.events.length - fresh.length;
  if (current && fresh.length === 0) {
    return { duplicate: true, duplicateEvents, freshEvents: [], run: current, alerts: [], suppressed: 0, inhibited: 0, silenced: 0, known: 0 };
  }
  const { jobId, runDate } = batch;
  const summarizedBefore = current?.summarySentAt !== undefined;
  const before = summarizedBefore ? facts(current) : undefined;

  let status: RunStatus = current?.status ?? 'RUNNING';
  let lastEventAt = current?.lastEventAt;
  let startedAt = current?.startedAt;
  let noBucketsAt = current?.noBucketsAt;
  let bucketsMatched = current?.bucketsMatched ?? 0;
  const errors = copyMap(current?.errors);
  const affected = copyMap(current?.affected);
  const openAccountErrors = copyMap(current?.openAccountErrors);
  const groups = copyMap(current?.groups);
  const statusEventsSeen = new Set(current?.statusEvents ?? []);
  const statusEventsNow = new Set(statusEventsSeen);
  const failed: [string, string][] = [];
  // One accumulator per error type of the batch, written back to the maps once (not a new object per event).
  const tally = new Map<string, ErrorTally>();

  let winner: StatusCandidate | undefined =
    current?.statusAt !== undefined && current.statusEvent !== undefined
      ? {
          status,
          at: current.statusAt,
          eventType: current.statusEvent,
          rank: STATUS_OF[classify(current.statusEvent, ctx.settings).effect]?.rank ?? 0,
        }
      : undefined;

  // Parse each timestamp once (a storm batch is 1,000 events), then sort by time, then type.
  const classified = fresh
    .map((e) => ({ e, c: classify(e.eventType, ctx.settings), ms: Date.parse(e.occurredAt) }))
    .sort((a, b) => compareAt(a.e.occurredAt, a.ms, b.e.occurredAt, b.ms) || (a.e.eventType < b.e.eventType ? -1 : a.e.eventType > b.e.eventType ? 1 : 0));

  // The times below are folded as maxIso / minIso would, with each event's instant from `classified`.
  let lastEventMs = lastEventAt === undefined ? NaN : instant(lastEventAt);
  for (const { e, c, ms } of classified) {
    if (lastEventAt === undefined || compareAt(lastEventAt, lastEventMs, e.occurredAt, ms) < 0) {
      lastEventAt = e.occurredAt;
      lastEventMs = ms;
    }
    const st = STATUS_OF[c.effect];
    if (st) {
      const candidate: StatusCandidate = { status: st.status, at: e.occurredAt, eventType: e.eventType, rank: st.rank };
      if (statusBeats(candidate, winner)) winner = candidate;
      if (c.alertsAtOnce) statusEventsNow.add(`${e.eventType}@${e.occurredAt}`);
    }
    if (c.effect === 'RUN_STARTED') startedAt = minIso(startedAt, e.occurredAt);
    if (c.effect === 'NO_BUCKETS') noBucketsAt = minIso(noBucketsAt, e.occurredAt);
    if (c.effect === 'BUCKET_MATCHED') bucketsMatched += 1;
    if (isErrorEffect(c.effect)) {
      let t = tally.get(e.eventType);
      if (!t) {
        t = errorTally(errors, affected, groups, e);
        tally.set(e.eventType, t);
      }
      t.count++;
      t.buckets.add(e.affectedResource?.value);
      t.accounts.add(e.affectedAccount);
      if (compareAt(t.firstAt, t.firstMs, e.occurredAt, ms) > 0) {
        t.firstAt = e.occurredAt;
        t.firstMs = ms;
      }
      if (compareAt(t.lastAt, t.lastMs, e.occurredAt, ms) < 0) {
        t.lastAt = e.occurredAt;
        t.lastMs = ms;
      }
      failed.push([e.eventType, resourceKey(e)]);
      if (c.effect === 'ACCOUNT_ERROR' && e.affectedAccount) {
        openAccountErrors[e.affectedAccount] = minIso(own(openAccountErrors, e.affectedAccount), e.occurredAt);
      }
    }
  }
  for (const [type, t] of tally) {
    errors[type] = t.errorsBefore + t.count;
    affected[type] = { buckets: t.buckets.list, accounts: t.accounts.list, total: t.affectedBefore + t.count };
    const g = own(groups, type);
    groups[type] = g ? { ...g, count: g.count + t.count, firstAt: t.firstAt, lastAt: t.lastAt } : { count: t.count, firstAt: t.firstAt, lastAt: t.lastAt, alerts: 0 };
  }

  if (winner) status = winner.status;
  const paused = status === 'PAUSED' ? winner : undefined;
  const ended = TERMINAL.has(status) ? winner : undefined;
  // Start from the run as read, so what other writers own (the sweeper's marks) survives the whole-item put.
  let run: RunState = {
    ...current,
    jobId,
    runDate,
    jobName: batch.jobName,
    adminAccountId: batch.adminAccountId,
    region: ctx.region,
    status,
    statusAt: winner?.at ?? current?.statusAt,
    statusEvent: winner?.eventType ?? current?.statusEvent,
    bucketsMatched,
    startedAt,
    lastEventAt,
    noBucketsAt,
    pausedBy: paused ? (classify(paused.eventType, ctx.settings).effect === 'PAUSED_BY_QUOTA' ? 'QUOTA' : 'USER') : undefined,
    pausedAt: paused?.at,
    endedAt: ended?.at,
    errors,
    affected,
    openAccountErrors,
    fingerprint: failed.length > 0 || current?.fingerprint ? withResources(current?.fingerprint, failed) : undefined,
    groups,
    statusEvents: newestStatusEvents(statusEventsNow),
    appliedBatches: applied,
  };

  // Alerts. Silenced events first: counted on the run, never alerted.
  const alerts: Alert[] = [];
  const silenceOf = silencer(ctx.silences ?? []);
  const anySilences = (ctx.silences?.length ?? 0) > 0;
  let silencedBy = copyMap(current?.silenced);
  let silenced = 0;
  const alerting: { e: JobLogEvent; c: Classification; ms: number }[] = [];
  for (const x of classified) {
    if (!x.c.alertsAtOnce) continue;
    // A completion is the summary's event: the summary as a whole is matched below.
    const s = !anySilences || x.c.effect === 'COMPLETED' || x.c.effect === 'CANCELLED' ? undefined : silenceOf(eventSubject(x.e, jobId));
    if (!s) {
      alerting.push(x);
      continue;
    }
    silencedBy = withSilenced(silencedBy, s, x.e.eventType);
    silenced++;
  }
  run = { ...run, silenced: Object.keys(silencedBy).length > 0 ? silencedBy : undefined };
  let suppressed = silenced;
  let inhibited = 0;
  let known = 0;
  const summaryNow = !summarizedBefore && TERMINAL.has(status);
  const comparison = () => (ctx.previous ? compareRuns(ctx.previous, run.fingerprint, run.status === 'COMPLETED') : undefined);
  // A silence on the job (or on its completion type) silences its summaries too.
  const summarySilenced = (at: string | undefined) => !!silenceOf({ type: run.statusEvent ?? 'JOB_COMPLETED', at: at ?? '', jobId });

  if (summarizedBefore) {
    // Late events: one correction per batch that changed the facts (silenced events change none), never one
    // alert per event.
    if (before !== facts(run)) {
      const version = (run.summaryVersion ?? 1) + 1;
      const changes = describeChanges(current?.summarized, run);
      run = { ...run, summaryVersion: version };
      const update = buildRunSummaryAlert(summaryInput(run, ctx.settings), {
        id: runAlertId(jobId, runDate, `summary-update:${version - 1}`),
        kind: 'update',
        region: ctx.region,
        settings: ctx.settings,
        findings: ctx.findings,
        changes: { lines: changes },
        comparison: comparison(),
      });
      if (!summarySilenced(run.lastEventAt)) {
        alerts.push(update);
        // It told the findings as they are now: the sweeper's next late-findings update compares with them, so
        // it does not tell the same late findings again.
        if (ctx.findings) run = { ...run, sweeper: { ...run.sweeper, lateFindings: toldFindings(run, ctx.findings) } };
      }
      run = { ...run, summarized: snapshot(run) };
    } else {
      suppressed += alerting.length;
    }
  } else {
    // Status alerts (pause, resume, quota, no buckets): one per event, unless the summary goes out now.
    for (const { e, c } of alerting) {
      if (!STATUS_OF[c.effect] || c.effect === 'COMPLETED' || c.effect === 'CANCELLED') continue;
      const key = `${e.eventType}@${e.occurredAt}`;
      if (statusEventsSeen.has(key) || summaryNow) continue;
      statusEventsSeen.add(key);
      alerts.push(statusAlert(e, c, batch, ctx));
    }
    // Error groups.
    const byType = new Map<string, { e: JobLogEvent; c: Classification; ms: number }[]>();
    for (const x of alerting) {
      if (!isErrorEffect(x.c.effect)) continue;
      const list = byType.get(x.e.eventType);
      if (list) list.push(x);
      else byType.set(x.e.eventType, [x]);
    }
    for (const [type, list] of [...byType.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const c = list[0].c;
      const open = list.filter(({ e }) => !(c.effect === 'BUCKET_ERROR' && e.affectedAccount && own(openAccountErrors, e.affectedAccount)));
      inhibited += list.length - open.length;
      const g = groups[type];
      const newest = latestOf(open);
      if (open.length === 0 || !newest) {
        suppressed += list.length;
        continue;
      }
      if (summaryNow) {
        // The summary sent with this batch lists the group: it counts as the group's alert.
        groups[type] = { ...g, alerts: g.alerts + 1, lastAlertAt: newest };
        suppressed += list.length - open.length;
        continue;
      }
      if (g.alerts === 0) {
        // Known: every resource failed the same way in the previous run. The summary reports it.
        if (ctx.previous && ctx.settings.knownErrors === 'summary' && allFailedBefore(ctx.previous.fingerprint, type, open.map(({ e }) => resourceKey(e)))) {
          known += open.length;
          suppressed += list.length;
          continue;
        }
        alerts.push(groupAlert('first', type, c, open.map((x) => x.e), g.count, batch, ctx));
        groups[type] = { ...g, alerts: 1, lastAlertAt: newest };
        suppressed += list.length - open.length;
      } else if (g.lastAlertAt && Date.parse(g.lastAlertAt) + ctx.settings.repeatIntervalMinutes * 60_000 <= Date.parse(newest)) {
        alerts.push(groupAlert('repeat', type, c, open.map((x) => x.e), g.count, batch, ctx, g.alerts));
        groups[type] = { ...g, alerts: g.alerts + 1, lastAlertAt: newest };
        suppressed += list.length - open.length;
      } else {
        suppressed += list.length;
      }
    }
    if (summaryNow) {
      run = { ...run, summarySentAt: run.endedAt, summaryVersion: 1 };
      const summary = buildRunSummaryAlert(summaryInput(run, ctx.settings), {
        id: runAlertId(jobId, runDate, 'summary'),
        kind: 'summary',
        region: ctx.region,
        settings: ctx.settings,
        findings: ctx.findings,
        comparison: comparison(),
      });
      if (summarySilenced(run.endedAt)) {
        silenced++;
        suppressed++;
      } else alerts.push(summary);
      run = { ...run, summarized: snapshot(run) };
    }
  }

  // This batch's digests, in an item of their own; a run of the earlier layout moves its digests there too.
  const appliedEvents: AppliedEvents = {
    jobId,
    runDate,
    n: (current?.appliedEventItems ?? 0) + 1,
    digests: current?.appliedEvents ? Buffer.concat([current.appliedEvents, freshDigests]) : freshDigests,
    expiresAt: expiresAt(ctx.now, ctx.settings.stateRetentionDays),
  };
  run = {
    ...run,
    groups,
    appliedBatches: [...applied, batch.batchKey].slice(-APPLIED_BATCHES_CAP),
    appliedEventItems: appliedEvents.n,
    appliedEvents: undefined,
    pendingAlerts: withIds(current?.pendingAlerts, alerts.map((a) => a.id)),
    version: (current?.version ?? 0) + 1,
    expiresAt: expiresAt(ctx.now, ctx.settings.stateRetentionDays),
  };
  const endedNow = (status === 'COMPLETED' || status === 'CANCELLED') && !TERMINAL.has(current?.status ?? '') ? status : undefined;
  return { duplicate: false, duplicateEvents, freshEvents: fresh, run, appliedEvents, alerts, suppressed, inhibited, silenced, known, ...(endedNow ? { ended: endedNow } : {}) };
}

/** What a silence is asked about one job log event. */
function eventSubject(e: JobLogEvent, jobId: string): SilenceSubject {
  return { type: e.eventType, at: e.occurredAt, jobId, bucket: e.affectedResource?.value, accountId: e.affectedAccount };
}

/** The run's late-findings mark once an alert told `findings`; its count and interval stay the sweeper's. */
function toldFindings(run: RunState, findings: FindingsSummary): LateFindingsMark {
  const mark = run.sweeper?.lateFindings;
  return { updates: mark?.updates ?? 0, lastAt: mark?.lastAt ?? run.summarySentAt ?? run.lastEventAt ?? run.runDate, reported: { total: findings.total, byType: { ...findings.byType } } };
}

/** What the summary is built from: the run, and its pauses told from its status events. */
function summaryInput(run: RunState, settings: PipelineSettings) {
  return { ...run, pauses: pausesOf(run.statusEvents, settings) };
}

const PAUSE_CAUSE: Partial<Record<EventEffect, RunPause['by']>> = { PAUSED_BY_QUOTA: 'QUOTA', PAUSED_BY_USER: 'USER' };

/**
 * The run's pauses, from its status events (the set of pause and resume events, so the story is the same
 * whatever order the events arrived in): each pause lasts until the next resumption. A pause of another
 * cause while one is open (a user pausing a run the quota paused) starts a new pause; the first then has no
 * resumption of its own.
 */
export function pausesOf(statusEvents: readonly string[], settings: PipelineSettings): RunPause[] {
  const events = statusEvents
    .map((entry) => {
      const at = entry.indexOf('@');
      return { effect: classify(entry.slice(0, at), settings).effect, at: entry.slice(at + 1) };
    })
    .filter((e) => PAUSE_CAUSE[e.effect] || e.effect === 'RESUMED')
    .sort((a, b) => compareIso(a.at, b.at) || (a.effect < b.effect ? -1 : a.effect > b.effect ? 1 : 0));
  const pauses: RunPause[] = [];
  let open: RunPause | undefined;
  for (const e of events) {
    const cause = PAUSE_CAUSE[e.effect];
    if (cause) {
      if (open?.by === cause) continue;
      if (open) pauses.push(open);
      open = { by: cause, from: e.at };
    } else if (open) {
      pauses.push({ ...open, to: e.at });
      open = undefined;
    }
  }
  if (open) pauses.push(open);
  return pauses;
}

/**
 * The status events remembered, capped to the newest STATUS_EVENTS_CAP by event time: a status event re-sent
 * late is most likely a recent one. Entries are `${eventType}@${occurredAt}` (event types have no '@'); ties
 * order by text, so the same set gives the same list whatever the arrival order.
 */
function newestStatusEvents(entries: Iterable<string>): string[] {
  const at = (entry: string) => entry.slice(entry.indexOf('@') + 1);
  return [...entries].sort((a, b) => compareIso(at(a), at(b)) || (a < b ? -1 : a > b ? 1 : 0)).slice(-STATUS_EVENTS_CAP);
}

function snapshot(run: RunState): SummarySnapshot {
  return { status: run.status, bucketsMatched: run.bucketsMatched, errors: { ...run.errors } };
}

function describeChanges(previous: SummarySnapshot | undefined, run: RunState): string[] {
  const lines: string[] = [];
  const errs = run.errors;
  if (previous && previous.status !== run.status) lines.push(`Status changed from ${previous.status} to ${run.status}.`);
  if (previous && previous.bucketsMatched !== run.bucketsMatched) lines.push(`Buckets matched: ${previous.bucketsMatched} -> ${run.bucketsMatched}.`);
  for (const type of Object.keys(errs).sort()) {
    const was = previous ? countOf(previous.errors, type) : 0;
    if (errs[type] !== was) lines.push(`${type}: ${errs[type] - was} more (${errs[type]} in all).`);
  }
  if (lines.length === 0) lines.push('Run details changed.');
  return lines;
}

function eventDetails(e: JobLogEvent): AlertDetail[] {
  // Job name, id and run date travel on alert.job, which every rendering shows once.
  const d: AlertDetail[] = [
    { label: 'Event', value: e.eventType },
    { label: 'Occurred at', value: e.occurredAt },
    { label: 'Macie says', value: e.description },
  ];
  if (e.affectedAccount) d.push({ label: 'Affected account', value: e.affectedAccount });
  if (e.affectedResource) d.push({ label: `Affected ${e.affectedResource.type === 'S3_BUCKET_NAME' ? 'bucket' : e.affectedResource.type}`, value: e.affectedResource.value });
  if (e.operation) d.push({ label: 'Operation', value: e.operation });
  return d;
}

function statusAlert(e: JobLogEvent, c: Classification, batch: RunBatch, ctx: ReduceContext): Alert {
  return {
    id: runAlertId(batch.jobId, batch.runDate, `${e.eventType}:${e.occurredAt}`),
    severity: c.severity,
    category: 'JOB_STATUS',
    eventType: e.eventType,
    accountId: batch.adminAccountId,
    region: ctx.region,
    job: { id: batch.jobId, name: batch.jobName, runDate: batch.runDate },
    headline: `Macie job ${batch.jobName}: ${c.title}`,
    whatHappened: `Macie job "${batch.jobName}" (${batch.jobId}), run of ${batch.runDate}: ${c.title} at ${e.occurredAt}. Macie says: ${e.description}`,
    whatItMeans: c.meaning,
    whatToDo: c.whatToDo,
    details: eventDetails(e),
    affected: [],
    count: 1,
    links: jobLinks(ctx.region, batch.jobId),
    sample: false,
    occurredAt: e.occurredAt,
    threadId: batch.jobId,
  };
}

function affectedOf(events: readonly JobLogEvent[]): AffectedResources[] {
  const buckets = [...new Set(events.map((e) => e.affectedResource?.value).filter((v): v is string => !!v))].sort();
  const accounts = [...new Set(events.map((e) => e.affectedAccount).filter((v): v is string => !!v))].sort();
  const out: AffectedResources[] = [];
  if (buckets.length) out.push({ kind: 'bucket', items: buckets.slice(0, AFFECTED_CAP), total: buckets.length });
  if (accounts.length) out.push({ kind: 'account', items: accounts.slice(0, AFFECTED_CAP), total: accounts.length });
  return out;
}

function groupAlert(
  kind: 'first' | 'repeat',
  type: string,
  c: Classification,
  events: readonly JobLogEvent[],
  groupCount: number,
  batch: RunBatch,
  ctx: ReduceContext,
  repeatNumber = 0,
): Alert {
  const newest = newestEvent(events);
  const first = events[0];
  const affected = affectedOf(events);
  const where = affected
    .map((a) => `${a.kind === 'bucket' ? 'bucket' : 'account'}${a.total === 1 ? '' : 's'} ${a.items.join(', ')}${a.total > a.items.length ? ` and ${a.total - a.items.length} more` : ''}`)
    .join('; ');
  const operations = [...new Set(events.map((e) => e.operation).filter((o): o is string => !!o))].sort();
  const what =
    kind === 'first'
      ? `Macie job "${batch.jobName}" (${batch.jobId}), run of ${batch.runDate}: ${c.title}` +
        (where ? ` for ${where}` : '') +
        (operations.length ? ` (operation ${operations.join(', ')})` : '') +
        `. Macie says: ${first.description}` +
        (events.length > 1 ? ` ${events.length} such events in this batch.` : '')
      : `Still occurring: ${groupCount} "${c.title}" events so far in the run of ${batch.runDate} of Macie job "${batch.jobName}" (${batch.jobId}); latest at ${newest.occurredAt}` +
        (where ? `, for ${where}` : '') +
        '.';
  const details: AlertDetail[] = [...eventDetails(first)];
  details.push({ label: kind === 'first' ? 'Events in this batch' : 'Events so far in this run', value: String(kind === 'first' ? events.length : groupCount) });
  if (kind === 'first' && ctx.previous) details.push({ label: 'Since the last run', value: sinceLastRun(type, events, ctx.previous) });
  if (!c.known) details.push({ label: 'Note', value: 'This event type is not in the classification table of this version.' });
  return {
    id: runAlertId(batch.jobId, batch.runDate, kind === 'first' ? `${type}:first` : `${type}:repeat:${repeatNumber}`),
    severity: c.severity,
    category: c.alertCategory,
    eventType: type,
    accountId: batch.adminAccountId,
    region: ctx.region,
    job: { id: batch.jobId, name: batch.jobName, runDate: batch.runDate },
    headline: `Macie job ${batch.jobName}: ${c.title}${kind === 'repeat' ? ` still occurring (${groupCount} so far)` : ''}`,
    whatHappened: what,
    whatItMeans: c.meaning + ' Further events of this kind in this run are counted and reported in the run summary.',
    whatToDo: c.whatToDo,
    details,
    affected,
    count: kind === 'first' ? events.length : groupCount,
    links: jobLinks(ctx.region, batch.jobId),
    sample: false,
    occurredAt: newest.occurredAt,
    threadId: batch.jobId,
  };
}

/** "new: bucket b; failed the same way in the run of <date>: bucket a", for a periodic job's first group alert. */
function sinceLastRun(type: string, events: readonly JobLogEvent[], previous: PreviousRun): string {
  const resources = [...new Set(events.map(resourceKey))].sort();
  const before = resources.filter((r) => allFailedBefore(previous.fingerprint, type, [r]));
  const fresh = resources.filter((r) => !before.includes(r));
  const names = (list: string[]) => `${list.slice(0, AFFECTED_CAP).map(describeResource).join(', ')}${list.length > AFFECTED_CAP ? ` and ${list.length - AFFECTED_CAP} more` : ''}`;
  const parts = [];
  if (fresh.length > 0) parts.push(`new: ${names(fresh)}`);
  if (before.length > 0) parts.push(`failed the same way in the run of ${previous.runDate}: ${names(before)}`);
  return parts.join('; ');
}

/** Events that concern the job, not a run (no run record is made for them). */
export function isJobOnlyEvent(e: JobLogEvent, settings: PipelineSettings): boolean {
  return classify(e.eventType, settings).effect === 'JOB_CREATED';
}

export const RECENT_RUN_STARTS_CAP = 10;

/** The job's own status, for the sweeper: a cancelled or user-paused periodic job has no run due. */
const JOB_STATUS_OF: Partial<Record<EventEffect, JobStatus>> = {
  CANCELLED: 'CANCELLED',
  PAUSED_BY_USER: 'USER_PAUSED',
  RESUMED: 'ACTIVE',
  RUN_STARTED: 'ACTIVE',
};
/** How many routings of undated events the job item remembers (see `undatedKey`). */
export const ROUTED_BATCHES_CAP = 100;

/**
 * The job record: name, kind, the current run (events without runDate attach to it) and the last run dates
 * (the sweeper spots missed scheduled runs from them). Pure, order-independent like the run facts.
 * @param undatedKey batch key of this batch's events that carry no runDate. They go to the job's current run;
 *   the choice is recorded on the job under this key, so a retry of the batch routes them to the same run even
 *   if a newer run started meanwhile (the run's appliedBatches then recognises the retry).
 */
export function reduceJob(
  current: JobState | undefined,
  jobId: string,
  events: readonly JobLogEvent[],
  ctx: Pick<ReduceContext, 'settings' | 'now'>,
  undatedKey?: string,
): { job: JobState; changed: boolean; undatedRun?: string } {
  let { jobName, adminAccountId, nameAt, createdAt, kind, currentRunDate, jobStatus, jobStatusAt } = current ?? {};
  let runDates = current?.recentRunStarts ?? [];
  for (const e of events) {
    // The newest event names the job: Macie job names are fixed, but a stream replayed from elsewhere may differ.
    if (!nameAt || compareIso(e.occurredAt, nameAt) >= 0) {
      jobName = e.jobName;
      adminAccountId = e.adminAccountId;
      nameAt = e.occurredAt;
    }
    const c = classify(e.eventType, ctx.settings);
    if (c.effect === 'JOB_CREATED') createdAt = minIso(createdAt, e.occurredAt);
    // SCHEDULED wins: a periodic job never logs one-time events, so a conflict means the table is wrong.
    if (c.jobKind && kind !== 'SCHEDULED') kind = c.jobKind;
    if (e.runDate) {
      // Equal texts: maxIso would keep the current one.
      if (e.runDate !== currentRunDate) currentRunDate = maxIso(currentRunDate, e.runDate);
      if (!runDates.includes(e.runDate)) runDates = [...runDates, e.runDate].sort(compareIso).slice(-RECENT_RUN_STARTS_CAP);
    }
    const status = JOB_STATUS_OF[c.effect];
    // Later event time wins, except that a cancelled job stays cancelled.
    if (status && jobStatus !== 'CANCELLED' && (status === 'CANCELLED' || !jobStatusAt || compareIso(e.occurredAt, jobStatusAt) >= 0)) {
      jobStatus = status;
      jobStatusAt = e.occurredAt;
    }
  }
  let routedBatches = current?.routedBatches ?? [];
  let undatedRun: string | undefined;
  if (undatedKey) {
    const recorded = routedBatches.find((r) => r.startsWith(`${undatedKey}=`));
    undatedRun = recorded ? recorded.slice(undatedKey.length + 1) : (currentRunDate ?? UNKNOWN_RUN);
    if (!recorded) routedBatches = [...routedBatches, `${undatedKey}=${undatedRun}`].slice(-ROUTED_BATCHES_CAP);
  }
  // A run that logs its completion or cancellation gets its summary in the same write (reduceRun).
  let summarizedRuns = current?.summarizedRuns ?? [];
  for (const e of events) {
    const effect = classify(e.eventType, ctx.settings).effect;
    if (effect !== 'COMPLETED' && effect !== 'CANCELLED') continue;
    const runDate = e.runDate ?? undatedRun ?? UNKNOWN_RUN;
    if (!summarizedRuns.includes(runDate)) summarizedRuns = [...summarizedRuns, runDate].sort(compareIso).slice(-RECENT_RUN_STARTS_CAP);
  }
  let job: JobState = {
    ...current,
    jobId,
    jobName,
    adminAccountId,
    nameAt,
    createdAt,
    kind,
    currentRunDate,
    recentRunStarts: runDates,
    jobStatus,
    jobStatusAt,
    routedBatches,
    summarizedRuns: summarizedRuns.length > 0 ? summarizedRuns : undefined,
  };
  const changed = !current || jobFacts(current) !== jobFacts(job);
  const ttl = expiresAt(ctx.now, ctx.settings.stateRetentionDays);
  // Refresh the TTL at most daily when nothing else changed: a write per batch just for the TTL is waste.
  const stale = current?.expiresAt === undefined || current.expiresAt < ttl - 86400;
  if (changed || stale) job = { ...job, version: (current?.version ?? 0) + 1, expiresAt: ttl };
  return { job, changed: changed || stale, undatedRun };
}

function jobFacts(job: JobState): string {
  // nameAt is bookkeeping: a newer event with the same name is no reason to rewrite the job item.
  return JSON.stringify([job.jobName, job.adminAccountId, job.createdAt, job.kind, job.currentRunDate, job.recentRunStarts, job.jobStatus, job.jobStatusAt, job.routedBatches, job.summarizedRuns]);
}
