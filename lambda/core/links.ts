import type { AlertLink } from './alert';

/**
 * Console links an alert offers. Built from ids, never from free text, and every id is URI-encoded, so an
 * event cannot make a link point elsewhere.
 */
const enc = encodeURIComponent;

/** Macie's job log group: one per Region, created by Macie when the first job runs; one stream per job. */
export const MACIE_JOB_LOG_GROUP = '/aws/macie/classificationjobs';

export function macieJobLink(region: string, jobId: string): string {
  return `https://${enc(region)}.console.aws.amazon.com/macie/home?region=${enc(region)}#/jobs?search=${enc(jobId)}`;
}

export function macieFindingLink(region: string, findingId: string): string {
  return `https://${enc(region)}.console.aws.amazon.com/macie/home?region=${enc(region)}#/findings?search=id%3D${enc(findingId)}&macros=current`;
}

export function macieSummaryLink(region: string): string {
  return `https://${enc(region)}.console.aws.amazon.com/macie/home?region=${enc(region)}#/summary`;
}

/** Macie writes one log stream per job, named after the job id, in /aws/macie/classificationjobs. */
export function jobLogStreamLink(region: string, jobId: string): string {
  // The CloudWatch console escapes '/' in the hash as $252F ('%2F' escaped once more).
  const group = MACIE_JOB_LOG_GROUP.replace(/\//g, '$252F');
  return `https://${enc(region)}.console.aws.amazon.com/cloudwatch/home?region=${enc(region)}#logsV2:log-groups/log-group/${group}/log-events/${enc(jobId)}`;
}

export function cloudTrailEventLink(region: string, eventId: string): string {
  return `https://${enc(region)}.console.aws.amazon.com/cloudtrail/home?region=${enc(region)}#/events/${enc(eventId)}`;
}

/** The event in the AWS Health Dashboard's event log. */
export function healthEventLink(eventArn: string): string {
  return `https://health.aws.amazon.com/health/home#/account/event-log?eventID=${enc(eventArn)}`;
}

/** The two links of every alert about a job or one of its runs, labelled the same everywhere. */
export function jobLinks(region: string, jobId: string): AlertLink[] {
  return [
    { label: 'Job in the Macie console', url: macieJobLink(region, jobId) },
    { label: "Job's log stream in CloudWatch Logs", url: jobLogStreamLink(region, jobId) },
  ];
}
