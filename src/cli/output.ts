import type { Alert } from '../../lambda/core/alert';
import { SEVERITIES, atLeast, severityScore, type Severity } from '../../lambda/core/severity';
import type { ReplayTally } from './replay';

/** What SNS would be asked to publish for one alert (buildSnsMessage's result, as the CLI reads it). */
export interface SnsMessageLike {
  readonly Message: string;
  readonly Subject?: string;
  readonly MessageAttributes?: Record<string, { DataType?: string; StringValue?: string }>;
}

export interface PublishedAlert {
  readonly alert: Alert;
  readonly message: SnsMessageLike;
}

/** One --format json line: what a subscriber would receive, every channel, plus the fields people filter on. */
export interface AlertLine {
  readonly severity: Severity;
  readonly severityScore: number;
  readonly category: string;
  readonly eventType: string;
  readonly accountId: string;
  readonly region: string;
  readonly jobId?: string;
  readonly jobName?: string;
  readonly runDate?: string;
  readonly findingId?: string;
  readonly count: number;
  readonly sample: boolean;
  readonly occurredAt: string;
  readonly id: string;
  readonly subject: string;
  readonly sms: string;
  readonly email: string;
  readonly chat: unknown;
  readonly attributes: Record<string, string>;
}

export function alertLine({ alert, message }: PublishedAlert): AlertLine {
  const channels = parseChannels(message.Message);
  const attributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => [name, String(value.StringValue ?? '')]),
  );
  let chat: unknown = channels.https ?? null;
  if (typeof chat === 'string') {
    try {
      chat = JSON.parse(chat);
    } catch {
      // Keep the text: a chat form that is not JSON is a bug the user should see, not hide.
    }
  }
  // Key order is fixed here (not taken from the alert) so the lines are byte-stable.
  return {
    severity: alert.severity,
    severityScore: severityScore(alert.severity),
    category: alert.category,
    eventType: alert.eventType,
    accountId: alert.accountId,
    region: alert.region,
    ...(alert.job?.id !== undefined ? { jobId: alert.job.id } : {}),
    ...(alert.job?.name !== undefined ? { jobName: alert.job.name } : {}),
    ...(alert.job?.runDate !== undefined ? { runDate: alert.job.runDate } : {}),
    ...(alert.findingId !== undefined ? { findingId: alert.findingId } : {}),
    count: alert.count,
    sample: alert.sample,
    occurredAt: alert.occurredAt,
    id: alert.id,
    subject: message.Subject ?? '',
    sms: stringChannel(channels.sms),
    email: stringChannel(channels.email),
    chat,
    attributes,
  };
}

function parseChannels(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return { default: text };
  }
}

function stringChannel(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}

export function jsonLine(published: PublishedAlert): string {
  return JSON.stringify(alertLine(published));
}

const RULE = '='.repeat(78);

/** One alert as a person sees it: the subject line, the SMS text, then the email body. */
export function textBlock(published: PublishedAlert, ordinal: number): string {
  const line = alertLine(published);
  const body = line.email.replace(/\s+$/, '');
  return [
    RULE,
    `#${ordinal}  ${line.severity}  ${line.category}  ${line.eventType}${line.count > 1 ? `  (${line.count} events)` : ''}`,
    `Subject: ${line.subject}`,
    `SMS:     ${line.sms}`,
    '',
    body,
    '',
  ].join('\n');
}

export interface SummaryInput {
  readonly files: number;
  readonly values: number;
  /** Values that were read and not understood (each is one of `values`). */
  readonly valuesNotUnderstood: number;
  /** Paths that gave no value (missing, unreadable, binary, empty, a directory with no input): skipped. */
  readonly pathsSkipped: number;
  /** CloudTrail records of other services, left out as the stack's rule leaves them out. */
  readonly otherServiceRecords: number;
  readonly tally: ReplayTally;
  readonly published: readonly PublishedAlert[];
  readonly minSeverity: Severity;
}

export function summaryText(input: SummaryInput): string {
  const { tally, published, minSeverity } = input;
  const bySeverity = [...SEVERITIES].reverse().map((s) => [s, published.filter((p) => p.alert.severity === s).length] as const);
  const shown = published.filter((p) => atLeast(p.alert.severity, minSeverity)).length;
  const e = tally.events;
  const notUnderstood = input.valuesNotUnderstood > 0 ? `, ${input.valuesNotUnderstood} of them not understood` : '';
  const skipped = input.pathsSkipped > 0 ? `; ${plural(input.pathsSkipped, 'path')} skipped` : '';
  const seeAbove = notUnderstood || skipped ? ' (see the messages above)' : '';
  const otherServices = input.otherServiceRecords > 0 ? `; ${plural(input.otherServiceRecords, 'CloudTrail record')} of other services left out` : '';
  const lines = [
    RULE,
    'Replay summary',
    `  inputs read:      ${plural(input.files, 'file')}, ${plural(input.values, 'JSON value')}${notUnderstood}${skipped}${seeAbove}`,
    `  events:           ${plural(e.jobLogEvents, 'job log event')}, ${plural(e.findings, 'finding')}, ${plural(e.apiCalls, 'API call')}${e.healthEvents > 0 ? `, ${plural(e.healthEvents, 'AWS Health event')}` : ''}${otherServices}`,
    `  alerts published: ${published.length}${published.length > 0 ? ` (${bySeverity.map(([s, n]) => `${s} ${n}`).join(', ')})` : ''}`,
  ];
  if (minSeverity !== 'INFO')
    lines.push(`  alerts shown:     ${shown} at or above ${minSeverity} (--min-severity); ${published.length - shown} below not shown`);
  const o = (k: string) => tally.outcomes[k] ?? 0;
  const inhibited = o('inhibited') > 0 ? ` (${o('inhibited')} of them inhibited by an account-level error)` : '';
  lines.push(`  grouped:          ${plural(o('grouped'), 'event')} counted into an earlier alert or a run summary${inhibited}`);
  if (o('silenced') > 0) lines.push(`  silenced:         ${plural(o('silenced'), 'event')} matched a silence: counted in their run summary, not alerted`);
  if (o('known') > 0)
    lines.push(`  known:            ${plural(o('known'), 'error')} failed the same way in the job's previous run: reported in the run summary`);
  lines.push(`  suppressed:       ${o('duplicate')} duplicate, ${o('ignored')} ignored, ${o('below-threshold')} below the finding threshold`);
  if (o('held') > 0)
    lines.push(`  held:             ${plural(o('held'), 'finding')} whose run the job log had not shown yet: not applied (SQS would deliver them again)`);
  if (o('bad') > 0) lines.push(`  rejected:         ${plural(o('bad'), 'event')} the pipeline could not read (see the messages above)`);
  if (tally.failures.length > 0) lines.push(`  pipeline errors:  ${tally.failures.length} (see the messages above)`);
  return `${lines.join('\n')}\n`;
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
