import { createHash } from 'node:crypto';

// CloudTrail records as people have them (log files, lookup-events, one copied record) turned into the
// EventBridge events the API-call pipeline gets; records of other services are recognised and counted.

export const MACIE_EVENT_SOURCE = 'macie2.amazonaws.com';

/** CloudTrail names every service by its endpoint; S3 event notifications and SQS messages use `aws:s3`, `aws:sqs`. */
const SERVICE_ENDPOINT = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/;

/** A CloudTrail record: the fields every record has, whatever the service. */
export function isCloudTrailRecord(value: Readonly<Record<string, unknown>>): boolean {
  return (
    typeof value.eventVersion === 'string' &&
    typeof value.eventSource === 'string' &&
    SERVICE_ENDPOINT.test(value.eventSource) &&
    typeof value.eventName === 'string' &&
    typeof value.eventTime === 'string'
  );
}

export function isMacieRecord(record: Readonly<Record<string, unknown>>): boolean {
  return record.eventSource === MACIE_EVENT_SOURCE;
}

/**
 * The EventBridge event CloudTrail's integration makes of a record. Its id is the record's eventID (the same
 * call read from two trails is one event, as EventBridge delivers it once), or a hash of the record.
 */
export function cloudTrailEvent(record: Readonly<Record<string, unknown>>) {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const identity = typeof record.userIdentity === 'object' && record.userIdentity !== null ? (record.userIdentity as Record<string, unknown>) : {};
  return {
    version: '0',
    id: text(record.eventID) ?? createHash('sha256').update(JSON.stringify(record)).digest('hex').slice(0, 32),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.macie2',
    account: text(record.recipientAccountId) ?? text(identity.accountId) ?? '000000000000',
    time: String(record.eventTime),
    region: text(record.awsRegion) ?? 'us-east-1',
    resources: [] as string[],
    detail: { ...record },
  };
}

/** `aws cloudtrail lookup-events` output: each event carries its record as a JSON string, CloudTrailEvent. */
export function isLookupEvent(value: Readonly<Record<string, unknown>>): boolean {
  return typeof value.CloudTrailEvent === 'string' && typeof value.EventId === 'string';
}
