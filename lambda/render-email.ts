import type { AffectedResources, Alert } from './alert';
import { cleanLine, cleanParagraph, isSafeConsoleUrl } from './sanitize';

/** SNS rejects an email Subject of 100 characters or more. */
export const EMAIL_SUBJECT_MAX = 99;
/** Affected resources listed per kind before "and N more". */
export const EMAIL_AFFECTED_PER_KIND = 10;
const PROSE_MAX = 2000;
const VALUE_MAX = 500;
const ITEM_MAX = 300;

/** `[HIGH] Macie job My_Job: bucket access denied` (`[HIGH] [SAMPLE] ...` for sample findings); one line, < 100 chars. */
export function renderEmailSubject(alert: Alert): string {
  const prefix = `[${alert.severity}]${alert.sample ? ' [SAMPLE]' : ''} `;
  const count = alert.count > 1 ? ` (x${alert.count})` : '';
  const headline = cleanLine(alert.headline, 300) || cleanLine(alert.eventType, 80) || 'Macie alert';
  const full = prefix + headline + count;
  if (full.length <= EMAIL_SUBJECT_MAX) return full;
  return prefix + cleanLine(headline, EMAIL_SUBJECT_MAX - prefix.length - count.length) + count;
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
 * when they are https console links (see isSafeConsoleUrl).
 */
export function renderEmailBody(alert: Alert): string {
  const lines: string[] = [];
  const section = (title: string, body: string | string[]) => {
    const content = Array.isArray(body) ? body : [body];
    if (content.length === 0 || content.every((l) => l === '')) return;
    lines.push('', title, ...content);
  };

  if (alert.sample) lines.push('SAMPLE: this alert comes from a sample finding, not from your data.', '');
  lines.push(`${alert.severity}: ${cleanLine(alert.headline, 300) || cleanLine(alert.eventType, 80)}`);
  const where = [
    `Account ${cleanLine(alert.accountId, 20)}`,
    cleanLine(alert.region, 20),
    alert.job ? `job ${cleanLine(alert.job.name ?? alert.job.id, 200)}` : '',
  ].filter(Boolean);
  lines.push(where.join(', '));
  lines.push(`When: ${cleanLine(alert.occurredAt, 40)}${alert.count > 1 ? ` (${alert.count} events)` : ''}`);

  section('What happened', cleanParagraph(alert.whatHappened, PROSE_MAX));
  section('What it means', cleanParagraph(alert.whatItMeans, PROSE_MAX));
  section('What to do', cleanParagraph(alert.whatToDo, PROSE_MAX));

  const details: string[] = [
    `Severity: ${alert.severity}`,
    `Category: ${alert.category}`,
    `Event type: ${cleanLine(alert.eventType, 200)}`,
    ...(alert.job ? [`Job id: ${cleanLine(alert.job.id, 200)}`] : []),
    ...(alert.job?.name ? [`Job name: ${cleanLine(alert.job.name, 200)}`] : []),
    ...(alert.job?.runDate ? [`Run: ${cleanLine(alert.job.runDate, 40)}`] : []),
    ...(alert.findingId ? [`Finding id: ${cleanLine(alert.findingId, 200)}`] : []),
    ...alert.details.slice(0, 50).map((d) => `${cleanLine(d.label, 80)}: ${cleanLine(d.value, VALUE_MAX)}`),
  ];
  if (alert.details.length > 50) details.push(`(and ${alert.details.length - 50} more details in the JSON form)`);
  section('Details', details);

  const affected: string[] = [];
  for (const group of alert.affected) {
    const items = group.items.slice(0, EMAIL_AFFECTED_PER_KIND).map((i) => `- ${cleanLine(i, ITEM_MAX)}`);
    const total = Math.max(group.total, group.items.length);
    if (total === 0) continue;
    affected.push(`${KIND_TITLES[group.kind] ?? cleanLine(String(group.kind), 40)} (${total}):`, ...items);
    if (total > items.length) affected.push(`  and ${total - items.length} more`);
  }
  section('Affected resources', affected);

  const links = alert.links.filter((l) => isSafeConsoleUrl(l.url)).map((l) => `${cleanLine(l.label, 100)}:\n${l.url}`);
  section('Links', links);

  lines.push(
    '',
    '--',
    `Alert id: ${cleanLine(alert.id, 300)}`,
    'You get this because your subscription to the Macie alerts SNS topic matches it. To receive fewer or',
    'different alerts, change the subscription filter policy (attributes severity, severityScore, category,',
    'eventType, accountId, jobId, sample): see the README section "Choosing which alerts you receive".',
  );
  return lines.join('\n') + '\n';
}
