import type { AlertCategory } from '../core/alert';
import type { PipelineSettings } from '../core/settings';
import type { Severity } from '../core/severity';
import { OTHER_DIMENSION_VALUE } from '../core/telemetry';

/**
 * Every Macie job log event type, as data: what it is, how urgent, whether it alerts, what it does to the run,
 * what it means and what to do. Classification is a lookup in this table, never a prefix match
 * (BUCKET_MATCHED_THE_CRITERIA starts with BUCKET_ but is progress, not an error).
 */
export type EventCategory = 'JOB_STATUS' | 'ACCOUNT_ERROR' | 'BUCKET_ERROR';

/** What the event does to the run record (run-facts.ts and event-outcomes.ts switch on it). */
export type EventEffect =
  | 'JOB_CREATED'
  | 'RUN_STARTED'
  | 'BUCKET_MATCHED'
  | 'NO_BUCKETS'
  | 'PAUSED_BY_USER'
  | 'PAUSED_BY_QUOTA'
  | 'RESUMED'
  | 'CANCELLED'
  | 'COMPLETED'
  | 'ACCOUNT_ERROR'
  | 'BUCKET_ERROR'
  | 'UNKNOWN';

export interface EventTypeInfo {
  readonly category: EventCategory;
  readonly defaultSeverity: Severity;
  /** True when the event (or the first of its group, for errors) alerts at once. */
  readonly alertsAtOnce: boolean;
  readonly effect: EventEffect;
  /** Short lower-case phrase for headlines: "Macie job My_Job: <title>". */
  readonly title: string;
  /** Plain-language meaning, for people who do not know Macie's event names. */
  readonly meaning: string;
  readonly whatToDo: string;
  /** ONE_TIME or SCHEDULED when the event tells which kind of job it is. */
  readonly jobKind?: 'ONE_TIME' | 'SCHEDULED';
}

const ALLOW_ACCESS =
  'Check the bucket policy (and the KMS key policy for encrypted objects) for statements that deny access to ' +
  'Macie\'s service-linked role (AWSServiceRoleForAmazonMacie), and allow it; see "Allowing Macie to access S3 buckets and objects" in the Macie guide.';

