import { details, formatCount, type Alert, type AlertCategory, type AlertDetail } from '../core/alert';
import { macieSummaryLink } from '../core/links';
import { AFFECTED_CAP, unionTotal, type NameTotal } from '../job-log/capped-list';
import { bucketsOfType } from '../job-log/bucket-counts';
import { accountCount } from '../state/run-accounts';
import { JOB_EVENT_TYPES } from '../job-log/event-types';
import { SEVERITIES, type Severity } from '../core/severity';
import { digestIndexEntry, type DigestIndexEntry } from '../delivery/alert-item';
import { outboxWrites, type PendingAlerts } from '../delivery/outbox';
import type { PipelineDeps } from '../pipeline-deps';
import { activeSilences, silenceLine, type Silence } from '../silences/silence';
import { describeAck, type Ack } from '../silences/ack';
import { listMuting } from '../silences/ack-store';
import { CorruptItemError } from '../state/codec';
import { DigestCodec } from '../state/digest-items';
import { RunCodec, runEndedAt, runEndReportedAt, type RunState } from '../state/job-items';
import { ConditionalWriteConflict, keyString, notExists, withOptimisticRetry, type Item } from '../state/store';
import { expiresAt, GSI1, GSI2, keys, utcDay } from '../state/table';

/**
 * The daily digest: one INFO alert a day, category DIGEST, built from the state table by the first sweep at
 * or after digestHourUtc (UTC). It covers exactly the 24 hours before that hour, [end - 24 h, end), in UTC:
 * no local time is involved, so a day is 24 h whatever daylight saving does anywhere, and consecutive digests
 * tile time without gap or overlap.
 *
 * What it reads, all bounded by the day's activity and none of it a scan (see docs/operations.md):
 *   - the marks of the last three digests (one BatchGetItem, every sweep);
 *   - the alerts raised in the window: the digest's index (gsi2) lists every alert by the UTC day it was
 *     raised, with a few facts of it (category, severity, type, count, first names), one Query per day;
 *   - the job runs: those whose end is placed since the window began (gsi2, by the day of runEndReportedAt;
 *     then one BatchGetItem per 100 runs) and those still open (gsi1 OPEN_RUN);
 *   - the silences (one Query).
 * Runs and their errors are placed by Macie's event times (a run started, ended, paused), except an end that
 * reached the pipeline after its time: it is placed when it arrived (runEndReportedAt), so an end delivered
 * after the digest covering its time is in the next one, told as reported late, rather than in none. Alerts
 * are placed by when the pipeline raised them, so each alert is in exactly one digest.
 *
 * It is raised once: the digest's mark (DIGEST / <window end>) and its alert go in one conditional write, so
 * of two sweeps racing for the same day one writes and the other finds the mark. A sweep that finds the
 * day before missed (its mark absent while the one before it exists: a sweep failed, or the sweeper rate is a
 * full day and a run came late) raises that one too: one missed day is caught up, not more.
 */

export const DAY_MS = 24 * 3_600_000;

export interface DigestWindow {
  /** ISO 8601, UTC: [start, end). */
  readonly start: string;
  readonly end: string;
}

/**
 * How long after its hour a digest waits. An alert is placed in a window by its createdAt, taken when the
 * invocation that raised it began, and it is committed (then in the index, which is eventually consistent) up
 * to one invocation later: 5 minutes is the longest function timeout. Raised at the hour itself, a digest could
 * miss an alert created just before the hour, which no later window covers.
 */
export const DIGEST_SETTLE_MS = 5 * 60_000;

/** The most recent digest hour at or before `now`: the end of the window due. */
export function latestDigestEnd(now: Date, hourUtc: number): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hourUtc);
  return new Date(today <= now.getTime() ? today : today - DAY_MS);
}

/** The 24 hours ending at `end`. */
export function windowEndingAt(end: Date): DigestWindow {
  return { start: new Date(end.getTime() - DAY_MS).toISOString(), end: end.toISOString() };
}

/**
 * Raises the digests due at deps.now() and returns them for delivery: the latest, unless raised already, and
 * the one before it when that one was missed. Nothing when digestHourUtc is off.
 */
