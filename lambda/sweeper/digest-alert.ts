import { details, formatCount, type Alert, type AlertCategory, type AlertDetail } from '../core/alert';
import { macieSummaryLink } from '../core/links';
import { SEVERITIES, type Severity } from '../core/severity';
import { describeAck } from '../silences/ack';
import { silenceLine } from '../silences/silence';
import { DIGEST_LIMITS, type DigestContent, type LateRunEnd, type Ranked, type TroubledRun } from './digest-content';

/** The words of the daily digest: its headline, sentences and rows, each row within every form's limits. Pure. */

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
  const { window } = c;
  return {
    id: `digest:${window.end}`,
    severity: 'INFO',
    category: 'DIGEST',
    eventType: 'DAILY_DIGEST',
    accountId: c.accountId,
    region,
    headline: digestHeadline(c),
    whatHappened: digestSentences(c).filter(Boolean).join(' '),
    whatItMeans:
      "The daily digest: what Macie and this pipeline did in the last 24 hours, once a day. Every alert it counts was sent when it was raised (an event a silence matched was counted, not sent), so nothing here needs action by itself. Runs and their errors are placed by Macie's event times, alerts by when they were raised.",
    whatToDo:
      "Nothing, if the figures look as usual.\nAn error type or bucket that comes back day after day is worth fixing at its source: the run summaries say what to do.\nTo receive only the digest, or everything but it, set the subscriber's categories (docs/settings.md, Subscribers).",
    details: [...runRows(c), ...errorRows(c), ...findingRows(c), ...apiCallRows(c), ...alertRows(c), ...mutingRows(c)].map(bounded),
    affected: [],
    count: 1,
    links: [{ label: 'Macie summary', url: macieSummaryLink(region) }],
    sample: false,
    occurredAt: window.end,
    threadId: 'macie-alerts-digest',
  };
}

/** The day's totals: what the headline and the sentences add up. */
function totals(c: DigestContent) {
  return {
    errorEvents: c.errorTypes.reduce((s, t) => s + t.events, 0),
    findings: c.findingTypes.reduce((s, f) => s + f.findings, 0),
    findingAlerts: c.findingTypes.reduce((s, f) => s + f.alerts, 0),
    callAlerts: c.apiCalls.reduce((s, a) => s + a.alerts, 0),
  };
}

function digestHeadline(c: DigestContent): string {
  const { errorEvents, findings, callAlerts } = totals(c);
  if (c.runs.active + errorEvents + findings + callAlerts === 0) return `Macie daily digest ${when(c.window.end)}: no runs, no findings, no API-call alerts`;
  return `Macie daily digest ${when(c.window.end)}: ${plural(c.runs.active, 'run')}, ${plural(errorEvents, 'error')}, ${plural(findings, 'finding')}, ${plural(callAlerts, 'API-call alert')}`;
}

/** "2 started, 1 completed (1 with errors), ...": the runs of the window. */
function runsLine(runs: DigestContent['runs']): string {
  return [
    `${num(runs.started)} started`,
    `${num(runs.completed)} completed${runs.completedWithErrors > 0 ? ` (${num(runs.completedWithErrors)} with errors)` : ''}`,
    `${num(runs.cancelled)} cancelled`,
    `${num(runs.paused)} paused`,
    ...(runs.noBuckets > 0 ? [`${num(runs.noBuckets)} matched no buckets`] : []),
    `${num(runs.running)} still running at the end`,
    ...(runs.reportedLate.length > 0 ? [`${num(runs.reportedLate.length)} reported late (ended before the window)`] : []),
  ].join(', ');
}

/** The sentences of whatHappened, empty where there is nothing to say. */
function digestSentences(c: DigestContent): string[] {
  const { runs, window } = c;
  const { errorEvents, findings, findingAlerts, callAlerts } = totals(c);
  const findingsBySeverity: Partial<Record<Severity, number>> = {};
  for (const f of c.findingTypes) findingsBySeverity[f.severity] = (findingsBySeverity[f.severity] ?? 0) + f.findings;
  const topError = c.errorTypes[0];
  return [
    `In the 24 hours from ${when(window.start)} to ${when(window.end)}:`,
    runs.active > 0 ? `job runs: ${runsLine(runs)}.` : 'no job run was running.',
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
}

function runRows({ runs, window }: DigestContent): AlertDetail[] {
  return details([
    ['Window (UTC)', `${window.start} to ${window.end} (24 h)`],
    ['Job runs', runs.active > 0 ? `${num(runs.active)} in the window: ${runsLine(runs)}` : 'none'],
    ['Runs to look at', runs.troubled.length > 0 ? troubledRuns(runs.troubled) : undefined],
    ['Reported late', runs.reportedLate.length > 0 ? lateEnds(runs.reportedLate) : undefined],
  ]);
}

function errorRows(c: DigestContent): AlertDetail[] {
  return capped(
    c.errorTypes,
    DIGEST_LIMITS.errorTypes,
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
  );
}

function findingRows(c: DigestContent): AlertDetail[] {
  return [
    ...capped(
      c.findingTypes,
      DIGEST_LIMITS.findingTypes,
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
  ];
}

function apiCallRows(c: DigestContent): AlertDetail[] {
  return capped(
    c.apiCalls,
    DIGEST_LIMITS.apiCalls,
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
  );
}

function alertRows(c: DigestContent): AlertDetail[] {
  return details([
    ['Alerts raised', `${num(c.alerts.total)}${c.alerts.total > 0 ? `: ${counts([...SEVERITIES].reverse(), c.alerts.bySeverity)}` : ''}`],
    ['Alerts by category', counts(Object.keys(c.alerts.byCategory).sort() as AlertCategory[], c.alerts.byCategory)],
  ]);
}

function mutingRows(c: DigestContent): AlertDetail[] {
  return [
    ...capped(
      c.silences,
      DIGEST_LIMITS.silences,
      (s) => ({ label: 'Silence', value: silenceLine(s) }),
      (rest) => ({ label: 'Silences: others', value: `${plural(rest.length, 'more silence')} active (macie-alerts silence list)` }),
    ),
    ...capped(
      c.acks,
      DIGEST_LIMITS.acks,
      (a) => ({ label: 'Acknowledged', value: `${shortName(a.alertId)}: ${describeAck(a)}` }),
      (rest) => ({ label: 'Acknowledged: others', value: `${plural(rest.length, 'more acknowledgement')} (macie-alerts ack list --all)` }),
    ),
  ];
}