export const JOB_EVENT_TYPES: Readonly<Record<string, EventTypeInfo>> = {
  // Job status (12)
  JOB_CREATED: {
    category: 'JOB_STATUS',
    defaultSeverity: 'INFO',
    alertsAtOnce: false,
    effect: 'JOB_CREATED',
    title: 'job created',
    meaning: 'A sensitive data discovery job was created.',
    whatToDo: 'Nothing.',
  },
  ONE_TIME_JOB_STARTED: {
    category: 'JOB_STATUS',
    defaultSeverity: 'INFO',
    alertsAtOnce: false,
    effect: 'RUN_STARTED',
    jobKind: 'ONE_TIME',
    title: 'job started',
    meaning: 'The one-time job started running.',
    whatToDo: 'Nothing.',
  },
  SCHEDULED_RUN_STARTED: {
    category: 'JOB_STATUS',
    defaultSeverity: 'INFO',
    alertsAtOnce: false,
    effect: 'RUN_STARTED',
    jobKind: 'SCHEDULED',
    title: 'scheduled run started',
    meaning: 'A scheduled run of the periodic job started running.',
    whatToDo: 'Nothing.',
  },
  BUCKET_MATCHED_THE_CRITERIA: {
    category: 'JOB_STATUS',
    defaultSeverity: 'INFO',
    alertsAtOnce: false,
    effect: 'BUCKET_MATCHED',
    title: 'bucket matched the criteria',
    meaning: "A bucket matched the job's runtime bucket criteria and will be analysed. This is progress, not an error.",
    whatToDo: 'Nothing.',
  },
  NO_BUCKETS_MATCHED_THE_CRITERIA: {
    category: 'JOB_STATUS',
    defaultSeverity: 'MEDIUM',
    alertsAtOnce: true,
    effect: 'NO_BUCKETS',
    title: 'no buckets matched the criteria',
    meaning: "The run started but no bucket matches the job's bucket criteria, so it analysed no data at all.",
    whatToDo:
      "Review the job's bucket criteria (tags, names, accounts) in the Macie console: they are probably wrong, or the buckets they named were renamed, retagged or deleted.",
  },
  SCHEDULED_RUN_COMPLETED: {
    category: 'JOB_STATUS',
    defaultSeverity: 'INFO',
    alertsAtOnce: true,
    effect: 'COMPLETED',
    jobKind: 'SCHEDULED',
    title: 'scheduled run completed',
    meaning: 'A scheduled run of the periodic job finished.',
    whatToDo: 'Read the run summary; fix the errors it lists before the next run.',
  },
  JOB_PAUSED_BY_USER: {
    category: 'JOB_STATUS',
    defaultSeverity: 'LOW',
    alertsAtOnce: true,
    effect: 'PAUSED_BY_USER',
    title: 'job paused by a user',
    meaning: 'Someone paused the job. It analyses nothing until it is resumed; a one-time job paused for 30 days is cancelled by Macie.',
    whatToDo: 'If the pause was not planned, find who paused it (CloudTrail: UpdateClassificationJob) and resume the job.',
  },
  JOB_RESUMED_BY_USER: {
    category: 'JOB_STATUS',
    defaultSeverity: 'LOW',
    alertsAtOnce: true,
    effect: 'RESUMED',
    title: 'job resumed by a user',
    meaning: 'Someone resumed the paused job: it is running again.',
    whatToDo: 'Nothing: this resolves the earlier pause.',
  },
  JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET: {
    category: 'JOB_STATUS',
    defaultSeverity: 'HIGH',
    alertsAtOnce: true,
    effect: 'PAUSED_BY_QUOTA',
    title: 'job paused: monthly quota reached',
    meaning:
      'Macie paused the job because finishing it would exceed the monthly sensitive data discovery quota of one or more accounts it analyses. Data is not being analysed.',
    whatToDo:
      'Raise the monthly sensitive data discovery quota for the affected accounts (Macie console, Settings / Service Quotas), or narrow the job. Macie resumes the job by itself when the quota is raised or the next month (or next scheduled run) starts.',
  },
  JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED: {
    category: 'JOB_STATUS',
    defaultSeverity: 'LOW',
    alertsAtOnce: true,
    effect: 'RESUMED',
    title: 'job resumed: quota lifted',
    meaning: 'Macie resumed the job because the monthly quota was raised or a new month started.',
    whatToDo: 'Nothing: this resolves the earlier quota pause.',
  },
  JOB_CANCELLED: {
    category: 'JOB_STATUS',
    defaultSeverity: 'HIGH',
    alertsAtOnce: true,
    effect: 'CANCELLED',
    title: 'job cancelled',
    meaning:
      'The job was stopped for good: a user cancelled it, a one-time job stayed paused for 30 days, or Macie was suspended or disabled in the Region. The data it had not reached was not analysed.',
    whatToDo:
      'If nobody meant to cancel it, check CloudTrail (UpdateClassificationJob, DisableMacie, UpdateMacieSession) for who did, and create a new job (a cancelled job cannot be restarted).',
  },
  JOB_COMPLETED: {
    category: 'JOB_STATUS',
    defaultSeverity: 'INFO',
    alertsAtOnce: true,
    effect: 'COMPLETED',
    jobKind: 'ONE_TIME',
    title: 'job completed',
    meaning: 'The one-time job finished.',
    whatToDo: 'Read the run summary; fix the errors it lists and run the job again for what it skipped.',
  },

  // Account-level errors (7)
  ACCOUNT_ACCESS_DENIED: {
    category: 'ACCOUNT_ERROR',
    defaultSeverity: 'HIGH',
    alertsAtOnce: true,
    effect: 'ACCOUNT_ERROR',
    title: 'account access denied',
    meaning: "Macie was not allowed to read the S3 data of an account, so none of that account's buckets were analysed.",
    whatToDo: `The account's buckets probably have restrictive bucket policies. ${ALLOW_ACCESS}`,
  },
  ACCOUNT_DISABLED: {
    category: 'ACCOUNT_ERROR',
    defaultSeverity: 'MEDIUM',
    alertsAtOnce: true,
    effect: 'ACCOUNT_ERROR',
    title: 'Macie disabled in an account',
    meaning: "Macie is disabled for an account the job covers, so the job skipped that account's buckets.",
    whatToDo: 'Enable Macie again for that account in this Region (or remove the account from the job).',
  },
  ACCOUNT_DISASSOCIATED: {
    category: 'ACCOUNT_ERROR',
    defaultSeverity: 'HIGH',
    alertsAtOnce: true,
    effect: 'ACCOUNT_ERROR',
    title: 'account no longer a member',
    meaning:
      'An account the job covers is no longer a member of your Macie administrator account (for example it left the organization), so the job skipped its buckets.',
    whatToDo: 'Associate the account again as a Macie member account (Macie console, Accounts), or remove it from the job.',
  },
  ACCOUNT_ISOLATED: {
    category: 'ACCOUNT_ERROR',
    defaultSeverity: 'MEDIUM',
    alertsAtOnce: true,
    effect: 'ACCOUNT_ERROR',
    title: 'account isolated',
    meaning: 'An account the job covers was isolated by AWS, so the job skipped its buckets.',
    whatToDo: 'Find out why the account was isolated (AWS Support, the account owner); the job cannot analyse it until that is resolved.',
  },
  ACCOUNT_REGION_DISABLED: {
    category: 'ACCOUNT_ERROR',
    defaultSeverity: 'MEDIUM',
    alertsAtOnce: true,
    effect: 'ACCOUNT_ERROR',
    title: 'account not active in this Region',
    meaning: 'An account the job covers is not active in this Region, so the job skipped its buckets here.',
    whatToDo: 'Enable the Region for that account (Account settings), or remove the account from the job in this Region.',
  },
  ACCOUNT_SUSPENDED: {
    category: 'ACCOUNT_ERROR',
    defaultSeverity: 'HIGH',
    alertsAtOnce: true,
    effect: 'ACCOUNT_ERROR',
    title: 'Macie suspended in an account',
    meaning: 'Macie is suspended for an account: if it is your own account, Macie cancelled the job; if it is a member account, the job skipped its buckets.',
    whatToDo: 'Enable Macie again in this Region for that account (your own account: the Macie console, Settings).',
  },
  ACCOUNT_TERMINATED: {
    category: 'ACCOUNT_ERROR',
    defaultSeverity: 'MEDIUM',
    alertsAtOnce: true,
    effect: 'ACCOUNT_ERROR',
    title: 'account terminated',
    meaning: 'An account the job covers was closed, so the job skipped its buckets.',
    whatToDo: 'Remove the closed account from the job (and from your Macie member accounts).',
  },

  // Bucket-level errors (5)
  BUCKET_ACCESS_DENIED: {
    category: 'BUCKET_ERROR',
    defaultSeverity: 'HIGH',
    alertsAtOnce: true,
    effect: 'BUCKET_ERROR',
    title: 'bucket access denied',
    meaning: 'Amazon S3 refused Macie access to a bucket, so none of its objects were analysed.',
    whatToDo: `The bucket probably has a restrictive bucket policy. ${ALLOW_ACCESS}`,
  },
  BUCKET_DETAILS_UNAVAILABLE: {
    category: 'BUCKET_ERROR',
    defaultSeverity: 'LOW',
    alertsAtOnce: true,
    effect: 'BUCKET_ERROR',
    title: 'bucket details unavailable',
    meaning: 'A temporary problem kept Macie from reading the details of a bucket and its objects, so the bucket was not analysed this time.',
    whatToDo: 'For a periodic job, Macie tries again on the next run. For a one-time job, run a new one-time job on that bucket.',
  },
  BUCKET_DOES_NOT_EXIST: {
    category: 'BUCKET_ERROR',
    defaultSeverity: 'LOW',
    alertsAtOnce: true,
    effect: 'BUCKET_ERROR',
    title: 'bucket no longer exists',
    meaning: 'A bucket the job was meant to analyse does not exist any more (it was probably deleted).',
    whatToDo: 'If the deletion was expected, remove the bucket from the job; if not, find out who deleted it (CloudTrail: DeleteBucket).',
  },
  BUCKET_IN_DIFFERENT_REGION: {
    category: 'BUCKET_ERROR',
    defaultSeverity: 'MEDIUM',
    alertsAtOnce: true,
    effect: 'BUCKET_ERROR',
    title: 'bucket in another Region',
    meaning: "A bucket the job was meant to analyse is now in a different Region, so this Region's job could not analyse it.",
    whatToDo: "Analyse the bucket with a job in the bucket's Region, and remove it from this job.",
  },
  BUCKET_OWNER_CHANGED: {
    category: 'BUCKET_ERROR',
    defaultSeverity: 'HIGH',
    alertsAtOnce: true,
    effect: 'BUCKET_ERROR',
    title: 'bucket owner changed',
    meaning: 'The ownership of a bucket changed and Macie may no longer access it: the bucket was not analysed.',
    whatToDo:
      'Check who owns the bucket now: ownership may have moved to an account outside your organization. If that was not intended, treat it as a possible data exposure.',
  },
};