export async function raiseDueDigests(deps: PipelineDeps): Promise<PendingAlerts[]> {
  const hour = deps.settings.digestHourUtc;
  if (hour === undefined) return [];
  const now = deps.now();
  const latest = latestDigestEnd(new Date(now.getTime() - DIGEST_SETTLE_MS), hour).getTime();
  const [beforeMissed, missed, due] = [latest - 2 * DAY_MS, latest - DAY_MS, latest].map((t) => new Date(t));
  const marks = await deps.store.getMany([beforeMissed, missed, due].map((end) => keys.digest(end.toISOString())));
  const raised = (end: Date) => deps.store.lookup(marks, keys.digest(end.toISOString())) !== undefined;
  const windows = [...(!raised(missed) && raised(beforeMissed) ? [missed] : []), ...(!raised(due) ? [due] : [])].map(windowEndingAt);
  const out: PendingAlerts[] = [];
  for (const window of windows) {
    const digest = await raiseDigest(deps, window);
    if (digest) out.push(digest);
  }
  return out;
}

/** Reads the window's state, builds its digest and writes mark and alert together; undefined if another sweep did. */
async function raiseDigest(deps: PipelineDeps, window: DigestWindow): Promise<PendingAlerts | undefined> {
  const now = deps.now();
  const alert = buildDigestAlert(summarizeDigest(await readDigestInputs(deps, window)), deps.region);
  const owner = keys.digest(window.end);
  const retention = deps.settings.stateRetentionDays;
  const mark = DigestCodec.encode({
    windowStart: window.start,
    windowEnd: window.end,
    alertId: alert.id,
    createdAt: now.toISOString(),
    version: 1,
    pendingAlerts: [alert.id],
    expiresAt: expiresAt(now, retention),
  });
  const ops = [{ kind: 'put' as const, item: mark, condition: notExists }, ...outboxWrites([alert], owner, now, retention)];
  // Two sweeps' transactions on the same items at once (contention) are tried again: one finds the other's mark.
  return withOptimisticRetry(async () => {
    try {
      await deps.store.write(ops);
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict) || error.contention) throw error;
      deps.telemetry.info('sweeper: daily digest already raised by another sweep', { alertId: alert.id });
      return undefined;
    }
    deps.telemetry.info('sweeper: daily digest raised', { alertId: alert.id, window });
    return { owner, alertIds: [alert.id] };
  });
}

/** What a digest is made of, as read: alerts raised in the window, the runs that may concern it, the silences. */
export interface DigestInputs {
  readonly window: DigestWindow;
  /** When it was read: silences active then are listed. */
  readonly now: Date;
  readonly alerts: readonly DigestIndexEntry[];
  /** Runs open now, and runs that ended since the window began (each once). */
  readonly runs: readonly RunState[];
  readonly silences: readonly Silence[];
  /** Absent where a digest is built without them (a test that has none). */
  readonly acks?: readonly Ack[];
}

/** Every UTC day (yyyy-mm-dd) from the one holding `from` to the one holding `to`. */
function utcDays(from: number, to: number): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${utcDay(new Date(from).toISOString())}T00:00:00.000Z`); t <= to; t += DAY_MS) days.push(utcDay(new Date(t).toISOString()));
  return days;
}

async function readDigestInputs(deps: PipelineDeps, window: DigestWindow): Promise<DigestInputs> {
  const { store, telemetry } = deps;
  const now = deps.now();
  const [start, end] = [Date.parse(window.start), Date.parse(window.end)];
  const skipped = (what: string, item: Item) => telemetry.warn(`sweeper: digest skipped an unreadable ${what}`, { pk: item.pk, sk: item.sk });

  const alerts: DigestIndexEntry[] = [];
  for (const day of utcDays(start, end - 1)) {
    // Sort keys are `${createdAt}#${alertId}`: BETWEEN start AND end takes exactly createdAt in [start, end).
    for (const item of await store.listDigestIndex(GSI2.alerts(day), window.start, window.end)) {
      const entry = digestIndexEntry(item);
      if (entry) alerts.push(entry);
      else skipped('alert index entry', item);
    }
  }

  // Runs that ended from the window's start until now: those ending after its end were still running in it.
  const endedKeys: { pk: string; sk: string }[] = [];
  for (const day of utcDays(start, now.getTime())) {
    for (const item of await store.listDigestIndex(GSI2.runsEnded(day), window.start, `${now.toISOString()}\uffff`)) {
      if (typeof item.pk === 'string' && typeof item.sk === 'string') endedKeys.push({ pk: item.pk, sk: item.sk });
    }
  }
  const runItems = [...(await store.listIndex(GSI1.openRun)), ...(await store.getMany(endedKeys)).values()];
  // A run listed both ways (it ended while the index still listed it open) counts once, as last written.
  const runs = new Map<string, RunState>();
  for (const item of runItems) {
    try {
      const run = RunCodec.decode(item);
      const k = keyString(keys.run(run.jobId, run.runDate));
      const seen = runs.get(k);
      if (!seen || (run.version ?? 0) > (seen.version ?? 0)) runs.set(k, run);
    } catch (error) {
      if (!(error instanceof CorruptItemError)) throw error;
      skipped('run', item);
    }
  }

  const { silences, acks } = await listMuting(store, (error) => telemetry.warn('sweeper: digest skipped an unreadable silence', { reason: error.message }));
  return { window, now, alerts, runs: [...runs.values()], silences, acks };
}

