import type { AlertCategory } from '../core/alert';
import { SEVERITIES, type Severity } from '../core/severity';
import type { DigestIndexEntry } from '../delivery/alert-item';
import { bucketsOfType } from '../job-log/bucket-counts';
import { AFFECTED_CAP, unionTotal, type NameTotal } from '../job-log/capped-list';
import { JOB_EVENT_TYPES } from '../job-log/event-types';
import type { Ack } from '../silences/ack';
import { activeSilences, type Silence } from '../silences/silence';
import { runEndedAt, runEndReportedAt, type RunState } from '../state/job-items';
import { accountCount } from '../state/run-accounts';
import { keyString } from '../state/store';

/**
 * What the daily digest counts, from what was read (digest.ts reads it): the runs of the window and those to
 * look at, the errors by type with their buckets or accounts (exact where the runs counted them), the findings,
 * API-call alerts, alerts, silences and acknowledgements. Pure; digest-alert.ts words it.
 */

export interface DigestWindow {
  /** ISO 8601, UTC: [start, end). */
  readonly start: string;
  readonly end: string;
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
export interface Ranked {
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
  // Runs: those running at some point of [start, end), as far as the pipeline knew (an end placed where it arrived).
  const active = inputs.runs.filter((r) => {
    const began = ms(r.startedAt ?? r.runDate);
    const ended = ms(runEndReportedAt(r));
    return (began === undefined || began < end) && (ended === undefined || ended >= start);
  });
  // Alerts raised in the window, the digests themselves left out.
  // Digests and self-test alerts are about the pipeline, not about what Macie did that day.
  const alerts = inputs.alerts.filter((a) => a.facts.category !== 'DIGEST' && a.facts.category !== 'TEST');
  const bySeverity: Partial<Record<Severity, number>> = {};
  const byCategory: Partial<Record<AlertCategory, number>> = {};
  for (const { facts } of alerts) {
    bySeverity[facts.severity] = (bySeverity[facts.severity] ?? 0) + 1;
    byCategory[facts.category] = (byCategory[facts.category] ?? 0) + 1;
  }
  const { findingTypes, sampleFindingAlerts } = summarizeFindings(alerts);
  return {
    window,
    accountId: mostFrequent(active.map((r) => r.adminAccountId)) ?? mostFrequent(alerts.map((a) => a.facts.accountId)) ?? 'unknown',
    runs: summarizeRuns(active, start, end),
    errorTypes: summarizeErrors(active),
    findingTypes,
    sampleFindingAlerts,
    apiCalls: summarizeApiCalls(alerts),
    alerts: { total: alerts.length, bySeverity, byCategory },
    silences: activeSilences(inputs.silences, inputs.now),
    acks: acksInWindow(inputs.acks ?? [], inputs.window),
  };
}

/** The runs active in [start, end): how many started, ended which way, paused, and those to look at. */
function summarizeRuns(active: readonly RunState[], start: number, end: number): DigestRuns {
  const inWindow = (t: number | undefined) => t !== undefined && start <= t && t < end;
  const endOf = (r: RunState) => ms(runEndReportedAt(r));
  const unsilenced = (r: RunState, type: string) => r.errors[type] - silencedOf(r, type);
  const hasErrors = (r: RunState) => Object.keys(r.errors).some((type) => unsilenced(r, type) > 0);
  const paused = (r: RunState) => inWindow(ms(r.pausedAt)) || r.statusEvents.some((e) => PAUSE_EVENTS.has(e.type) && inWindow(ms(e.at)));
  const endedIn = (r: RunState, status: RunState['status']) => r.status === status && inWindow(endOf(r));
  const late = active.filter((r) => inWindow(endOf(r)) && (ms(runEndedAt(r)) ?? end) < start);
  return {
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
}

/** One error type across the window's runs, as it is added up. */
interface ErrorTypeTally {
  events: number;
  silenced: number;
  runs: number;
  readonly buckets: Counter;
  readonly accounts: Counter;
  readonly totals: { readonly buckets: CountedPart[]; readonly accounts: CountedPart[] };
}

/** Errors of the runs, by type, biggest first: each with its buckets (or accounts) and how many. */
function summarizeErrors(active: readonly RunState[]): DigestErrorType[] {
  const N = DIGEST_LIMITS.names;
  const byType = new Map<string, ErrorTypeTally>();
  for (const r of active) {
    for (const [type, n] of Object.entries(r.errors)) {
      if (n <= 0) continue;
      const t = byType.get(type) ?? { events: 0, silenced: 0, runs: 0, buckets: new Counter(), accounts: new Counter(), totals: { buckets: [], accounts: [] } };
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
  return [...byType]
    .map(([type, t]): DigestErrorType => {
      const buckets = t.buckets.ranked(N);
      const counts = { type, events: t.events, silenced: t.silenced, runs: t.runs };
      return buckets.distinct > 0
        ? { ...counts, resourceKind: 'bucket', resources: counted(buckets, t.totals.buckets) }
        : { ...counts, resourceKind: 'account', resources: counted(t.accounts.ranked(N), t.totals.accounts) };
    })
    .sort((a, b) => b.events + b.silenced - (a.events + a.silenced) || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/**
 * Findings alerts, by severity and type: a sensitive-data group's findings are what its latest alert
 * counted; a policy finding is one finding however many times it occurred (its alerts count occurrences).
 */
function summarizeFindings(alerts: readonly DigestIndexEntry[]): { findingTypes: DigestFindingType[]; sampleFindingAlerts: number } {
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
  const findingTypes = [...findings.values()]
    .map((f) => ({
      severity: f.severity,
      type: f.type,
      alerts: f.alerts,
      findings: [...f.groups.values()].reduce((s, n) => s + n, 0),
      buckets: f.buckets.ranked(DIGEST_LIMITS.names),
    }))
    .sort(
      (a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || b.findings - a.findings || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0),
    );
  return { findingTypes, sampleFindingAlerts };
}

/** API-call alerts by call, most first, with the principals that made them. */
function summarizeApiCalls(alerts: readonly DigestIndexEntry[]): DigestApiCall[] {
  const calls = new Map<string, { alerts: number; principals: Counter }>();
  for (const { facts } of alerts) {
    if (facts.category !== 'API_CALL') continue;
    const c = calls.get(facts.eventType) ?? { alerts: 0, principals: new Counter() };
    c.alerts++;
    for (const a of facts.affected) if (a.kind === 'principal') for (const p of a.items) c.principals.add(p);
    calls.set(facts.eventType, c);
  }
  return [...calls]
    .map(([call, c]) => ({ call, alerts: c.alerts, principals: c.principals.ranked(DIGEST_LIMITS.names) }))
    .sort((a, b) => b.alerts - a.alerts || (a.call < b.call ? -1 : a.call > b.call ? 1 : 0));
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
