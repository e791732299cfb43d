import { formatCount, type AffectedResources, type Alert, type AlertDetail } from '../core/alert';
import { jobLinks } from '../core/links';
import type { PipelineSettings } from '../core/settings';
import type { Ack } from '../silences/ack';
import type { RunGroup, RunState, SummarySnapshot } from '../state/job-items';
import { AFFECTED_CAP } from './capped-list';
import { classify, severityOf, type EventEffect } from './event-types';
import type { GroupDecision } from './event-outcomes';
import type { JobLogEvent, LogEvent } from './log-events';
import { allFailedBefore, compareRuns, describeResource, resourceKey, type PreviousRun } from './run-compare';
import type { RunIdentity } from './run-facts';
import { runAcks } from './run-acks';
import { pausesOf } from './run-pauses';
import type { FindingsSummary } from './run-findings';
import { buildRunSummaryAlert, type SummaryChanges } from './run-summary';
import { countOf } from './type-maps';

/** The words of a run's alerts: one per status event, one per error group (first, still occurring), the summary. */

export interface RunAlertContext {
  readonly settings: PipelineSettings;
  readonly region: string;
  readonly findings?: FindingsSummary;
  readonly previous?: PreviousRun;
  /** The acknowledgements as read for this batch: the summary names those of this run's alerts. */
  readonly acks?: readonly Ack[];
}

export function runAlertId(jobId: string, runDate: string, suffix: string): string {
  return `run:${jobId}:${runDate}:${suffix}`;
}

function eventDetails(e: JobLogEvent): AlertDetail[] {
  // Job name, id and run date travel on alert.job, and the event type on alert.eventType: every rendering shows them once.
  const d: AlertDetail[] = [
    { label: 'Occurred at', value: e.occurredAt },
    { label: 'Macie says', value: e.description },
  ];
  if (e.affectedAccount) d.push({ label: 'Affected account', value: e.affectedAccount });
  if (e.affectedResource)
    d.push({ label: `Affected ${e.affectedResource.type === 'S3_BUCKET_NAME' ? 'bucket' : e.affectedResource.type}`, value: e.affectedResource.value });
  if (e.operation) d.push({ label: 'Operation', value: e.operation });
  return d;
}

/** A pause, resumption or no-buckets event, alerted on its own. */
export function statusAlert({ event: e, kind }: LogEvent, run: RunIdentity, ctx: RunAlertContext): Alert {
  return {
    id: runAlertId(run.jobId, run.runDate, `${e.eventType}:${e.occurredAt}`),
    severity: severityOf(e.eventType, ctx.settings),
    category: 'JOB_STATUS',
    eventType: e.eventType,
    accountId: run.adminAccountId,
    region: ctx.region,
    job: { id: run.jobId, name: run.jobName, runDate: run.runDate },
    headline: `Macie job ${run.jobName}: ${kind.title}`,
    whatHappened: `Macie job "${run.jobName}" (${run.jobId}), run of ${run.runDate}: ${kind.title} at ${e.occurredAt}. Macie says: ${e.description}`,
    whatItMeans: kind.meaning,
    whatToDo: kind.whatToDo,
    details: eventDetails(e),
    affected: [],
    count: 1,
    links: jobLinks(ctx.region, run.jobId),
    sample: false,
    occurredAt: e.occurredAt,
    threadId: run.jobId,
  };
}

/** What the job's time between runs means, by the event that began or ended it. */
const BETWEEN_RUNS: Partial<Record<EventEffect, string>> = {
  PAUSED_BY_USER: 'While it is paused its scheduled runs do not start; the sweeper reminds you of the runs it misses until it is resumed.',
  PAUSED_BY_QUOTA: 'While it is paused its scheduled runs do not start.',
  RESUMED: 'Its scheduled runs start again.',
  CANCELLED: 'It will run no more: a cancelled job cannot be restarted.',
};

/**
 * An event about the job that arrived after its run's summary (job-events.ts): a periodic job paused, resumed or
 * cancelled between runs. Told with the run it landed on, which had ended, not as a change of that run.
 */