// ---------------------------------------------------------------------------------------------------------
// From what was read to what the digest says: pure.

/**
 * Lines of each list the digest shows (the rest is counted in one line), names per line and characters per
 * name, label and value: at most 48 rows, each within what the email form shows whole (50 rows, labels of 80
 * and values of 500 characters), so no form has to cut the digest (test/sweeper/digest-limits.test.ts).
 */
export const DIGEST_LIMITS = {
  errorTypes: 10,
  findingTypes: 10,
  apiCalls: 8,
  silences: 5,
  acks: 4,
  names: 5,
  nameChars: 64,
  labelChars: 80,
  valueChars: 480,
} as const;

/** Macie's pause events, from the job-log room's event table. */
const PAUSE_EVENTS: ReadonlySet<string> = new Set(
  Object.entries(JOB_EVENT_TYPES).flatMap(([type, t]) => (t.effect === 'PAUSED_BY_QUOTA' || t.effect === 'PAUSED_BY_USER' ? [type] : [])),
);
const FINDING_CATEGORIES: ReadonlySet<AlertCategory> = new Set(['SENSITIVE_DATA_FINDING', 'POLICY_FINDING']);

/** Names ranked by how often they occur (then by name), the first few shown. */
interface Ranked {
  readonly top: readonly { readonly name: string; readonly n: number }[];
  readonly distinct: number;
  /** Counted from capped lists (a run kept the first names only): `distinct` is a lower bound. */
  readonly atLeast?: boolean;
}

export interface DigestRuns {
  /** Runs that were running at some point of the window. */
  readonly active: number;
  readonly started: number;
  readonly completed: number;
  readonly completedWithErrors: number;
  readonly cancelled: number;
  readonly paused: number;
  readonly noBuckets: number;
  /** Still running (or paused) at the window's end, as far as the pipeline knew by then. */
  readonly running: number;
  /** Of completed, cancelled and noBuckets: runs that ended before the window, reported only in it (latest first). */
  readonly reportedLate: readonly LateRunEnd[];
  /** Runs cancelled, with errors (not silenced) or paused in the window, most severe first (troubledRunOrder). */
  readonly troubled: readonly TroubledRun[];
}

/** A run the digest names: what went wrong with it. */
export interface TroubledRun {
  readonly job: string;
  readonly runDate: string;
  readonly trouble: 'cancelled' | 'errors' | 'paused';
  /** Error events not silenced. */
  readonly errors: number;
  readonly completed: boolean;
  readonly paused: boolean;
}

const TROUBLE_RANK: Record<TroubledRun['trouble'], number> = { cancelled: 0, errors: 1, paused: 2 };

/** Most severe first: cancelled (nothing more will be scanned), then by errors, then paused; then by job and run. Pure. */
export function troubledRunOrder(a: TroubledRun, b: TroubledRun): number {
  return (
    TROUBLE_RANK[a.trouble] - TROUBLE_RANK[b.trouble] ||
    b.errors - a.errors ||
    (a.job < b.job ? -1 : a.job > b.job ? 1 : 0) ||
    (a.runDate < b.runDate ? -1 : a.runDate > b.runDate ? 1 : 0)
  );
}

/** A run whose end reached the pipeline after the digest that covers its time: told in the next one. */
export interface LateRunEnd {
  readonly job: string;
  readonly status: RunState['status'];
  readonly endedAt: string;
}

export interface DigestErrorType {
  readonly type: string;
  /** Events not silenced, in the runs active in the window (whole runs). */
  readonly events: number;
  readonly silenced: number;
  readonly runs: number;
  readonly resourceKind: 'bucket' | 'account';
  /** Buckets (or accounts) by the number of those runs in which they failed this way. */
  readonly resources: Ranked;
}

export interface DigestFindingType {
  readonly severity: Severity;
  readonly type: string;
  readonly alerts: number;
  /** Findings the alerted groups (or policy findings) had counted by their last alert in the window. */
  readonly findings: number;
  readonly buckets: Ranked;
}

export interface DigestApiCall {
  readonly call: string;
  readonly alerts: number;
  readonly principals: Ranked;
}

