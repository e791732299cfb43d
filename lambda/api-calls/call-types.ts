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
  /** The same as an attempt, for a denied call's headline: "reveal sensitive data samples". */
  readonly attempt: string;
  readonly meaning: string;
  readonly whatToDo: string;
  /** What a denied call would have done, had it succeeded (a denied call changed nothing). */
  readonly wouldHave: string;
  /** The IAM action a denied call was refused, for the advice on who holds it. */
  readonly permission?: string;
  /** Wording that depends on the parameters (UpdateClassificationJob: cancelled or paused). */
  readonly variant?: (params: Record<string, unknown>) => Partial<CallWording> | undefined;
  /** The request parameters that matter, shown as details: [label, dotted path in requestParameters]. */
  readonly parameters: readonly (readonly [string, string])[];
  /** Only calls with these parameters alert; undefined means always. Returns a reason when it does not match. */
  readonly when?: (params: Record<string, unknown>) => true | string;
}

/** The words of one call's alert. */
export interface CallWording {
  readonly action: string;
  readonly attempt: string;
  readonly meaning: string;
  readonly whatToDo: string;
  readonly wouldHave: string;
}

/** The words for this call with these parameters: the type's, or its variant's where the parameters change what happened. */
export function callWording(type: ApiCallType, params: Record<string, unknown> | null | undefined): CallWording {
  const base: CallWording = { action: type.action, attempt: type.attempt, meaning: type.meaning, whatToDo: type.whatToDo, wouldHave: type.wouldHave };
  return { ...base, ...(type.variant?.(params ?? {}) ?? {}) };
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

/** UpdateClassificationJob says what it did: a cancel is final, a pause is not. */
const JOB_STATUS_WORDING: Record<string, Partial<CallWording>> = {
  CANCELLED: {
    action: 'cancelled a classification job',
    attempt: 'cancel a classification job',
    meaning:
      'A sensitive data discovery job was cancelled by a user: it will not run again (a cancelled job cannot be resumed), so the buckets it covers are no longer analysed by it.',
    whatToDo:
      'Check with the person whether this was intended. If the buckets must still be analysed, create a new job to replace the cancelled one (the console can copy it).',
    wouldHave: 'the job would have been cancelled for good: a cancelled job cannot be resumed.',
  },
  USER_PAUSED: {
    action: 'paused a classification job',
    attempt: 'pause a classification job',
    meaning: 'A sensitive data discovery job was paused by a user: it analyses nothing until it is resumed. A run paused for 30 days is cancelled by Macie.',
    whatToDo: 'Check with the person whether this was intended. If not, resume the job from the Macie console within 30 days of the pause.',
    wouldHave: 'the job would have been paused, analysing nothing until resumed, and cancelled by Macie after 30 days.',
  },
};

export const API_CALL_TYPES: readonly ApiCallType[] = [
  {
    name: 'GetSensitiveDataOccurrences',
    severity: 'HIGH',
    action: 'revealed sensitive data samples',
    attempt: 'reveal sensitive data samples',
    meaning:
      'Someone retrieved and displayed samples of the sensitive data Macie found in an S3 object (for example the actual card or social security numbers).',
    whatToDo:
      'Confirm the person is entitled to see this data and had a reason to. If not, revoke their macie2:GetSensitiveDataOccurrences permission and treat the revealed data as disclosed.',
    wouldHave: "the samples of sensitive data in the finding's S3 object would have been shown to this principal.",
    permission: 'macie2:GetSensitiveDataOccurrences',
    parameters: [['Finding id', 'findingId']],
  },
  {
    name: 'DisableMacie',
    severity: 'HIGH',
    action: 'disabled Macie',
    attempt: 'disable Macie',
    meaning: 'Macie was disabled in this account and Region: its jobs, findings and settings are deleted and S3 is no longer monitored.',
    whatToDo:
      'If this was not a planned decommissioning, re-enable Macie, recreate the jobs, and find out who did it and why. Restrict macie2:DisableMacie with an SCP.',
    wouldHave: 'Macie would have been disabled in this account and Region: its jobs, findings and settings deleted, and S3 no longer monitored.',
    permission: 'macie2:DisableMacie',
    parameters: [],
  },
  {
    name: 'UpdateMacieSession',
    severity: 'HIGH',
    action: 'suspended (paused) Macie',
    attempt: 'suspend (pause) Macie',
    meaning: 'Macie was suspended: it stops monitoring S3 and running jobs until someone re-enables it.',
    whatToDo: 'If not planned, set the Macie status back to ENABLED and find out who suspended it. Restrict macie2:UpdateMacieSession.',
    wouldHave: 'Macie would have been suspended: no S3 monitoring and no job runs until someone re-enabled it.',
    permission: 'macie2:UpdateMacieSession',
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
    attempt: 'remove the Macie delegated administrator',
    meaning: "The organisation's delegated Macie administrator account was removed: central management of Macie for member accounts stops.",
    whatToDo: 'If not planned, designate the administrator again from the management account and check that member accounts are re-associated.',
    wouldHave: "the organisation's delegated Macie administrator would have been removed, ending central management of Macie for member accounts.",
    permission: 'macie2:DisableOrganizationAdminAccount',
    parameters: [['Administrator account', 'adminAccountId']],
  },
  {
    name: 'DisassociateFromAdministratorAccount',
    severity: 'HIGH',
    action: 'left the Macie administrator account',
    attempt: 'leave the Macie administrator account',
    meaning:
      'This member account disassociated itself from its Macie administrator: the administrator no longer sees its findings or runs jobs on its buckets.',
    whatToDo: MEMBERSHIP_TODO,
    wouldHave: 'this member account would have left its Macie administrator, whose jobs and findings would no longer cover it.',
    permission: 'macie2:DisassociateFromAdministratorAccount',
    parameters: [],
  },
  {
    name: 'DisassociateFromMasterAccount',
    severity: 'HIGH',
    action: 'left the Macie administrator (master) account',
    attempt: 'leave the Macie administrator (master) account',
    meaning:
      'This member account disassociated itself from its Macie administrator (the older name of the call): the administrator no longer sees its findings.',
    whatToDo: MEMBERSHIP_TODO,
    wouldHave: 'this member account would have left its Macie administrator, whose findings would no longer cover it.',
    permission: 'macie2:DisassociateFromMasterAccount',
    parameters: [],
  },
  {
    name: 'DisassociateMember',
    severity: 'HIGH',
    action: 'disassociated a Macie member account',
    attempt: 'disassociate a Macie member account',
    meaning: 'A member account was disassociated from this Macie administrator: its buckets drop out of central monitoring and jobs.',
    whatToDo: MEMBERSHIP_TODO,
    wouldHave: 'the member account would have been disassociated, its buckets dropping out of central monitoring and jobs.',
    permission: 'macie2:DisassociateMember',
    parameters: [['Member account', 'id']],
  },
  {
    name: 'DeleteMember',
    severity: 'HIGH',
    action: 'deleted a Macie member account',
    attempt: 'delete a Macie member account',
    meaning: 'A member account was removed from this Macie administrator: its buckets drop out of central monitoring and jobs.',
    whatToDo: MEMBERSHIP_TODO,
    wouldHave: 'the member account would have been removed from this administrator, its buckets dropping out of central monitoring and jobs.',
    permission: 'macie2:DeleteMember',
    parameters: [['Member account', 'id']],
  },
  {
    name: 'CreateFindingsFilter',
    severity: 'HIGH',
    action: 'created a suppression rule (findings auto-archived)',
    attempt: 'create a suppression rule (findings auto-archived)',
    meaning:
      'A findings filter with action ARCHIVE was created: every matching finding, current and future, is archived automatically and never reaches alerts like this one.',
    whatToDo:
      'Review the filter criteria in the Macie console. If it hides findings that matter, delete it or change its action to NOOP, and review the findings it archived.',
    wouldHave: 'every finding matching the filter, current and future, would have been archived automatically and kept from these alerts.',
    permission: 'macie2:CreateFindingsFilter',
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
    attempt: 'change a findings filter to suppress findings',
    meaning: 'A findings filter was updated with action ARCHIVE: matching findings are archived automatically and never reach alerts.',
    whatToDo:
      'Review the filter criteria in the Macie console. If it hides findings that matter, change its action back to NOOP or delete it, and review the findings it archived.',
    wouldHave: 'every finding matching the filter would have been archived automatically and kept from these alerts.',
    permission: 'macie2:UpdateFindingsFilter',
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
    attempt: 'cancel or pause a classification job',
    meaning:
      'A sensitive data discovery job was cancelled or paused by a user: the buckets it covers are not being analysed. A cancelled job cannot be resumed; a one-time job paused for 30 days is cancelled.',
    whatToDo: 'Check with the person whether this was intended. Resume a paused job from the Macie console, or create a new job to replace a cancelled one.',
    wouldHave: 'the job would have stopped analysing the buckets it covers.',
    permission: 'macie2:UpdateClassificationJob',
    parameters: [
      ['Job id', 'jobId'],
      ['New job status', 'jobStatus'],
    ],
    when: oneOf('jobStatus', ['CANCELLED', 'USER_PAUSED']),
    variant: (params) => JOB_STATUS_WORDING[String(param(params, 'jobStatus'))],
  },
  {
    name: 'DeleteFindingsFilter',
    severity: 'MEDIUM',
    action: 'deleted a findings filter',
    attempt: 'delete a findings filter',
    meaning: 'A saved findings filter or suppression rule was deleted.',
    whatToDo: 'Confirm the deletion was intended; recreate the filter if your triage depended on it.',
    wouldHave: 'the saved findings filter or suppression rule would have been deleted.',
    permission: 'macie2:DeleteFindingsFilter',
    parameters: [['Filter id', 'id']],
  },
  {
    name: 'DeleteAllowList',
    severity: 'MEDIUM',
    action: 'deleted an allow list',
    attempt: 'delete an allow list',
    meaning: 'An allow list was deleted: jobs that used it may now report text it used to exclude, or fail.',
    whatToDo: 'Confirm it was intended and check the jobs that referenced the allow list.',
    wouldHave: 'the allow list would have been deleted, and jobs that use it would report text it excludes, or fail.',
    permission: 'macie2:DeleteAllowList',
    parameters: [
      ['Allow list id', 'id'],
      ['Ignore job checks', 'ignoreJobChecks'],
    ],
  },
  {
    name: 'DeleteCustomDataIdentifier',
    severity: 'MEDIUM',
    action: 'deleted a custom data identifier',
    attempt: 'delete a custom data identifier',
    meaning: 'A custom data identifier was deleted: new jobs no longer detect the data it described (running jobs keep using it).',
    whatToDo: 'Confirm it was intended; recreate the identifier and add it to jobs if that data must still be found.',
    wouldHave: 'new jobs would no longer have detected the data it describes.',
    permission: 'macie2:DeleteCustomDataIdentifier',
    parameters: [['Custom data identifier id', 'id']],
  },
  {
    name: 'UpdateRevealConfiguration',
    severity: 'MEDIUM',
    action: 'changed the reveal-samples configuration',
    attempt: 'change the reveal-samples configuration',
    meaning: 'The settings for retrieving sensitive data samples changed (enabled or disabled, KMS key, or the role Macie assumes to read objects).',
    whatToDo: 'Confirm the change was intended; if reveal was enabled, make sure only the right people hold macie2:GetSensitiveDataOccurrences.',
    wouldHave: 'the settings for retrieving sensitive data samples (enabled or disabled, KMS key, or the role Macie assumes) would have changed.',
    permission: 'macie2:UpdateRevealConfiguration',
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
    attempt: 'change where discovery results are stored',
    meaning: 'The S3 location (and KMS key) where Macie stores sensitive data discovery results changed: results may now go to a bucket outside your control.',
    whatToDo: 'Check that the bucket and key belong to you and are locked down; revert the configuration if not.',
    wouldHave: "Macie's sensitive data discovery results would have gone to another S3 location, possibly outside your control.",
    permission: 'macie2:PutClassificationExportConfiguration',
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
