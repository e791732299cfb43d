import type { Severity } from '../core/severity';

/**
 * What each Macie finding type means and what to do about it, in our words. Macie's own severity for the
 * finding (detail.severity) is what the alert carries; `typicalSeverity` documents Macie's usual rating.
 */
export interface FindingTypeInfo {
  readonly type: string;
  readonly kind: 'policy' | 'sensitive-data';
  /** Short name for headlines, e.g. "bucket is public". */
  readonly short: string;
  readonly typicalSeverity: Severity | 'depends on the data found';
  readonly meaning: string;
  readonly whatToDo: string;
}

export const POLICY_FINDING_TYPES: readonly FindingTypeInfo[] = [
  {
    type: 'Policy:IAMUser/S3BlockPublicAccessDisabled',
    kind: 'policy',
    short: 'block public access disabled',
    typicalSeverity: 'HIGH',
    meaning:
      'All bucket-level block public access settings were turned off for the bucket. Nothing at bucket level now stops a bucket policy or an ACL from making it public: one more change and its data can be read by anyone.',
    whatToDo:
      'Unless the bucket is meant to serve public content, turn block public access back on for it (and keep it on at account level). Check with the actor shown below whether the change was intended, and review the bucket policy and ACLs.',
  },
  {
    type: 'Policy:IAMUser/S3BucketEncryptionDisabled',
    kind: 'policy',
    short: 'default encryption disabled',
    typicalSeverity: 'LOW',
    meaning: 'Default encryption settings were removed from the bucket, so new objects may be stored without server-side encryption.',
    whatToDo:
      'Set default encryption on the bucket (SSE-S3 or SSE-KMS) and consider a bucket policy that denies unencrypted uploads. Find out who removed it and why.',
  },
  {
    type: 'Policy:IAMUser/S3BucketPublic',
    kind: 'policy',
    short: 'bucket is public',
    typicalSeverity: 'HIGH',
    meaning: 'An ACL or bucket policy change made the bucket publicly accessible: anyone on the internet may be able to read (or write) its objects.',
    whatToDo:
      'If the bucket is not meant to be public, remove the public grants from its policy and ACLs and enable block public access now; then check the access logs for reads from outside your organisation since the change.',
  },
  {
    type: 'Policy:IAMUser/S3BucketReplicatedExternally',
    kind: 'policy',
    short: 'bucket replicated to an external account',
    typicalSeverity: 'HIGH',
    meaning:
      'Replication was configured to copy objects from this bucket to a bucket in an AWS account outside your organisation: copies of its data leave your control.',
    whatToDo:
      'Check the replication rule and the destination account. If it is not a known partner, delete the replication configuration and find out who added it; objects already replicated stay in the other account.',
  },
  {
    type: 'Policy:IAMUser/S3BucketSharedExternally',
    kind: 'policy',
    short: 'bucket shared with an external account',
    typicalSeverity: 'HIGH',
    meaning: 'An ACL, bucket policy or access point now grants an AWS account outside your organisation access to the bucket.',
    whatToDo: 'Confirm the external account is expected. If not, remove its grant from the bucket policy, ACL or access point and review what it accessed.',
  },
  {
    type: 'Policy:IAMUser/S3BucketSharedWithCloudFront',
    kind: 'policy',
    short: 'bucket shared with CloudFront',
    typicalSeverity: 'MEDIUM',
    meaning:
      'The bucket policy grants a CloudFront distribution (origin access identity or control) access: its objects can be served through that distribution.',
    whatToDo:
      'Make sure the distribution is yours and intended to serve this bucket, and that it restricts who can fetch the content. Remove the grant if not.',
  },
];

export const SENSITIVE_DATA_FINDING_TYPES: readonly FindingTypeInfo[] = [
  {
    type: 'SensitiveData:S3Object/Credentials',
    kind: 'sensitive-data',
    short: 'credentials',
    typicalSeverity: 'depends on the data found',
    meaning: 'An object contains credentials such as private keys or AWS secret access keys. Anyone who can read the object can use them.',
    whatToDo:
      'Treat the credentials as leaked: rotate or revoke them now, then remove them from the object (and its older versions) and store secrets in a secrets manager. Check who could read the bucket.',
  },
  {
    type: 'SensitiveData:S3Object/CustomIdentifier',
    kind: 'sensitive-data',
    short: 'custom data identifier matches',
    typicalSeverity: 'depends on the data found',
    meaning: 'An object contains text that matches one or more of your custom data identifiers.',
    whatToDo:
      'Review the matches in the finding; if the data should not be in this bucket, move or delete it and restrict access. Tune the identifier if the matches are false positives.',
  },
  {
    type: 'SensitiveData:S3Object/Financial',
    kind: 'sensitive-data',
    short: 'financial data',
    typicalSeverity: 'depends on the data found',
    meaning: 'An object contains financial information such as credit card or bank account numbers.',
    whatToDo:
      'Confirm the bucket is approved for financial data (PCI scope) and that access and encryption match; otherwise move or delete the object and find out how it got there.',
  },
  {
    type: 'SensitiveData:S3Object/Multiple',
    kind: 'sensitive-data',
    short: 'several kinds of sensitive data',
    typicalSeverity: 'depends on the data found',
    meaning: 'An object contains more than one category of sensitive data (for example personal and financial information, or credentials).',
    whatToDo:
      'Review the data categories below. Confirm the bucket is approved to hold each of them; otherwise move or delete the object, restrict access and check who has read it.',
  },
  {
    type: 'SensitiveData:S3Object/Personal',
    kind: 'sensitive-data',
    short: 'personal data',
    typicalSeverity: 'depends on the data found',
    meaning: 'An object contains personal information (names, addresses, national identifiers, passport numbers, health information and similar).',
    whatToDo:
      'Confirm the bucket is approved for personal data and that its access and encryption match your privacy obligations; otherwise move or delete the object and restrict access.',
  },
];

const BY_TYPE = new Map([...POLICY_FINDING_TYPES, ...SENSITIVE_DATA_FINDING_TYPES].map((t) => [t.type, t]));

/** The table entry for a finding type, or undefined for a type Macie added after this table was written. */
export function findingTypeInfo(type: string): FindingTypeInfo | undefined {
  return BY_TYPE.get(type);
}

/** What an alert says about a finding type we do not know yet: never dropped, and says it is unrecognised. */
export function unknownFindingTypeInfo(type: string, kind: FindingTypeInfo['kind']): FindingTypeInfo {
  return {
    type,
    kind,
    short: `unrecognised finding type ${type}`,
    typicalSeverity: 'MEDIUM',
    meaning: `Macie reported a finding of type ${type}, which this version of macie-alerts does not recognise (Macie may have added it recently). Its title and description below are Macie's own.`,
    whatToDo: "Open the finding in the Macie console and follow Macie's guidance for this type. Consider updating macie-alerts so it knows the type.",
  };
}