export interface DigestContent {
  readonly window: DigestWindow;
  readonly accountId: string;
  readonly runs: DigestRuns;
  readonly errorTypes: readonly DigestErrorType[];
  readonly findingTypes: readonly DigestFindingType[];
  /** Alerts about Macie's sample findings (not your data), counted apart. */
  readonly sampleFindingAlerts: number;
  readonly apiCalls: readonly DigestApiCall[];
  /** Alerts raised in the window (digests and self-test alerts excluded), by severity and by category. */
  readonly alerts: {
    readonly total: number;
    readonly bySeverity: Partial<Record<Severity, number>>;
    readonly byCategory: Partial<Record<AlertCategory, number>>;
  };
  readonly silences: readonly Silence[];
  /** Acknowledgements in force during the window (earliest end first): what on-call said they were on. */
  readonly acks: readonly Ack[];
}

function ms(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}

class Counter {
  private readonly counts = new Map<string, number>();
  add(name: string, n = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }
  ranked(max: number): Ranked {
    const top = [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, max);
    return { top: top.map(([name, n]) => ({ name, n })), distinct: this.counts.size };
  }
}

/** One run's count of an error type's buckets or accounts, and how many names it kept. */
interface CountedPart {
  readonly total: NameTotal;
  readonly listed: number;
}

/** The names ranked, their number the exact count of the runs' sets when it is known (unionTotal). */
function counted(ranked: Ranked, parts: readonly CountedPart[]): Ranked {
  const total = unionTotal(parts, ranked.distinct);
  return { ...ranked, distinct: total.count, ...(total.exact ? {} : { atLeast: true }) };
}

/** The accounts one error type of a run named: exact from its account set, else its capped list. */
function accountsOfType(run: RunState, type: string, listed: readonly string[]): NameTotal {
  const fromSet = accountCount(run.accounts, type);
  if (fromSet.count > 0) return fromSet;
  return { count: listed.length, exact: listed.length < AFFECTED_CAP };
}

function mostFrequent(values: readonly string[]): string | undefined {
  const c = new Counter();
  for (const v of values) if (v) c.add(v);
  return c.ranked(1).top[0]?.name;
}

