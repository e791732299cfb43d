import { details, type Alert } from '../core/alert';
import { healthEventLink, jobLinks } from '../core/links';
import type { HealthChange, HealthEventState } from './health-event';
import { healthSeverity } from './health-severity';

/** The words of the alerts about an AWS Health event (health-event.ts decides when one goes out). */

/** A Macie job in an affected entity: its ARN (...:classification-job/<id>) or its id alone. */
const JOB_ARN = /:classification-job\/([0-9a-zA-Z]+)$/;
const JOB_ID = /^[0-9a-f]{32}$/;

export function jobIdsOf(state: Pick<HealthEventState, 'entities'>): string[] {
  const ids = state.entities.flatMap((e) => JOB_ARN.exec(e.value)?.[1] ?? (JOB_ID.test(e.value) ? e.value : []));
  return [...new Set(ids)];
}

const CATEGORY_TEXT: Readonly<Record<string, string>> = {
  issue: 'a service issue',
  investigation: 'an investigation of a possible issue',
  scheduledChange: 'a scheduled change',
  accountNotification: 'an account notice',
};

const MEANING: Readonly<Record<string, string>> = {
  'job-expiring':
    'A paused Macie job is about to expire: Macie cancels a job paused for 30 days, and a cancelled job cannot be resumed; its run never finishes.',
  issue: 'AWS reports a problem with Macie that may affect your jobs, findings or automated discovery in this account and Region.',
  investigation: 'AWS is looking into a possible problem with Macie; it may or may not affect you.',
  'scheduled-change': 'AWS plans a change to Macie that may affect this account.',
  'account-notification': 'AWS has something to tell you about Macie in this account.',
  'unknown-category': 'AWS Health sent a kind of notice this version does not know.',
  resolved: 'AWS Health has closed the event: the issue or notice no longer applies.',
};

const TODO: Readonly<Record<string, string>> = {
  'job-expiring':
    'Resume the job (Macie console, or `aws macie2 update-classification-job --job-status RUNNING`) before it expires if its run should finish, or cancel it yourself.',
  issue: 'Read the event in the AWS Health Dashboard; expect delays or errors in Macie until AWS closes it. Nothing to change on your side unless it says so.',
  investigation: 'Read the event in the AWS Health Dashboard and watch for an update.',
  'scheduled-change': 'Read the event in the AWS Health Dashboard and plan for the change before its start time.',
  'account-notification': 'Read the event in the AWS Health Dashboard and act on it if it asks you to.',
  'unknown-category': 'Read the event in the AWS Health Dashboard.',
  resolved: 'Nothing, unless Macie still misbehaves: then open a support case.',
};

export function healthAlert(state: HealthEventState, change: HealthChange, at: string): Alert {
  const { severity, reason } = healthSeverity({
    eventTypeCode: state.eventTypeCode,
    eventTypeCategory: state.eventTypeCategory,
    statusCode: state.statusCode,
    description: state.description,
  });
  const jobIds = jobIdsOf(state);
  const update = change.kind !== 'new';
  const what = CATEGORY_TEXT[state.eventTypeCategory] ?? `a ${state.eventTypeCategory} notice`;
  const status = state.statusCode ?? 'unknown';
  const prefix = !update ? '' : change.kind === 'status-changed' && status === 'closed' ? 'Closed: ' : 'Updated: ';
  const subject =
    reason === 'job-expiring'
      ? `Macie job ${state.jobName ?? jobIds[0] ?? '(paused)'} about to expire`
      : `${state.eventTypeCode}${jobIds.length ? ` (job ${state.jobName ?? jobIds.join(', ')})` : ''}`;
  const headline = `${prefix}AWS Health: ${subject} in ${state.accountId} (${state.region})`;
  const changeText =
    change.kind === 'status-changed'
      ? ` Its status changed from ${change.from ?? 'none'} to ${change.to}.`
      : change.kind === 'description-updated'
        ? ' AWS updated its description.'
        : '';
  const entities = state.entities.map((e) => (e.status ? `${e.value} (${e.status})` : e.value));
  const more = state.entityTotal > entities.length ? ` and ${state.entityTotal - entities.length} more` : '';
  const pages =
    state.totalPages && state.totalPages !== '1'
      ? ` Pages received: ${state.pages.length} of ${state.totalPages}; affected entities of later pages are added to the event and named in its next update.`
      : '';
  return {
    id: `health:${state.accountId}:${state.eventArn}:${state.alerts === 0 ? 'first' : `update:${state.alerts}`}`,
    severity,
    category: 'HEALTH',
    eventType: state.eventTypeCode,
    accountId: state.accountId,
    region: state.region,
    job: jobIds.length ? { id: jobIds[0], ...(state.jobName ? { name: state.jobName } : {}) } : undefined,
    headline,
    whatHappened:
      `AWS Health ${update ? 'updated' : 'sent'} ${what} about Macie (${state.eventTypeCode}, status ${status}) for account ${state.accountId} in ${state.region}` +
      `${state.startTime ? `, starting ${state.startTime}` : ''}${state.endTime ? `, ending ${state.endTime}` : ''}.${changeText}` +
      (state.description ? ` AWS says: ${state.description}` : '') +
      (entities.length ? ` Affected: ${entities.join(', ')}${more}.` : '') +
      pages,
    whatItMeans: MEANING[reason],
    whatToDo: TODO[reason],
    details: details([
      ['Event type code', state.eventTypeCode],
      ['Category', state.eventTypeCategory],
      ['Status', status],
      ['Start time', state.startTime],
      ['End time', state.endTime],
      ['Last updated', state.lastUpdatedTime],
      ['Account', state.accountId],
      ['Region', state.region],
      ['Job', state.jobName ? `${state.jobName} (${jobIds.join(', ')})` : jobIds.join(', ')],
      ['Affected entities', entities.length ? `${entities.join(', ')}${more}` : undefined],
      ['Event ARN', state.eventArn],
    ]),
    affected: [{ kind: 'account', items: [state.accountId], total: 1 }],
    count: 1,
    links: [{ label: 'Event in the AWS Health Dashboard', url: healthEventLink(state.eventArn) }, ...(jobIds.length ? jobLinks(state.region, jobIds[0]) : [])],
    sample: false,
    occurredAt: at,
    threadId: jobIds[0] ?? state.eventArn,
  };
}