export const UNKNOWN_EVENT_TYPE: EventTypeInfo = {
  category: 'JOB_STATUS', // unused for unknown types: alerts use category UNKNOWN_EVENT
  defaultSeverity: 'MEDIUM',
  alertsAtOnce: true,
  effect: 'UNKNOWN',
  title: 'unrecognised job event',
  meaning: 'Macie logged a job event type this version of macie-alerts does not know. It is reported so that nothing is silently dropped.',
  whatToDo: 'Read the event description and the Macie documentation for the event type; upgrade macie-alerts if a newer version knows it.',
};

export interface Classification extends EventTypeInfo {
  readonly eventType: string;
  readonly known: boolean;
  /** The alert category (UNKNOWN_EVENT for types not in the table). */
  readonly alertCategory: AlertCategory;
}

function classification(eventType: string, known: boolean): Classification {
  const info = known ? JOB_EVENT_TYPES[eventType] : UNKNOWN_EVENT_TYPE;
  return Object.freeze({ ...info, eventType, known, alertCategory: known ? info.category : 'UNKNOWN_EVENT' });
}

/** The table's types classified once, at load: classify() is a lookup, whatever the event. */
const CLASSIFIED: ReadonlyMap<string, Classification> = new Map(Object.keys(JOB_EVENT_TYPES).map((type) => [type, classification(type, true)]));

/** What an event type is; an unknown type is classified UNKNOWN_EVENT. */
export function classify(eventType: string): Classification {
  return CLASSIFIED.get(eventType) ?? classification(eventType, false);
}

/** An event type's severity after settings.severityOverrides. */
export function severityOf(eventType: string, settings: Pick<PipelineSettings, 'severityOverrides'>): Severity {
  const override = Object.hasOwn(settings.severityOverrides, eventType) ? settings.severityOverrides[eventType] : undefined;
  return override ?? classify(eventType).defaultSeverity;
}

/** The eventType dimension of the JobEvents metric: a type this table does not know counts as OTHER. */
export function eventTypeDimension(eventType: string): string {
  return Object.hasOwn(JOB_EVENT_TYPES, eventType) ? eventType : OTHER_DIMENSION_VALUE;
}

/** Errors counted on the run and shown in its summary (account, bucket, and unknown event types). */
export function isErrorEffect(effect: EventEffect): boolean {
  return effect === 'ACCOUNT_ERROR' || effect === 'BUCKET_ERROR' || effect === 'UNKNOWN';
}
