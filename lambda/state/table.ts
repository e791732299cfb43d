import { createHash } from 'node:crypto';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The one state table's layout, shared by the CDK construct, the handlers, the tests and the replay CLI so
 * that they cannot drift apart.
 *
 * Items (pk / sk):
 *   JOB#<jobId> / JOB                   job record: name, kind, current run, recent run starts
 *   JOB#<jobId> / RUN#<runDate>         run record: status, counts, groups, applied batches, pending alerts
 *   JOB#<jobId> / APPLIED#<runDate>#<n> the digests of the log events the run's n-th batch applied (dedupe;
 *                                       job-log/applied-events.ts), written with the run
 *   JOB#<jobId> / BUCKETS#<runDate>#<type>#<n>  page n of the distinct buckets one error type of the run named,
 *                                       as 8-byte digests (state/bucket-pages.ts), written with the run
 *   ALERT#<alertId> / ALERT             outbox: the alert, PENDING, SENDING while claimed (under a lease), then
 *                                       SENT once SNS took it (layout: delivery/alert-item.ts)
 *   EVENT#<eventId> / EVENT             an EventBridge event already applied (dedupe of redeliveries), with
 *                                       the owner of its alerts (ownerPk/ownerSk) for a retry to deliver
 *   JOB#<jobId> / FGROUP#<runDate>#<bucket>#<type>      sensitive-data findings of one run, bucket and type
 *   JOB#<jobId> / FLEDGER#<runDate>     the run's findings ledger: bumped by every findings write before the
 *                                       summary, marked by the summary's write (state/findings-ledger.ts)
 *   JOB#<jobId> / FROLLUP#<runDate>#<type>               the run's roll-up of one finding type (findings-rollup.ts)
 *   AUTOMATED#<accountId> / FGROUP#<bucket>#<type>       the same for automated sensitive data discovery
 *   SAMPLE#<accountId> / FGROUP#<bucket>#<type>          Macie's sample findings (kept apart from real runs)
 *   FINDING#<findingId> / FINDING       a policy finding: last count and last alert time
 *   PRINCIPAL#<arn> / REVEALS           reveals of sensitive data by one principal: the current window
 *   HEALTH#<account>#<eventArn> / HEALTH an AWS Health event about Macie: what its last alert told (health/health-event.ts)
 *   SILENCE / <silenceId>               a silence: matchers, start, end, author, reason. One fixed partition, so
 *                                       one Query reads every silence (see silence-items.ts for why that is fine)
 *   SILENCE / <ackId>                   an acknowledgement of one alert (A-XXXX): its alert id, until when,
 *                                       author, reason; beside the silences, so one Query reads both (ack-items.ts)
 *   SILENCED#<silenceId> / IN#<aggregate pk>|<aggregate sk>   what that silence hid in that aggregate, written with it
 *   DIGEST / <window end>               a daily digest sent: its window and the alert (digest-items.ts)
 *   SMSBUDGET / <yyyy-mm-ddThh>         the SMS budget of one UTC hour: ids let through, refusals not told yet
 *                                       (delivery/sms-budget.ts), kept two days
 *   SELFTEST / <function>#<test id>     a self-test's own item and the owner of its TEST alert
 *                                       (handlers/self-test.ts), expiring within the hour
 * The sparse index gsi1 lists what the sweeper must look at: OPEN_RUN (running or paused runs),
 * PENDING_ALERT (alerts not yet claimed), SENDING_ALERT (claimed alerts, by the end of their lease),
 * PERIODIC_JOB (jobs with scheduled runs), and counts held back that the sweeper reports once they are due:
 * LATE_FINDINGS (findings groups counted after their run's summary, by when they were marked),
 * HELD_ROLLUP (findings groups rolled up into their type's alert, by when it is due),
 * HELD_RECURRENCE (policy findings with recurrences not alerted, by the end of their repeat window) and
 * HELD_REVEALS (reveal windows with reveals not alerted, by the end of the window). The sparse index gsi2
 * lists, per UTC day, what the daily digest reads (GSI2).
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  gsi2: { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projected: ['facts', 'ownerPk', 'ownerSk'] },
} as const;

export const GSI1 = {
  openRun: 'OPEN_RUN',
  pendingAlert: 'PENDING_ALERT',
  sendingAlert: 'SENDING_ALERT',
  periodicJob: 'PERIODIC_JOB',
  lateFindings: 'LATE_FINDINGS',
  heldRecurrence: 'HELD_RECURRENCE',
  heldReveals: 'HELD_REVEALS',
  heldRollup: 'HELD_ROLLUP',
  /** Never written: the sweeper's self-test reads it to show it may query the index. */
  selfTest: 'SELFTEST',
} as const;

/**
 * The digest's index, one partition per kind and UTC day (yyyy-mm-dd), sorted by time then key, so the
 * 24 hours of a digest are one Query per day they touch. ALERTS: every alert, by when it was raised (its
 * `facts` and owner projected: the digest never reads alert bodies). RUNS_ENDED: every job run that ended,
 * by when it ended (keys only). Nothing projected changes after the item is written, so an alert's claim and
 * settle, and a late update of an ended run, never write to the index: one index write per alert and per run.
 */
export const GSI2 = {
  alerts: (day: string) => `ALERTS#${day}`,
  runsEnded: (day: string) => `RUNS_ENDED#${day}`,
} as const;

/** The UTC day of an ISO 8601 time (as toISOString writes it), the day part of GSI2 partitions. */
export function utcDay(iso: string): string {
  return iso.slice(0, 10);
}

/**
 * A key component taken from an event (bucket name, principal ARN, alert id...) kept far below DynamoDB's key
 * limits (2,048 bytes partition, 1,024 bytes sort): a long one becomes a readable prefix plus a hash of the
 * whole, still unique and deterministic, so a hostile 2,000-character name cannot make a write fail.
 */
export function keyPart(value: string): string {
  if (Buffer.byteLength(value, 'utf8') <= 200) return value;
  return `${value.slice(0, 100)}~${createHash('sha256').update(value).digest('hex').slice(0, 32)}`;
}

const k = keyPart;
const appliedEventsPrefix = (runDate: string) => `APPLIED#${k(runDate)}#`;

export const keys = {
  job: (jobId: string) => ({ pk: `JOB#${k(jobId)}`, sk: 'JOB' }),
  run: (jobId: string, runDate: string) => ({ pk: `JOB#${k(jobId)}`, sk: `RUN#${k(runDate)}` }),
  /** Numbered with 10 digits so that the sort key orders them: one Query reads a run's newest first. */
  runAppliedEvents: (jobId: string, runDate: string, n: number) => ({
    pk: `JOB#${k(jobId)}`,
    sk: `${appliedEventsPrefix(runDate)}${String(n).padStart(10, '0')}`,
  }),
  runAppliedEventsPrefix: (runDate: string) => appliedEventsPrefix(runDate),
  /** Page n (from 0) of the distinct buckets one error type of a run named (bucket-pages.ts). */
  runBucketPage: (jobId: string, runDate: string, errorType: string, n: number) => ({
    pk: `JOB#${k(jobId)}`,
    sk: `BUCKETS#${k(runDate)}#${k(errorType)}#${String(n).padStart(4, '0')}`,
  }),
  alert: (alertId: string) => ({ pk: `ALERT#${k(alertId)}`, sk: 'ALERT' }),
  event: (eventId: string) => ({ pk: `EVENT#${k(eventId)}`, sk: 'EVENT' }),
  /** Under the job's partition, so the run summary lists a run's findings with one query (runFindingsPrefix). */
  findingGroup: (jobId: string, runDate: string, bucket: string, findingType: string) => ({
    pk: `JOB#${k(jobId)}`,
    sk: `FGROUP#${k(runDate)}#${k(bucket)}#${k(findingType)}`,
  }),
  runFindingsPrefix: (runDate: string) => `FGROUP#${k(runDate)}#`,
  /** A run's roll-up of one finding type: beside its groups, outside runFindingsPrefix. */
  findingRollup: (jobId: string, runDate: string, findingType: string) => ({
    pk: `JOB#${k(jobId)}`,
    sk: `FROLLUP#${k(runDate)}#${k(findingType)}`,
  }),
  /** Outside runFindingsPrefix, so listing a run's groups never reads it. */
  runFindingsLedger: (jobId: string, runDate: string) => ({ pk: `JOB#${k(jobId)}`, sk: `FLEDGER#${k(runDate)}` }),
  automatedFindingGroup: (accountId: string, bucket: string, findingType: string) => ({
    pk: `AUTOMATED#${k(accountId)}`,
    sk: `FGROUP#${k(bucket)}#${k(findingType)}`,
  }),
  /** Sample findings never count towards a real job run's summary. */
  sampleFindingGroup: (accountId: string, bucket: string, findingType: string) => ({
    pk: `SAMPLE#${k(accountId)}`,
    sk: `FGROUP#${k(bucket)}#${k(findingType)}`,
  }),
  policyFinding: (findingId: string) => ({ pk: `FINDING#${k(findingId)}`, sk: 'FINDING' }),
  principalReveals: (principalArn: string) => ({ pk: `PRINCIPAL#${k(principalArn)}`, sk: 'REVEALS' }),
  /** An event ARN is unique per Region and event, not per account: the account keeps organizational views apart. */
  healthEvent: (accountId: string, eventArn: string) => ({ pk: `HEALTH#${k(accountId)}#${k(eventArn)}`, sk: 'HEALTH' }),
  /** Silence ids are short and checked (S-XXXX), so they need no keyPart. */
  silence: (silenceId: string) => ({ pk: SILENCE_PARTITION, sk: silenceId }),
  /** What one silence hid in one aggregate (silence-tally-items.ts): one partition per silence, so its end reads them in one Query. */
  silenceTally: (silenceId: string, aggregate: ItemKey) => ({
    pk: `${SILENCE_TALLY_PREFIX}${silenceId}`,
    sk: `${SILENCE_TALLY_SK_PREFIX}${aggregate.pk}|${aggregate.sk}`,
  }),
  /** Acknowledgement ids are short and checked (A-XXXX), so they need no keyPart. */
  ack: (ackId: string) => ({ pk: SILENCE_PARTITION, sk: ackId }),
  /** A digest, by the end of its window (ISO 8601, UTC): one partition, so recent digests are one Query. */
  digest: (windowEnd: string) => ({ pk: DIGEST_PARTITION, sk: windowEnd }),
  /** Test ids are checked ([A-Za-z0-9-], at most 64 characters): no keyPart needed. */
  selfTest: (fn: string, testId: string) => ({ pk: SELF_TEST_PARTITION, sk: `${fn}#${testId}` }),
};

/** A silence's tally partition is this and its id (keys.silenceTally). */
export const SILENCE_TALLY_PREFIX = 'SILENCED#';
/** Every tally's sort key starts with this (a Query's key condition needs a non-empty prefix). */
export const SILENCE_TALLY_SK_PREFIX = 'IN#';
/** The partition holding every silence (keys.silence) and every acknowledgement (keys.ack). */
export const SILENCE_PARTITION = 'SILENCE';
/** The partition holding every digest mark (keys.digest). */
export const DIGEST_PARTITION = 'DIGEST';
/** Every self-test's item: one partition no real state uses. */
export const SELF_TEST_PARTITION = 'SELFTEST';

export type ItemKey = { pk: string; sk: string };

/** Run date of events (and findings) of a job whose current run is not known yet. */
export const UNKNOWN_RUN = 'UNKNOWN';

/** The table as DynamoDB Local needs it (tests, replay); the construct declares the same keys in CDK. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, gsi1, gsi2 } = TABLE_KEYS;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
      { AttributeName: gsi1.partitionKey, AttributeType: 'S' },
      { AttributeName: gsi1.sortKey, AttributeType: 'S' },
      { AttributeName: gsi2.partitionKey, AttributeType: 'S' },
      { AttributeName: gsi2.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: gsi1.indexName,
        KeySchema: [
          { AttributeName: gsi1.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi1.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: gsi2.indexName,
        KeySchema: [
          { AttributeName: gsi2.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi2.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...gsi2.projected] },
      },
    ],
  };
}

/** A time in whole epoch seconds, the unit of the TTL attribute. */
export function epochSeconds(at: Date): number {
  return Math.floor(at.getTime() / 1000);
}

/** TTL value (epoch seconds) for an item last touched at `at`. */
export function expiresAt(at: Date, retentionDays: number): number {
  return epochSeconds(at) + Math.round(retentionDays * 86400);
}
