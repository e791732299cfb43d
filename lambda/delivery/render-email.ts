import { formatCount, type AffectedResources, type Alert } from '../core/alert';
import { cleanLine, isSafeConsoleUrl, plainSafeLine, plainSafeParagraph, plainSafeProse } from '../core/sanitize';
import { possibleRepeatLine, type PossibleRepeat } from './possible-repeat';

/** SNS rejects an email Subject of 100 characters or more. */
export const EMAIL_SUBJECT_MAX = 99;
/** Affected resources listed per kind before "and N more". */
export const EMAIL_AFFECTED_PER_KIND = 10;
const PROSE_MAX = 2000;
const VALUE_MAX = 500;
const ITEM_MAX = 300;
/** Resource groups shown; alerts have at most one per kind, this only guards against a malformed alert. */
const AFFECTED_GROUPS_MAX = 10;
/**
 * The email body shares the 256 KB SNS message with four copies of the JSON form (JSON_MAX_BYTES each) and
 * the chat form; this cap keeps the sum under the limit.
 */
export const EMAIL_BODY_MAX_BYTES = 40 * 1024;

/** `[HIGH] Macie job My_Job: bucket access denied` (`[HIGH] [SAMPLE] ...` for sample findings); one line, < 100 chars. */
export function renderEmailSubject(alert: Alert): string {
  const prefix = `[${alert.severity}]${alert.sample ? ' [SAMPLE]' : ''} `;
  const headline = plainSafeLine(alert.headline, 300) || plainSafeLine(alert.eventType, 80) || 'Macie alert';
  const full = prefix + headline;
  if (full.length <= EMAIL_SUBJECT_MAX) return full;
  return prefix + cleanLine(headline, EMAIL_SUBJECT_MAX - prefix.length);
}

const KIND_TITLES: Record<AffectedResources['kind'], string> = {
  bucket: 'Buckets',
  account: 'Accounts',
  object: 'Objects',
  principal: 'Principals',
  finding: 'Findings',
};

/**
 * Plain text that reads on a phone: short labelled sections, no tables, no line longer than it needs to be.
 * Every alert string is cleaned (control and bidi characters removed, lengths capped); links are shown only
 * when they are https console links (see isSafeConsoleUrl). A possible repeat says so on its first line.
 */
export function renderEmailBody(alert: Alert, repeat?: PossibleRepeat): string {
  const lines: string[] = [];
  const section = (title: string, body: string | string[]) => {
    const content = Array.isArray(body) ? body : [body];
    if (content.length === 0 || content.every((l) => l === '')) return;
    lines.push('', title, ...content);
  };

  if (repeat) lines.push(possibleRepeatLine(repeat), '');
  if (alert.sample) lines.push('SAMPLE: this alert comes from a sample finding, not from your data.', '');
  lines.push(`${alert.severity}: ${plainSafeLine(alert.headline, 300) || plainSafeLine(alert.eventType, 80)}`);
  const where = [
    `Account ${plainSafeLine(alert.accountId, 20)}`,
    plainSafeLine(alert.region, 20),
    alert.job ? `job ${plainSafeLine(alert.job.name ?? alert.job.id, 200)}` : '',
  ].filter(Boolean);
  lines.push(where.join(', '));
  lines.push(`When: ${plainSafeLine(alert.occurredAt, 40)}${alert.count > 1 ? ` (${formatCount(alert.count)} events)` : ''}`);

  section('What happened', plainSafeProse(alert.whatHappened, PROSE_MAX));
  section('What it means', plainSafeProse(alert.whatItMeans, PROSE_MAX));
  section('What to do', plainSafeParagraph(alert.whatToDo, PROSE_MAX));

  const details: string[] = [
    `Severity: ${alert.severity}`,
    `Category: ${alert.category}`,
    `Event type: ${plainSafeLine(alert.eventType, 200)}`,
    ...(alert.job ? [`Job id: ${plainSafeLine(alert.job.id, 200)}`] : []),
    ...(alert.job?.name ? [`Job name: ${plainSafeLine(alert.job.name, 200)}`] : []),
    ...(alert.job?.runDate ? [`Run: ${plainSafeLine(alert.job.runDate, 40)}`] : []),
    ...(alert.findingId ? [`Finding id: ${plainSafeLine(alert.findingId, 200)}`] : []),
    ...alert.details.slice(0, 50).map((d) => `${plainSafeLine(d.label, 80)}: ${plainSafeLine(d.value, VALUE_MAX)}`),
  ];
  if (alert.details.length > 50) details.push(`(and ${alert.details.length - 50} more details in the JSON form)`);
  section('Details', details);

  const affected: string[] = [];
  for (const group of alert.affected.slice(0, AFFECTED_GROUPS_MAX)) {
    const items = group.items.slice(0, EMAIL_AFFECTED_PER_KIND).map((i) => `- ${plainSafeLine(i, ITEM_MAX)}`);
    const total = Math.max(group.total, group.items.length);
    if (total === 0) continue;
    const atLeast = group.atLeast ? 'at least ' : '';
    affected.push(
      `${KIND_TITLES[group.kind] ?? plainSafeLine(String(group.kind), 40)}${group.scope ? ` ${plainSafeLine(group.scope, 60)}` : ''} (${atLeast}${formatCount(total)}):`,
      ...items,
    );
    if (total > items.length || group.atLeast)
      affected.push(`  and ${total > items.length ? `${atLeast}${formatCount(total - items.length)} ` : 'maybe '}more`);
  }
  section('Affected resources', affected);

  const links = alert.links.filter((l) => isSafeConsoleUrl(l.url)).map((l) => `${plainSafeLine(l.label, 100)}:\n${l.url}`);
  section('Links', links);

  lines.push(
    '',
    '--',
    `Alert id: ${plainSafeLine(alert.id, 300)}`,
    'You get this because your subscription to the Macie alerts SNS topic matches it. To receive fewer or',
    'different alerts, change the subscription filter policy (attributes severity, severityScore, category,',
    'eventType, accountId, jobId, sample): see the README section "Choosing which alerts you receive".',
  );
  const body = `${lines.join('\n')}\n`;
  if (Buffer.byteLength(body) <= EMAIL_BODY_MAX_BYTES) return body;
  // Only a pathological alert gets here; the JSON form still carries everything.
  const trailer = `\n\n[cut: the full alert is in the JSON form]\nAlert id: ${plainSafeLine(alert.id, 150)}\n`;
  const room = EMAIL_BODY_MAX_BYTES - Buffer.byteLength(trailer);
  const cut = Buffer.from(body)
    .subarray(0, room)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  return cut + trailer;
}
