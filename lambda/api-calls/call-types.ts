import type { Severity } from '../core/severity';

/**
 * The Macie API calls that alert (spec table "Macie API calls"), what they mean and what to do. A call
 * whose parameters do not match `when` (e.g. UpdateMacieSession to ENABLED) is ignored, as is any call not
 * in this table (ListFindings, Describe*, ...).
 */
export interface ApiCallType {
  readonly name: string;
  readonly severity: Severity;
  /** Short phrase for headlines: "revealed sensitive data samples". */
  readonly action: string;
  readonly meaning: string;
  readonly whatToDo: string;
  /** The request parameters that matter, shown as details: [label, dotted path in requestParameters]. */
  readonly parameters: readonly (readonly [string, string])[];
  /** Only calls with these parameters alert; undefined means always. Returns a reason when it does not match. */
  readonly when?: (params: Record<string, unknown>) => true | string;
}

export function param(params: Record<string, unknown> | null | undefined, path: string): unknown {
  let value: unknown = params ?? undefined;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const oneOf =
  (path: string, allowed: readonly string[]) =>
  (params: Record<string, unknown>): true | string => {
    const value = param(params, path);
    return typeof value === 'string' && allowed.includes(value) ? true : `${path} is ${JSON.stringify(value ?? null)}, not ${allowed.join(' or ')}`;
  };

const MEMBERSHIP_TODO =
  'Confirm with the administrator of the Macie organisation that this was planned. If not, re-associate the account, and review who holds macie2:Disassociate*/Delete* permissions (an SCP can deny them to everyone but the security team).';

export const API_CALL_TYPES: readonly ApiCallType[] = [
  {
    name: 'GetSensitiveDataOccurrences',
    severity: 'HIGH',
    action: 'revealed sensitive data samples',
    meaning: 'Someone retrieved and displayed samples of the sensitive data Macie found in an S3 object (for example the actual card or social security numbers).',
    whatToDo: 'Confirm the person is entitled to see this data and had a reason to. If not, revoke their macie2:GetSensitiveDataOccurrences permission and treat the revealed data as disclosed.',
    parameters: [['Finding id', 'findingId']],
  },
  {
    name: 'DisableMacie',
    severity: 'HIGH',
    action: 'disabled Macie',
    meaning: 'Macie was disabled in this account and Region: its jobs, findings and settings are deleted and S3 is no longer monitored.',
    whatToDo: 'If this was not a planned decommissioning, re-enable Macie, recreate the jobs, and find out who did it and why. Restrict macie2:DisableMacie with an SCP.',
    parameters: [],
  },
  {
    name: 'UpdateMacieSession',
    severity: 'HIGH',
    action: 'suspended (paused) Macie',
    meaning: 'Macie was suspended: it stops monitoring S3 and running jobs until someone re-enables it.',
    whatToDo: 'If not planned, set the Macie status back to ENABLED and find out who suspended it. Restrict macie2:UpdateMacieSession.',
    parameters: [
      ['New status', 'status'],
      ['Finding publishing frequency', 'findingPublishingFrequency'],
    ],
    when: oneOf('status', ['PAUSED']),
  },
  {
    name: 'DisableOrganizationAdminAccount',
    severity: 'HIGH',
    action: 'removed the Macie delegated administrator',
    meaning: 'The organisation\'s delegated Macie administrator account was removed: central management of Macie for member accounts stops.',
    whatToDo: 'If not planned, designate the administrator again from the management account and check that member accounts are re-associated.',
    parameters: [['Administrator account', 'adminAccountId']],
  },
  {
    name: 'DisassociateFromAdministratorAccount',
    severity: 'HIGH',
    action: 'left the Macie administrator account',
    meaning: 'This member account disassociated itself from its Macie administrator: the administrator no longer sees its findings or runs jobs on its buckets.',
    whatToDo: MEMBERSHIP_TODO,
    parameters: [],
  },
  {
    name: 'DisassociateFromMasterAccount',
    severity: 'HIGH',
    action: 'left the Macie administrator (master) account',
    meaning: 'This member account disassociated itself from its Macie administrator (the older name of the call): the administrator no longer sees its findings.',
    whatToDo: MEMBERSHIP_TODO,
    parameters: [],
  },
  {
    name: 'DisassociateMember',
    severity: 'HIGH',
    action: 'disassociated a Macie member account',
    meaning: 'A member account was disassociated from this Macie administrator: its buckets drop out of central monitoring and jobs.',
    whatToDo: MEMBERSHIP_TODO,
    parameters: [['Member account', 'id']],
  },
  {
    name: 'DeleteMember',
    severity: 'HIGH',
    action: 'deleted a Macie member account',
    meaning: 'A member account was removed from this Macie administrator: its buckets drop out of central monitoring and jobs.',
    whatToDo: MEMBERSHIP_TODO,
    parameters: [['Member account', 'id']],
  },
  {
    name: 'CreateFindingsFilter',
    severity: 'HIGH',
    action: 'created a suppression rule (findings auto-archived)',
    meaning: 'A findings filter with action ARCHIVE was created: every matching finding, current and future, is archived automatically and never reaches alerts like this one.',
    whatToDo: 'Review the filter criteria in the Macie console. If it hides findings that matter, delete it or change its action to NOOP, and review the findings it archived.',
    parameters: [
      ['Filter name', 'name'],
      ['Action', 'action'],
      ['Description', 'description'],
    ],
    when: oneOf('action', ['ARCHIVE']),
  },
  {
    name: 'UpdateFindingsFilter',
    severity: 'HIGH',
    action: 'changed a findings filter to suppress findings',
    meaning: 'A findings filter was updated with action ARCHIVE: matching findings are archived automatically and never reach alerts.',
    whatToDo: 'Review the filter criteria in the Macie console. If it hides findings that matter, change its action back to NOOP or delete it, and review the findings it archived.',
    parameters: [
      ['Filter id', 'id'],
      ['Filter name', 'name'],
      ['Action', 'action'],
    ],
    when: oneOf('action', ['ARCHIVE']),
  },
  {
    name: 'UpdateClassificationJob',
    severity: 'MEDIUM',
    action: 'cancelled or paused a classification job',
    meaning: 'A sensitive data discovery job was cancelled or paused by a user: the buckets it covers are not being analysed. A cancelled job cannot be resumed; a one-time job paused for 30 days is cancelled.',
    whatToDo: 'Check with the person whether this was intended. Resume a paused job from the Macie console, or create a new job to replace a cancelled one.',
    parameters: [
      ['Job id', 'jobId'],
      ['New job status', 'jobStatus'],
    ],
    when: oneOf('jobStatus', ['CANCELLED', 'USER_PAUSED']),
  },
  {
    name: 'DeleteFindingsFilter',
    severity: 'MEDIUM',
    action: 'deleted a findings filter',
    meaning: 'A saved findings filter or suppression rule was deleted.',
    whatToDo: 'Confirm the deletion was intended; recreate the filter if your triage depended on it.',
    parameters: [['Filter id', 'id']],
  },
  {
    name: 'DeleteAllowList',
    severity: 'MEDIUM',
    action: 'deleted an allow list',
    meaning: 'An allow list was deleted: jobs that used it may now report text it used to exclude, or fail.',
    whatToDo: 'Confirm it was intended and check the jobs that referenced the allow list.',
    parameters: [
      ['Allow list id', 'id'],
      ['Ignore job checks', 'ignoreJobChecks'],
    ],
  },
  {
    name: 'DeleteCustomDataIdentifier',
    severity: 'MEDIUM',
    action: 'deleted a custom data identifier',
    meaning: 'A custom data identifier was deleted: new jobs no longer detect the data it described (running jobs keep using it).',
    whatToDo: 'Confirm it was intended; recreate the identifier and add it to jobs if that data must still be found.',
    parameters: [['Custom data identifier id', 'id']],
  },
  {
    name: 'UpdateRevealConfiguration',
    severity: 'MEDIUM',
    action: 'changed the reveal-samples configuration',
    meaning: 'The settings for retrieving sensitive data samples changed (enabled or disabled, KMS key, or the role Macie assumes to read objects).',
    whatToDo: 'Confirm the change was intended; if reveal was enabled, make sure only the right people hold macie2:GetSensitiveDataOccurrences.',
    parameters: [
      ['Status', 'configuration.status'],
      ['KMS key', 'configuration.kmsKeyId'],
      ['Retrieval mode', 'retrievalConfiguration.retrievalMode'],
      ['Role name', 'retrievalConfiguration.roleName'],
    ],
  },
  {
    name: 'PutClassificationExportConfiguration',
    severity: 'MEDIUM',
    action: 'changed where discovery results are stored',
    meaning: 'The S3 location (and KMS key) where Macie stores sensitive data discovery results changed: results may now go to a bucket outside your control.',
    whatToDo: 'Check that the bucket and key belong to you and are locked down; revert the configuration if not.',
    parameters: [
      ['Bucket', 'configuration.s3Destination.bucketName'],
      ['Key prefix', 'configuration.s3Destination.keyPrefix'],
      ['KMS key', 'configuration.s3Destination.kmsKeyArn'],
    ],
  },
];

const BY_NAME = new Map(API_CALL_TYPES.map((t) => [t.name, t]));

export function apiCallType(eventName: string): ApiCallType | undefined {
  return BY_NAME.get(eventName);
}

/** The calls the EventBridge rule should match (detail.eventName). */
export const ALERTED_API_CALLS: readonly string[] = API_CALL_TYPES.map((t) => t.name);
