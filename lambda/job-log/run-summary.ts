import { formatCount, type Alert, type AlertDetail, type AffectedResources, type SilencedCount } from '../core/alert';
import { classify, JOB_EVENT_TYPES, severityOf } from './event-types';
import { jobLinks } from '../core/links';
import type { PipelineSettings } from '../core/settings';
import { atLeast, maxSeverity, severitiesPresent, type Severity } from '../core/severity';
import { describeSilence } from '../silences/silence';
import type { SilencedEvents } from '../state/codec';
import { bucketsOfRun, bucketsOfType } from './bucket-counts';
import { AFFECTED_CAP, countWords, firstOfWords, isCapped, namesWords } from './capped-list';
import { accountCount, firstAccounts, type RunAccounts } from '../state/run-accounts';
import { describeCompared, FINGERPRINT_CAP, type RunComparison } from './run-compare';
import type { FindingsSummary } from './run-findings';
import { summaryHeadline, type HeadlineFacts } from './summary-headline';
import { moreAcks, type RunAcks } from './run-acks';

/**
 * The run summary: the alert users read most. Pure: built from the run record (run-facts.ts) and the run's
 * findings groups (written by the findings pipeline under the job's partition).
 */
export interface RunSummaryInput {
  readonly jobId: string;
  readonly jobName: string;
  readonly runDate: string;
  readonly adminAccountId: string;
  readonly status: string;
  /** The event type that set the status (JOB_COMPLETED, SCHEDULED_RUN_COMPLETED, JOB_CANCELLED, ...). */
  readonly statusEvent?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly lastEventAt?: string;
  readonly bucketsMatched: number;
  readonly noBucketsAt?: string;
  readonly pausedAt?: string;
  readonly pausedBy?: string;
  readonly errors: Readonly<Record<string, number>>;
  readonly affected: Readonly<Record<string, { buckets: readonly string[]; accounts: readonly string[]; total: number }>>;
  /** Distinct buckets per error type, exact (bucket-counts.ts); a type without one has only its capped list. */
  readonly bucketCounts?: Readonly<Record<string, number>>;
  /** Every pause of the run, oldest first (see run-pauses.ts). */
  readonly pauses: readonly RunPause[];
  /** Every account the errors named (runs written before it was kept: the affected lists alone). */
  readonly accounts?: RunAccounts;
  /** Events counted but not alerted because a silence matched them, by silence id. */
  readonly silenced?: Readonly<Record<string, SilencedEvents>>;
}

type SummarySettings = Pick<PipelineSettings, 'severityOverrides' | 'knownErrors'>;

/** One pause of a run: by the monthly quota or by a user, from when, and until when it was resumed. */
export interface RunPause {
  readonly by: 'QUOTA' | 'USER';
  readonly from: string;
  /** When it was resumed; absent when no resumption was logged. */
  readonly to?: string;
}

/** What changed since the last summary, for a "run summary updated" alert. */
export interface SummaryChanges {
  readonly lines: readonly string[];
}

const num = formatCount;
const plural = (n: number, one: string, many = `${one}s`) => `${num(n)} ${n === 1 ? one : many}`;

/** "5 findings silenced: silence S-3 by alice until ... (reason)", per silence, with the JSON form's counts. */
function silencedFindingLines(findings: FindingsSummary | undefined): { sentence: string; counts: SilencedCount[] }[] {
  return Object.entries(findings?.silenced ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, s]) => {
      const n = Object.values(s.events).reduce((sum, c) => sum + c, 0);
      return {
        sentence: `${plural(n, 'sensitive data finding')} silenced: ${describeSilence({ id, ...s })}`,
        counts: Object.entries(s.events).map(([what, count]) => ({ silenceId: id, what, count })),
      };
    });
}