export function summarizeDigest(inputs: DigestInputs): DigestContent {
  const { window } = inputs;
  const [start, end] = [Date.parse(window.start), Date.parse(window.end)];
  const inWindow = (t: number | undefined) => t !== undefined && start <= t && t < end;
  const N = DIGEST_LIMITS.names;

  // Runs: those running at some point of [start, end), as far as the pipeline knew (an end placed where it arrived).
  const endOf = (r: RunState) => ms(runEndReportedAt(r));
  const active = inputs.runs.filter((r) => {
    const began = ms(r.startedAt ?? r.runDate);
    const ended = endOf(r);
    return (began === undefined || began < end) && (ended === undefined || ended >= start);
  });
  const unsilenced = (r: RunState, type: string) => r.errors[type] - silencedOf(r, type);
  const hasErrors = (r: RunState) => Object.keys(r.errors).some((type) => unsilenced(r, type) > 0);
  const paused = (r: RunState) => inWindow(ms(r.pausedAt)) || r.statusEvents.some((e) => PAUSE_EVENTS.has(e.type) && inWindow(ms(e.at)));
  const endedIn = (r: RunState, status: RunState['status']) => r.status === status && inWindow(endOf(r));
  const late = active.filter((r) => inWindow(endOf(r)) && (ms(runEndedAt(r)) ?? end) < start);
  const runs: DigestRuns = {
    active: active.length,
    started: active.filter((r) => inWindow(ms(r.startedAt))).length,
    completed: active.filter((r) => endedIn(r, 'COMPLETED')).length,
    completedWithErrors: active.filter((r) => endedIn(r, 'COMPLETED') && hasErrors(r)).length,
    cancelled: active.filter((r) => endedIn(r, 'CANCELLED')).length,
    paused: active.filter(paused).length,
    noBuckets: active.filter((r) => inWindow(r.status === 'NO_BUCKETS' ? endOf(r) : ms(r.noBucketsAt))).length,
    running: active.filter((r) => {
      const ended = endOf(r);
      return ended === undefined || ended >= end;
    }).length,
    reportedLate: late
      .map((r) => ({ job: r.jobName || r.jobId, status: r.status, endedAt: runEndedAt(r)! }))
      .sort((a, b) => (a.endedAt > b.endedAt ? -1 : a.endedAt < b.endedAt ? 1 : a.job < b.job ? -1 : 1)),
    troubled: active
      .flatMap((r): TroubledRun[] => {
        const errors = Object.keys(r.errors).reduce((n, type) => n + Math.max(0, unsilenced(r, type)), 0);
        const wasPaused = paused(r);
        const trouble = endedIn(r, 'CANCELLED') ? 'cancelled' : errors > 0 ? 'errors' : wasPaused ? 'paused' : undefined;
        return trouble ? [{ job: r.jobName || r.jobId, runDate: r.runDate, trouble, errors, completed: endedIn(r, 'COMPLETED'), paused: wasPaused }] : [];
      })
      .sort(troubledRunOrder),
  };

  // Errors of those runs, by type.
  const byType = new Map<
    string,
    { events: number; silenced: number; runs: number; buckets: Counter; accounts: Counter; totals: { buckets: CountedPart[]; accounts: CountedPart[] } }
  >();
  for (const r of active) {
    for (const [type, n] of Object.entries(r.errors)) {
      if (n <= 0) continue;
      const t = byType.get(type) ?? {
        events: 0,
        silenced: 0,
        runs: 0,
        buckets: new Counter(),
        accounts: new Counter(),
        totals: { buckets: [], accounts: [] },
      };
      const silenced = Math.min(n, silencedOf(r, type));
      t.events += n - silenced;
      t.silenced += silenced;
      t.runs += 1;
      const affected = Object.hasOwn(r.affected, type) ? r.affected[type] : undefined;
      for (const b of affected?.buckets ?? []) t.buckets.add(b);
      for (const a of affected?.accounts ?? []) t.accounts.add(a);
      t.totals.buckets.push({ total: bucketsOfType(r, type), listed: affected?.buckets.length ?? 0 });
      t.totals.accounts.push({ total: accountsOfType(r, type, affected?.accounts ?? []), listed: affected?.accounts.length ?? 0 });
      byType.set(type, t);
    }
  }
  const errorTypes: DigestErrorType[] = [...byType]
    .map(([type, t]) => {
      const buckets = t.buckets.ranked(N);
      return buckets.distinct > 0
        ? {
            type,
            events: t.events,
            silenced: t.silenced,
            runs: t.runs,
            resourceKind: 'bucket' as const,
            resources: counted(buckets, t.totals.buckets),
          }
        : {
            type,
            events: t.events,
            silenced: t.silenced,
            runs: t.runs,
            resourceKind: 'account' as const,
            resources: counted(t.accounts.ranked(N), t.totals.accounts),
          };
    })
    .sort((a, b) => b.events + b.silenced - (a.events + a.silenced) || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));

  // Alerts raised in the window, the digests themselves left out.
  // Digests and self-test alerts are about the pipeline, not about what Macie did that day.
  const alerts = inputs.alerts.filter((a) => a.facts.category !== 'DIGEST' && a.facts.category !== 'TEST');
  const bySeverity: Partial<Record<Severity, number>> = {};
  const byCategory: Partial<Record<AlertCategory, number>> = {};
  for (const { facts } of alerts) {
    bySeverity[facts.severity] = (bySeverity[facts.severity] ?? 0) + 1;
    byCategory[facts.category] = (byCategory[facts.category] ?? 0) + 1;
  }

  // Findings alerts, by severity and type: a sensitive-data group's findings are what its latest alert
  // counted; a policy finding is one finding however many times it occurred (its alerts count occurrences).
  const findings = new Map<string, { severity: Severity; type: string; alerts: number; groups: Map<string, number>; buckets: Counter }>();
  let sampleFindingAlerts = 0;
  for (const { facts, owner } of alerts) {
    if (!FINDING_CATEGORIES.has(facts.category)) continue;
    if (facts.sample) {
      sampleFindingAlerts++;
      continue;
    }
    const k = `${facts.severity}\u0000${facts.eventType}`;
    const f = findings.get(k) ?? { severity: facts.severity, type: facts.eventType, alerts: 0, groups: new Map<string, number>(), buckets: new Counter() };
    f.alerts++;
    const group = keyString(owner);
    f.groups.set(group, facts.category === 'POLICY_FINDING' ? 1 : Math.max(f.groups.get(group) ?? 0, facts.count));
    for (const a of facts.affected) if (a.kind === 'bucket') for (const b of a.items) f.buckets.add(b);
    findings.set(k, f);
  }
  const findingTypes: DigestFindingType[] = [...findings.values()]
    .map((f) => ({
      severity: f.severity,
      type: f.type,
      alerts: f.alerts,
      findings: [...f.groups.values()].reduce((s, n) => s + n, 0),
      buckets: f.buckets.ranked(N),
    }))
    .sort(
      (a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || b.findings - a.findings || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0),
    );

  const calls = new Map<string, { alerts: number; principals: Counter }>();
  for (const { facts } of alerts) {
    if (facts.category !== 'API_CALL') continue;
    const c = calls.get(facts.eventType) ?? { alerts: 0, principals: new Counter() };
    c.alerts++;
    for (const a of facts.affected) if (a.kind === 'principal') for (const p of a.items) c.principals.add(p);
    calls.set(facts.eventType, c);
  }
  const apiCalls: DigestApiCall[] = [...calls]
    .map(([call, c]) => ({ call, alerts: c.alerts, principals: c.principals.ranked(N) }))
    .sort((a, b) => b.alerts - a.alerts || (a.call < b.call ? -1 : a.call > b.call ? 1 : 0));

  return {
    window,
    accountId: mostFrequent(active.map((r) => r.adminAccountId)) ?? mostFrequent(alerts.map((a) => a.facts.accountId)) ?? 'unknown',
    runs,
    errorTypes,
    findingTypes,
    sampleFindingAlerts,
    apiCalls,
    alerts: { total: alerts.length, bySeverity, byCategory },
    silences: activeSilences(inputs.silences, inputs.now),
    acks: acksInWindow(inputs.acks ?? [], inputs.window),
  };
}