export function jobEventAlert(
  logEvent: LogEvent,
  run: Pick<RunState, 'jobId' | 'runDate' | 'jobName' | 'adminAccountId' | 'status' | 'endedAt'>,
  ctx: RunAlertContext,
): Alert {
  const { event: e, kind } = logEvent;
  const ended = run.endedAt ? `${run.status === 'CANCELLED' ? 'was cancelled' : 'completed'} at ${run.endedAt}` : 'had ended';
  return {
    ...statusAlert(logEvent, run, ctx),
    job: { id: run.jobId, name: run.jobName },
    whatHappened:
      `Macie job "${run.jobName}" (${run.jobId}): ${kind.title} at ${e.occurredAt}, between runs: its last run, of ${run.runDate}, ${ended}. ` +
      `${BETWEEN_RUNS[kind.effect] ?? ''} Macie says: ${e.description}`.trimStart(),
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

/** The alert of an error group the outcomes stage let through: its first, or "still occurring"; none for the other verdicts. */
export function groupAlerts(decision: GroupDecision, group: RunGroup, run: RunIdentity, ctx: RunAlertContext): Alert[] {
  if (decision.verdict !== 'first' && decision.verdict !== 'repeat') return [];
  const first = decision.verdict === 'first';
  const { type } = decision;
  const kind = classify(type);
  const events = decision.open.map((e) => e.event);
  const newestAt = decision.newest!.iso;
  // A "still occurring" alert names the resources of the newest events (those that set it off), and says so.
  const affected = affectedOf(events).map((a) => (first ? a : { ...a, scope: 'of the newest events' }));
  const where = affected
    .map(
      (a) =>
        `${a.kind === 'bucket' ? 'bucket' : 'account'}${a.total === 1 ? '' : 's'} ${a.items.join(', ')}${a.total > a.items.length ? ` and ${formatCount(a.total - a.items.length)} more` : ''}`,
    )
    .join('; ');
  const operations = [...new Set(events.map((e) => e.operation).filter((o): o is string => !!o))].sort();
  const what = first
    ? `Macie job "${run.jobName}" (${run.jobId}), run of ${run.runDate}: ${kind.title}` +
      (where ? ` for ${where}` : '') +
      (operations.length ? ` (operation ${operations.join(', ')})` : '') +
      `. Macie says: ${events[0].description}` +
      (events.length > 1 ? ` ${formatCount(events.length)} such events in this alert.` : '')
    : `Still occurring: ${formatCount(group.count)} "${kind.title}" events so far in the run of ${run.runDate} of Macie job "${run.jobName}" (${run.jobId}); ` +
      `latest at ${newestAt}.` +
      (where ? ` The newest ${events.length === 1 ? 'event is' : `${formatCount(events.length)} are`} for ${where}.` : '');
  const details: AlertDetail[] = [...eventDetails(events[0])];
  if (first) details.push({ label: 'Events in this alert', value: formatCount(events.length) });
  else details.push({ label: 'Newest events', value: formatCount(events.length) }, { label: 'Events so far in this run', value: formatCount(group.count) });
  if (first && ctx.previous) details.push({ label: 'Since the last run', value: sinceLastRun(type, events, ctx.previous) });
  if (!kind.known) details.push({ label: 'Note', value: 'This event type is not in the classification table of this version.' });
  return [
    {
      id: runAlertId(run.jobId, run.runDate, first ? `${type}:first` : `${type}:repeat:${group.alerts}`),
      severity: severityOf(type, ctx.settings),
      category: kind.alertCategory,
      eventType: type,
      accountId: run.adminAccountId,
      region: ctx.region,
      job: { id: run.jobId, name: run.jobName, runDate: run.runDate },
      // What tells a "still occurring" alert from its group's others (the count) comes before the job name, which may be cut.
      headline: first
        ? `Macie job ${run.jobName}: ${kind.title}`
        : `Still occurring (${formatCount(group.count)} so far): Macie job ${run.jobName}: ${kind.title}`,
      whatHappened: what,
      whatItMeans:
        kind.meaning +
        ` Further events of this kind in this run are counted: while they go on, a "still occurring" alert comes at most every ${formatRepeatInterval(ctx.settings.repeatIntervalMinutes)}, and the run summary gives the total.`,
      whatToDo: kind.whatToDo,
      details,
      affected,
      count: first ? events.length : group.count,
      links: jobLinks(ctx.region, run.jobId),
      sample: false,
      occurredAt: newestAt,
      threadId: run.jobId,
    },
  ];
}

/** "60 min", "6 h", "1 d 12 h": the repeat interval as a reader counts it. */
function formatRepeatInterval(minutes: number): string {
  if (minutes < 60 || minutes % 60 !== 0) return `${formatCount(minutes)} min`;
  const hours = minutes / 60;
  return hours < 24 || hours % 24 !== 0 ? `${formatCount(hours)} h` : `${formatCount(hours / 24)} d`;
}

/** "new: bucket b; failed the same way in the run of <date>: bucket a", for a periodic job's first group alert. */
function sinceLastRun(type: string, events: readonly JobLogEvent[], previous: PreviousRun): string {
  const resources = [...new Set(events.map(resourceKey))].sort();
  const before = resources.filter((r) => allFailedBefore(previous.fingerprint, type, [r]));
  const fresh = resources.filter((r) => !before.includes(r));
  const names = (list: string[]) =>
    `${list.slice(0, AFFECTED_CAP).map(describeResource).join(', ')}${list.length > AFFECTED_CAP ? ` and ${list.length - AFFECTED_CAP} more` : ''}`;
  const parts = [];
  if (fresh.length > 0) parts.push(`new: ${names(fresh)}`);
  if (before.length > 0) parts.push(`failed the same way in the run of ${previous.runDate}: ${names(before)}`);
  return parts.join('; ');
}

/** The run summary, or its correction after late events (kind 'update', with the changes). */
export function summaryAlert(
  run: RunState,
  opts: { readonly id: string; readonly kind: 'summary' | 'update'; readonly changes?: SummaryChanges },
  ctx: RunAlertContext,
): Alert {
  return buildRunSummaryAlert(
    { ...run, pauses: pausesOf(run.statusEvents, run.endedAt) },
    {
      ...opts,
      region: ctx.region,
      settings: ctx.settings,
      findings: ctx.findings,
      comparison: ctx.previous ? compareRuns(ctx.previous, run.fingerprint, run.status === 'COMPLETED') : undefined,
      acks: runAcks(ctx.acks ?? [], run.jobId, run.runDate, run.startedAt ?? run.runDate, run.endedAt),
    },
  );
}

/** What a correction says changed since the summary (or the last correction). */
export function describeChanges(previous: SummarySnapshot | undefined, run: RunState): string[] {
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