export function formatDuration(fromIso: string | undefined, toIso: string | undefined): string | undefined {
  if (!fromIso || !toIso) return undefined;
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h ${m} min`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

/** Errors per type less those a silence matched: what the summary's severity and corrections go by. */
export function unsilencedErrors(run: Pick<RunSummaryInput, 'errors' | 'silenced'>): Record<string, number> {
  const left: Record<string, number> = { ...run.errors };
  for (const s of Object.values(run.silenced ?? {})) {
    for (const [type, n] of Object.entries(s.events)) if (Object.hasOwn(left, type)) left[type] -= n;
  }
  return left;
}

/**
 * Severity of the summary: INFO for a clean run, else the most severe error (NO_BUCKETS counts: nothing was
 * analysed). Silenced errors do not raise it: a silence is a decision not to be told, and a summary that
 * turned HIGH every night because of them would bring back the noise it was made to stop (the summary still
 * lists them). An error type whose every resource failed the same way in the previous run counts at most
 * MEDIUM (knownErrors: summary): still worth reading, no longer news.
 */
export function summarySeverity(run: RunSummaryInput, settings: SummarySettings, comparison?: RunComparison): Severity {
  const seen: Severity[] = Object.entries(unsilencedErrors(run))
    .filter(([, n]) => n > 0)
    .map(([type]) => {
      const severity = severityOf(type, settings);
      return settings.knownErrors === 'summary' && comparison?.knownTypes.has(type) && atLeast(severity, 'MEDIUM') ? 'MEDIUM' : severity;
    });
  if (run.noBucketsAt) seen.push(severityOf('NO_BUCKETS_MATCHED_THE_CRITERIA', settings));
  if (run.status === 'CANCELLED') seen.push(severityOf('JOB_CANCELLED', settings));
  // The last word on a quota pause (a HIGH alert) must not read as routine.
  if (run.pauses.some((p) => p.by === 'QUOTA')) seen.push('LOW');
  return maxSeverity(...seen);
}

function errorTypesBySize(run: RunSummaryInput): [string, number][] {
  return Object.entries(run.errors)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
}

function errorLine(type: string, count: number, run: RunSummaryInput): string {
  const a = run.affected[type];
  const parts: string[] = [];
  if (a?.buckets.length) {
    const buckets = bucketsOfType(run, type);
    parts.push(`buckets: ${firstOfWords(a.buckets, buckets.count, buckets.exact, ['bucket', 'buckets'])}`);
  }
  if (a?.accounts.length) parts.push(`accounts: ${accountsOfType(run, type, a.accounts)}`);
  return `${num(count)}${parts.length ? ` (${parts.join('; ')})` : ''}`;
}

/** Some error type's names of this kind reached the cap: the union may miss names, so its size is a lower bound. */
function anyCapped(run: RunSummaryInput, kind: 'buckets' | 'accounts'): boolean {
  return Object.values(run.affected).some((a) => isCapped(a[kind]));
}

/** The accounts of one error type: exact when the run kept them (runs before it did: the capped list). */
function accountsOfType(run: RunSummaryInput, type: string, kept: readonly string[]): string {
  const counted = run.accounts && accountCount(run.accounts, type);
  if (!counted || counted.count === 0) return namesWords(kept, isCapped(kept), ['account', 'accounts']);
  return firstOfWords(kept, counted.count, counted.exact, ['account', 'accounts']);
}

/** The accounts any error named: the first by name, how many, and whether that is exact. */
function allAccounts(run: RunSummaryInput): AccountsView {
  if (run.accounts && run.accounts.flags.size > 0) {
    const { count, exact } = accountCount(run.accounts);
    return { first: firstAccounts(run.accounts, AFFECTED_CAP), total: count, exact };
  }
  const names = [...new Set(Object.values(run.affected).flatMap((a) => a.accounts))].sort();
  return { first: names, total: names.length, exact: !anyCapped(run, 'accounts') };
}

interface AccountsView {
  readonly first: readonly string[];
  readonly total: number;
  readonly exact: boolean;
}

function statusWords(run: RunSummaryInput): string {
  switch (run.status) {
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
      return 'was cancelled';
    case 'PAUSED':
      return 'is paused';
    case 'NO_BUCKETS':
      return 'found no buckets to analyse';
    default:
      return 'is still running';
  }
}

const PAUSED_BY: Record<RunPause['by'], string> = { QUOTA: 'by the monthly quota', USER: 'by a user' };

/** "paused by the monthly quota from X to Y (10 h 0 min), then resumed" for one pause, or each of several. */
function describePauses(pauses: readonly RunPause[]): string | undefined {
  const one = (p: RunPause) =>
    p.to
      ? `${PAUSED_BY[p.by]} from ${p.from} to ${p.to}${withDuration(p.from, p.to)}, then resumed`
      : `${PAUSED_BY[p.by]} from ${p.from}, with no resumption logged`;
  if (pauses.length === 0) return undefined;
  if (pauses.length === 1) return `paused ${one(pauses[0])}`;
  return `paused ${num(pauses.length)} times: ${pauses.map(one).join('; ')}`;
}

function withDuration(from: string, to: string): string {
  const d = formatDuration(from, to);
  return d ? ` (${d})` : '';
}

const SILENCED_WHAT: Record<string, [string, string]> = {
  BUCKET_ERROR: ['bucket error', 'bucket errors'],
  ACCOUNT_ERROR: ['account error', 'account errors'],
  UNKNOWN: ['unrecognised job event', 'unrecognised job events'],
};

/** Per silence: "12 bucket errors and 1 account error", its counts per type, and the silence as recorded. */
function silencedBySilence(run: RunSummaryInput) {
  return Object.entries(run.silenced ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, s]) => {
      const byWhat = new Map<string, number>();
      const counts: SilencedCount[] = [];
      for (const [type, n] of Object.entries(s.events).sort(([a], [b]) => (a < b ? -1 : 1))) {
        const effect = classify(type).effect;
        const key = SILENCED_WHAT[effect] ? effect : 'STATUS';
        byWhat.set(key, (byWhat.get(key) ?? 0) + n);
        counts.push({ silenceId: id, what: type, count: n });
      }
      const what = [...byWhat.entries()].map(([key, n]) => {
        const [one, many] = SILENCED_WHAT[key] ?? ['job status event', 'job status events'];
        return `${num(n)} ${n === 1 ? one : many}`;
      });
      return { id, author: s.author, reason: s.reason, endsAt: s.endsAt, what: what.join(' and '), counts };
    });
}

export interface SummaryOptions {
  readonly id: string;
  readonly kind: 'summary' | 'update';
  readonly region: string;
  readonly settings: SummarySettings;
  readonly findings?: FindingsSummary;
  readonly changes?: SummaryChanges;
  /** A periodic job's run compared with its previous completed run (run-compare.ts). */
  readonly comparison?: RunComparison;
  /** The acknowledgements of this run's alerts (run-acks.ts). */
  readonly acks?: RunAcks;
}

/** What every part of the summary reads, worked out once. */
interface SummaryView {
  readonly run: RunSummaryInput;
  readonly opts: SummaryOptions;
  readonly errorTypes: [string, number][];
  readonly totalErrors: number;
  readonly accounts: AccountsView;
  readonly start: string;
  readonly end?: string;
  readonly duration?: string;
  readonly silenced: ReturnType<typeof silencedBySilence>;
  readonly silencedFindings: ReturnType<typeof silencedFindingLines>;
}

function summaryView(run: RunSummaryInput, opts: SummaryOptions): SummaryView {
  const errorTypes = errorTypesBySize(run);
  const start = run.startedAt ?? run.runDate;
  return {
    run,
    opts,
    errorTypes,
    totalErrors: errorTypes.reduce((s, [, n]) => s + n, 0),
    accounts: allAccounts(run),
    start,
    end: run.endedAt,
    duration: formatDuration(start, run.endedAt),
    silenced: silencedBySilence(run),
    silencedFindings: silencedFindingLines(opts.findings),
  };
}

/**
 * The summary alert (kind 'summary') or a correction after late events (kind 'update', with `changes`).
 * Everything users need is in whatHappened / details; whatToDo lists one action per error type.
 */
export function buildRunSummaryAlert(run: RunSummaryInput, opts: SummaryOptions): Alert {
  const view = summaryView(run, opts);
  const { region } = opts;
  const { silenced, silencedFindings } = view;
  return {
    id: opts.id,
    severity: summarySeverity(run, opts.settings, opts.comparison),
    category: 'JOB_RUN_SUMMARY',
    // The Macie event that ended the run, so a subscription can filter summaries of cancelled runs.
    eventType: run.statusEvent ?? (run.status === 'CANCELLED' ? 'JOB_CANCELLED' : 'JOB_COMPLETED'),
    accountId: run.adminAccountId,
    region,
    job: { id: run.jobId, name: run.jobName, runDate: run.runDate },
    headline: summaryHeadline(headlineFacts(view)),
    whatHappened: summarySentences(view).join(' '),
    whatItMeans: summaryMeaning(view),
    whatToDo: summaryToDo(view),
    details: summaryDetails(view),
    affected: summaryAffected(view),
    count: Math.max(1, view.totalErrors),
    ...(silenced.length + silencedFindings.length > 0
      ? { silenced: [...silenced.flatMap((s) => s.counts), ...silencedFindings.flatMap((f) => f.counts)] }
      : {}),
    links: jobLinks(region, run.jobId),
    sample: false,
    occurredAt: view.end ?? run.lastEventAt ?? run.runDate,
    threadId: run.jobId,
  };
}

function headlineFacts({ run, opts, totalErrors }: SummaryView): HeadlineFacts {
  const silencedErrors = totalErrors - Object.values(unsilencedErrors(run)).reduce((n, left) => n + Math.max(0, left), 0);
  return {
    kind: opts.kind,
    jobName: run.jobName,
    runDate: run.runDate,
    status: run.status,
    noBuckets: run.noBucketsAt !== undefined,
    quotaPauses: run.pauses.filter((p) => p.by === 'QUOTA').length,
    totalErrors,
    silencedErrors,
    ...(opts.findings ? { findings: opts.findings.total } : {}),
    ...(opts.comparison ? { comparison: opts.comparison } : {}),
  };
}

function summarySentences({ run, opts, errorTypes, totalErrors, accounts, start, end, duration, silenced, silencedFindings }: SummaryView): string[] {
  const { comparison, findings } = opts;
  const sentences: string[] = [];
  if (opts.kind === 'update') {
    sentences.push(`Events arrived after the summary of this run was sent. ${opts.changes?.lines.join(' ') ?? ''}`.trim());
    sentences.push('Corrected totals follow.');
  }
  const pauseStory = describePauses(run.pauses);
  sentences.push(
    `The run of Macie job "${run.jobName}" (${run.jobId}) that started ${start}${pauseStory ? ` was ${pauseStory}, and` : ''} ${statusWords(run)}` +
      (end ? ` at ${end}${duration ? ` after ${duration}` : ''}` : '') +
      '.',
  );
  sentences.push(matchedSentence(run, failingBuckets(run)));
  if (totalErrors > 0) {
    sentences.push(
      `${plural(totalErrors, 'error')} of ${plural(errorTypes.length, 'type')} kept it from analysing some data: ` +
        errorTypes.map(([type, n]) => `${num(n)} × ${classify(type).title}`).join(', ') +
        (accounts.total ? `, in ${countWords(accounts.total, !accounts.exact, ['account', 'accounts'])}` : '') +
        '.',
    );
  } else {
    sentences.push('No errors were logged.');
  }
  for (const s of silenced) sentences.push(`${s.what} silenced: ${describeSilence(s)}.`);
  if (opts.acks?.named.length) sentences.push(`Repeats and reminders held: ${[...opts.acks.named, moreAcks(opts.acks.more)].filter(Boolean).join('; ')}.`);
  if (comparison) {
    sentences.push(
      `Compared with the last run (${comparison.previousRunDate}), by bucket and account${comparison.partial ? ` (exact up to ${num(FINGERPRINT_CAP)} per run)` : ''}: ` +
        `${num(comparison.newSince.length)} newly failing, ${num(comparison.stillFailing.length)} still failing` +
        (run.status === 'COMPLETED' ? `, ${num(comparison.fixed.length)} no longer failing (fixed, or no longer in this run)` : '') +
        '.',
    );
  }
  if (findings) {
    sentences.push(
      findings.total > 0
        ? `It produced ${plural(findings.total, 'sensitive data finding')} (${severitiesPresent(findings.bySeverity)
            .map(([s, n]) => `${num(n)} ${s}`)
            .join(', ')}) in ${plural(findings.bucketCount, 'bucket')}.`
        : 'It produced no sensitive data findings.',
    );
  }
  for (const f of silencedFindings) sentences.push(`${f.sentence}.`);
  return sentences;
}

function summaryMeaning({ run, totalErrors }: SummaryView): string {
  if (run.status === 'CANCELLED')
    return `${JOB_EVENT_TYPES.JOB_CANCELLED.meaning} ${totalErrors ? 'Errors before the cancellation also left data unanalysed.' : ''}`.trim();
  if (run.noBucketsAt) return JOB_EVENT_TYPES.NO_BUCKETS_MATCHED_THE_CRITERIA.meaning;
  if (totalErrors > 0) return 'The buckets and accounts named here were not (fully) analysed: the findings of this run do not cover them.';
  return 'The run analysed every bucket it matched; its findings are complete.';
}

function summaryToDo({ run, opts, errorTypes }: SummaryView): string {
  const todo: string[] = [];
  if (run.status === 'CANCELLED') todo.push(`Cancellation: ${JOB_EVENT_TYPES.JOB_CANCELLED.whatToDo}`);
  if (run.noBucketsAt) todo.push(`No buckets matched: ${JOB_EVENT_TYPES.NO_BUCKETS_MATCHED_THE_CRITERIA.whatToDo}`);
  for (const [type] of errorTypes) {
    const kind = classify(type);
    todo.push(`${kind.title[0].toUpperCase()}${kind.title.slice(1)} (${type}): ${kind.whatToDo}`);
  }
  if (opts.findings && opts.findings.total > 0) todo.push('Review the findings of this run in the Macie console.');
  return todo.length > 0 ? todo.join('\n') : 'Nothing: the run was clean.';
}

function summaryDetails({ run, opts, errorTypes, totalErrors, accounts, start, end, duration, silenced, silencedFindings }: SummaryView): AlertDetail[] {
  const { comparison, findings } = opts;
  // Job name, id and run date are on the alert itself (alert.job): every rendering shows them once.
  const details: AlertDetail[] = [
    { label: 'Status', value: run.status },
    { label: 'Started', value: start },
  ];
  if (end) details.push({ label: 'Ended', value: end });
  if (duration) details.push({ label: 'Duration', value: duration });
  for (const [i, p] of run.pauses.entries()) {
    details.push({
      label: run.pauses.length === 1 ? 'Paused' : `Pause ${i + 1}`,
      value: `${p.to ? `${p.from} to ${p.to}${withDuration(p.from, p.to)}` : `${p.from}, no resumption logged`}, by ${p.by === 'QUOTA' ? 'Macie (monthly quota)' : 'a user'}`,
    });
  }
  details.push({ label: 'Buckets matched', value: matchedValue(run) });
  details.push({ label: 'Errors', value: num(totalErrors) });
  for (const [type, n] of errorTypes) details.push({ label: `Errors (${type})`, value: errorLine(type, n, run) });
  if (accounts.total)
    details.push({ label: 'Accounts affected', value: firstOfWords(accounts.first, accounts.total, accounts.exact, ['account', 'accounts']) });
  if (findings) details.push(...findingsDetails(findings));
  for (const s of silenced) details.push({ label: 'Silenced', value: `${s.what}: ${describeSilence(s)}` });
  for (const f of silencedFindings) details.push({ label: 'Silenced', value: f.sentence });
  for (const value of [...(opts.acks?.named ?? []), moreAcks(opts.acks?.more ?? 0)]) if (value) details.push({ label: 'Acknowledged', value });
  if (comparison) {
    details.push({ label: 'New since the last run', value: describeCompared(comparison.newSince) });
    details.push({ label: 'Still failing', value: describeCompared(comparison.stillFailing) });
    if (run.status === 'COMPLETED') details.push({ label: 'No longer failing (fixed, or no longer in this run)', value: describeCompared(comparison.fixed) });
  }
  if (opts.changes?.lines.length) details.push({ label: 'Changed since last summary', value: opts.changes.lines.join(' ') });
  return details;
}

function findingsDetails(findings: FindingsSummary): AlertDetail[] {
  const details: AlertDetail[] = [{ label: 'Findings', value: num(findings.total) }];
  if (findings.total === 0) return details;
  details.push({
    label: 'Findings by severity',
    value: severitiesPresent(findings.bySeverity)
      .map(([s, n]) => `${s} ${num(n)}`)
      .join(', '),
  });
  details.push({
    label: 'Findings by type',
    value: Object.entries(findings.byType)
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
      .map(([t, n]) => `${t} ${num(n)}`)
      .join(', '),
  });
  details.push({ label: 'Buckets with most findings', value: findings.topBuckets.map((b) => `${b.bucket} (${num(b.count)})`).join(', ') });
  return details;
}

/** The buckets the run's errors name (the names kept), and whether a capped list may have left some out. */
function failingBuckets(run: RunSummaryInput): { names: string[]; total: number; atLeast: boolean } {
  const { names, count, exact } = bucketsOfRun(run);
  return { names, total: count, atLeast: !exact };
}

/**
 * Macie logs BUCKET_MATCHED_THE_CRITERIA only for a job that selects buckets by criteria: a run that logged
 * none (and no NO_BUCKETS_MATCHED_THE_CRITERIA) has a bucket list, and how many buckets it covered is not told.
 */
function matchedSentence(run: RunSummaryInput, failing: { total: number; atLeast: boolean }): string {
  if (run.noBucketsAt) return 'No bucket matched the job criteria: the run analysed no data.';
  if (run.bucketsMatched === 0)
    return 'Macie logged no matched buckets: it logs them only for a job that selects buckets by criteria, not for a job with a bucket list.';
  const errors = failing.total > run.bucketsMatched ? `; its errors name ${failing.atLeast ? 'at least ' : ''}${plural(failing.total, 'bucket')}` : '';
  return `Macie logged ${plural(run.bucketsMatched, 'bucket')} as matching the job's criteria${errors}.`;
}

function matchedValue(run: RunSummaryInput): string {
  if (run.noBucketsAt || run.bucketsMatched > 0) return num(run.bucketsMatched);
  return 'not logged (Macie logs them only for a job that selects buckets by criteria)';
}

function summaryAffected({ run, accounts }: SummaryView): AffectedResources[] {
  const { names: bucketNames, total, atLeast } = failingBuckets(run);
  // Every name kept, when no list was capped: the exact count. Otherwise the names kept are a lower bound.
  const affected: AffectedResources[] = [];
  if (bucketNames.length) affected.push({ kind: 'bucket', items: bucketNames.slice(0, 10), total, ...(atLeast ? { atLeast: true } : {}) });
  if (accounts.total)
    affected.push({ kind: 'account', items: accounts.first.slice(0, 10), total: accounts.total, ...(accounts.exact ? {} : { atLeast: true }) });
  return affected;
}