/** Acknowledgements that held anything in the window: begun before its end, ended after its start. Pure. */
export function acksInWindow(acks: readonly Ack[], window: DigestWindow): Ack[] {
  return acks
    .filter((a) => a.startsAt < window.end && a.endsAt > window.start)
    .sort((a, b) => (a.endsAt < b.endsAt ? -1 : a.endsAt > b.endsAt ? 1 : a.id < b.id ? -1 : 1));
}

/** Events of one type in a run that a silence matched (counted on the run, never alerted). */
function silencedOf(run: RunState, type: string): number {
  let n = 0;
  for (const s of Object.values(run.silenced ?? {})) if (Object.hasOwn(s.events, type)) n += s.events[type];
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// The alert.

const num = formatCount;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

/** "2026-11-02T09:00:00.000Z" -> "2026-11-02 09:00 UTC". */
function when(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** At most `max` characters (code points), the last one an ellipsis when cut. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${[...text].slice(0, max - 1).join('')}…`;
}

function shortName(name: string): string {
  return cut(name, DIGEST_LIMITS.nameChars);
}

/** "a (3 runs), b (2 runs), c and 4 more": the top names, with how often each occurs when more than once. */
function names(ranked: Ranked, unit: string): string {
  const shown = ranked.top.map(({ name, n }) => (n > 1 ? `${shortName(name)} (${plural(n, unit)})` : shortName(name)));
  const more = ranked.distinct - ranked.top.length;
  // From capped lists: those not kept are not counted, so "at least".
  if (ranked.atLeast) return `${shown.join(', ')} and ${more > 0 ? `at least ${num(more)} ` : ''}more`;
  return `${shown.join(', ')}${more > 0 ? ` and ${num(more)} more` : ''}`;
}

/** "Nightly (COMPLETED 2026-11-01 08:00 UTC), ... and 2 more": the runs whose end the last digest could not tell. */
function lateEnds(late: readonly LateRunEnd[]): string {
  const shown = late.slice(0, DIGEST_LIMITS.names).map((r) => `${shortName(r.job)} (${r.status} ${when(r.endedAt)})`);
  const more = late.length - shown.length;
  return `ended before this window, reached this pipeline after the digest that covers their end: ${shown.join(', ')}${more > 0 ? ` and ${num(more)} more` : ''}`;
}

/** "2026-11-01 10:00 UTC", or the run date as recorded when it is not a time. */
function runWhen(runDate: string): string {
  return Number.isFinite(Date.parse(runDate)) && runDate.length >= 16 ? when(runDate) : shortName(runDate);
}

/** "nightly (run 2026-11-01 10:00 UTC): completed with 3 errors": what went wrong, in the run's own words. */
export function troubledRunText(r: TroubledRun): string {
  const what = [
    ...(r.trouble === 'cancelled' ? ['cancelled'] : []),
    ...(r.errors > 0 ? [r.completed ? `completed with ${plural(r.errors, 'error')}` : plural(r.errors, 'error')] : []),
    ...(r.paused ? ['paused'] : []),
  ];
  return `${shortName(r.job)} (run ${runWhen(r.runDate)}): ${what.join(', ')}`;
}

/** The first few troubled runs, most severe first, and how many more. */
function troubledRuns(runs: readonly TroubledRun[]): string {
  const shown = runs.slice(0, DIGEST_LIMITS.names).map(troubledRunText);
  const more = runs.length - shown.length;
  return `${shown.join('; ')}${more > 0 ? `; and ${num(more)} more` : ''}`;
}

function counts<K extends string>(order: readonly K[], by: Partial<Record<K, number>>): string {
  return order.flatMap((k) => (by[k] ? [`${k} ${num(by[k]!)}`] : [])).join(', ');
}

/** The first `max` items as rows, and one row counting the rest. */
function capped<T>(items: readonly T[], max: number, row: (item: T) => AlertDetail, rest: (items: readonly T[]) => AlertDetail): AlertDetail[] {
  return [...items.slice(0, max).map(row), ...(items.length > max ? [rest(items.slice(max))] : [])];
}

function bounded(d: AlertDetail): AlertDetail {
  return { label: cut(d.label, DIGEST_LIMITS.labelChars), value: cut(d.value, DIGEST_LIMITS.valueChars) };
}

export function buildDigestAlert(c: DigestContent, region: string): Alert {
  const { runs, window } = c;
  const errorEvents = c.errorTypes.reduce((s, t) => s + t.events, 0);
  const findings = c.findingTypes.reduce((s, f) => s + f.findings, 0);
  const findingAlerts = c.findingTypes.reduce((s, f) => s + f.alerts, 0);
  const callAlerts = c.apiCalls.reduce((s, a) => s + a.alerts, 0);
  const L = DIGEST_LIMITS;

  const runsLine = [
    `${num(runs.started)} started`,
    `${num(runs.completed)} completed${runs.completedWithErrors > 0 ? ` (${num(runs.completedWithErrors)} with errors)` : ''}`,
    `${num(runs.cancelled)} cancelled`,
    `${num(runs.paused)} paused`,
    ...(runs.noBuckets > 0 ? [`${num(runs.noBuckets)} matched no buckets`] : []),
    `${num(runs.running)} still running at the end`,
    ...(runs.reportedLate.length > 0 ? [`${num(runs.reportedLate.length)} reported late (ended before the window)`] : []),
  ].join(', ');
  const findingsBySeverity: Partial<Record<Severity, number>> = {};
  for (const f of c.findingTypes) findingsBySeverity[f.severity] = (findingsBySeverity[f.severity] ?? 0) + f.findings;
  const topError = c.errorTypes[0];

  const headline =
    runs.active + errorEvents + findings + callAlerts === 0
      ? `Macie daily digest ${when(window.end)}: no runs, no findings, no API-call alerts`
      : `Macie daily digest ${when(window.end)}: ${plural(runs.active, 'run')}, ${plural(errorEvents, 'error')}, ${plural(findings, 'finding')}, ${plural(callAlerts, 'API-call alert')}`;

  const sentences = [
    `In the 24 hours from ${when(window.start)} to ${when(window.end)}:`,
    runs.active > 0 ? `job runs: ${runsLine}.` : 'no job run was running.',
    runs.troubled.length > 0 ? `Runs to look at: ${troubledRuns(runs.troubled)}.` : '',
    errorEvents > 0
      ? `Errors in those runs: ${plural(errorEvents, 'event')} of ${plural(c.errorTypes.length, 'type')}, most of them ${shortName(topError.type)} (${num(topError.events)} in ${plural(topError.runs, 'run')}).`
      : runs.active > 0
        ? 'No errors in those runs.'
        : '',
    findingAlerts > 0
      ? `Findings: ${num(findings)} in ${plural(findingAlerts, 'alert')} (${counts([...SEVERITIES].reverse(), findingsBySeverity)}).`
      : 'No findings alerts.',
    callAlerts > 0
      ? `API calls: ${plural(callAlerts, 'alert')} (${c.apiCalls
          .slice(0, 3)
          .map((a) => `${shortName(a.call)} ${num(a.alerts)}`)
          .join(', ')}${c.apiCalls.length > 3 ? ', ...' : ''}).`
      : 'No API-call alerts.',
    `Alerts raised in all: ${num(c.alerts.total)}${c.alerts.total > 0 ? ` (${counts([...SEVERITIES].reverse(), c.alerts.bySeverity)})` : ''}.`,
    c.silences.length > 0 ? `${plural(c.silences.length, 'silence')} active now.` : '',
    c.acks.length > 0 ? `${plural(c.acks.length, 'acknowledgement')} held reminders in the window.` : '',
  ];

  const rows: AlertDetail[] = [
    ...details([
      ['Window (UTC)', `${window.start} to ${window.end} (24 h)`],
      ['Job runs', runs.active > 0 ? `${num(runs.active)} in the window: ${runsLine}` : 'none'],
      ['Runs to look at', runs.troubled.length > 0 ? troubledRuns(runs.troubled) : undefined],
      ['Reported late', runs.reportedLate.length > 0 ? lateEnds(runs.reportedLate) : undefined],
    ]),
    ...capped(
      c.errorTypes,
      L.errorTypes,
      (t) => ({
        label: `Errors: ${shortName(t.type)}`,
        value:
          `${plural(t.events, 'event')} in ${plural(t.runs, 'run')}${t.silenced > 0 ? ` (and ${num(t.silenced)} silenced)` : ''}` +
          (t.resources.distinct > 0 ? `; ${t.resourceKind === 'bucket' ? 'buckets' : 'accounts'}: ${names(t.resources, 'run')}` : ''),
      }),
      (rest) => ({
        label: 'Errors: other types',
        value: `${plural(rest.length, 'type')}, ${plural(
          rest.reduce((s, t) => s + t.events, 0),
          'event',
        )}`,
      }),
    ),
    ...capped(
      c.findingTypes,
      L.findingTypes,
      (f) => ({
        label: `Findings ${f.severity}: ${shortName(f.type)}`,
        value: `${plural(f.findings, 'finding')} from ${plural(f.alerts, 'alert')}${f.buckets.distinct > 0 ? `; buckets: ${names(f.buckets, 'alert')}` : ''}`,
      }),
      (rest) => ({
        label: 'Findings: other types',
        value: `${plural(rest.length, 'type')}, ${plural(
          rest.reduce((s, f) => s + f.findings, 0),
          'finding',
        )}`,
      }),
    ),
    ...details([
      ['Sample findings', c.sampleFindingAlerts > 0 ? `${plural(c.sampleFindingAlerts, 'alert')} about Macie's sample findings (not your data)` : undefined],
    ]),
    ...capped(
      c.apiCalls,
      L.apiCalls,
      (a) => ({
        label: `API call: ${shortName(a.call)}`,
        value: `${plural(a.alerts, 'alert')}${a.principals.distinct > 0 ? `; by ${names(a.principals, 'alert')}` : ''}`,
      }),
      (rest) => ({
        label: 'API calls: others',
        value: `${plural(rest.length, 'call')}, ${plural(
          rest.reduce((s, a) => s + a.alerts, 0),
          'alert',
        )}`,
      }),
    ),
    ...details([
      ['Alerts raised', `${num(c.alerts.total)}${c.alerts.total > 0 ? `: ${counts([...SEVERITIES].reverse(), c.alerts.bySeverity)}` : ''}`],
      ['Alerts by category', counts(Object.keys(c.alerts.byCategory).sort() as AlertCategory[], c.alerts.byCategory)],
    ]),
    ...capped(
      c.silences,
      L.silences,
      (s) => ({ label: 'Silence', value: silenceLine(s) }),
      (rest) => ({ label: 'Silences: others', value: `${plural(rest.length, 'more silence')} active (macie-alerts silence list)` }),
    ),
    ...capped(
      c.acks,
      L.acks,
      (a) => ({ label: 'Acknowledged', value: `${shortName(a.alertId)}: ${describeAck(a)}` }),
      (rest) => ({ label: 'Acknowledged: others', value: `${plural(rest.length, 'more acknowledgement')} (macie-alerts ack list --all)` }),
    ),
  ];

  return {
    id: `digest:${window.end}`,
    severity: 'INFO',
    category: 'DIGEST',
    eventType: 'DAILY_DIGEST',
    accountId: c.accountId,
    region,
    headline,
    whatHappened: sentences.filter(Boolean).join(' '),
    whatItMeans:
      "The daily digest: what Macie and this pipeline did in the last 24 hours, once a day. Every alert it counts was sent when it was raised (an event a silence matched was counted, not sent), so nothing here needs action by itself. Runs and their errors are placed by Macie's event times, alerts by when they were raised.",
    whatToDo:
      "Nothing, if the figures look as usual.\nAn error type or bucket that comes back day after day is worth fixing at its source: the run summaries say what to do.\nTo receive only the digest, or everything but it, set the subscriber's categories (docs/settings.md, Subscribers).",
    details: rows.map(bounded),
    affected: [],
    count: 1,
    links: [{ label: 'Macie summary', url: macieSummaryLink(region) }],
    sample: false,
    occurredAt: window.end,
    threadId: 'macie-alerts-digest',
  };
}
