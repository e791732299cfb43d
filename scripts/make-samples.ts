/**
 * Writes samples/: realistic Macie event streams for `npm run demo` and for people reading them.
 * Run with `npx tsx scripts/make-samples.ts`; the output is deterministic (no clock, no randomness), and the
 * generated files are committed so the demo needs nothing but the repository.
 *
 * Shapes follow the AWS documentation examples exactly (seed documents 000 job log events, 001 CloudTrail
 * records, 003 finding events); only names, ids and times vary.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MACIE_JOB_LOG_GROUP } from '../lambda/core/links';

const OUT = join(__dirname, '..', 'samples');
const ADMIN = '123456789012';
const MEMBER = '111122223333';
const OTHER_MEMBER = '444455556666';
const REGION = 'us-east-1';

// ---------- helpers ----------

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A uuid-shaped id derived from a name, so re-generating gives the same ids. */
function uuidFrom(name: string): string {
  const h = hash(name);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** CloudWatch Logs event ids are 56 decimal digits. */
function logEventId(name: string): string {
  return BigInt(`0x${hash(name)}`)
    .toString()
    .padStart(56, '0')
    .slice(-56);
}

/** Macie writes microseconds: 2024-04-14T17:11:30.574809Z. */
function macieTime(ms: number, micros = 0): string {
  return new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

function at(iso: string): number {
  return Date.parse(iso);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface JobEventInput {
  jobId: string;
  jobName: string;
  eventType: string;
  occurredAt: string;
  description: string;
  operation?: string;
  runDate?: string;
  affectedAccount?: string;
  bucket?: string;
}

/** A Macie job log event with the fields in the order of the documentation's examples. */
function jobEvent(e: JobEventInput): Record<string, unknown> {
  return {
    adminAccountId: ADMIN,
    jobId: e.jobId,
    eventType: e.eventType,
    occurredAt: e.occurredAt,
    description: e.description,
    jobName: e.jobName,
    ...(e.operation ? { operation: e.operation } : {}),
    ...(e.runDate ? { runDate: e.runDate } : {}),
    ...(e.affectedAccount ? { affectedAccount: e.affectedAccount } : {}),
    ...(e.bucket ? { affectedResource: { type: 'S3_BUCKET_NAME', value: e.bucket } } : {}),
  };
}

const DESCRIPTIONS: Record<string, string> = {
  JOB_CREATED: 'The job was created.',
  ONE_TIME_JOB_STARTED: 'The job started running.',
  SCHEDULED_RUN_STARTED: 'The scheduled job run started running.',
  BUCKET_MATCHED_THE_CRITERIA: 'The affected bucket matched the bucket criteria specified for the job.',
  SCHEDULED_RUN_COMPLETED: 'The scheduled job run finished running.',
  JOB_PAUSED_BY_USER: 'The job was paused by a user.',
  JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET: 'The job was paused by Macie. Completion of the job would exceed a monthly quota for the affected account.',
  JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED: 'The job was resumed by Macie. The monthly service quota was lifted for the affected account.',
  JOB_CANCELLED: 'The job was cancelled.',
  JOB_COMPLETED: 'The job finished running.',
  ACCOUNT_ACCESS_DENIED: 'Macie doesn’t have permission to access S3 bucket data for the affected account.',
  BUCKET_ACCESS_DENIED: 'Macie doesn’t have permission to access the affected S3 bucket.',
  BUCKET_DOES_NOT_EXIST: 'The affected S3 bucket doesn’t exist anymore.',
  BUCKET_IN_DIFFERENT_REGION: 'The affected S3 bucket was moved to a different AWS Region.',
  NO_BUCKETS_MATCHED_THE_CRITERIA:
    "The job started running but no buckets currently match the bucket criteria specified for the job. The job didn't analyze any data.",
};

function ev(input: Omit<JobEventInput, 'description'>): Record<string, unknown> {
  return jobEvent({ ...input, description: DESCRIPTIONS[input.eventType] });
}

interface LogEvent {
  id: string;
  timestamp: number;
  message: string;
}

function logEvent(event: Record<string, unknown>): LogEvent {
  const message = JSON.stringify(event);
  return { id: logEventId(message), timestamp: at(String(event.occurredAt)), message };
}

/** The decoded subscription payload CloudWatch Logs delivers for one batch of one stream (= one job). */
function payload(jobId: string, events: Record<string, unknown>[]) {
  return {
    messageType: 'DATA_MESSAGE',
    owner: ADMIN,
    logGroup: MACIE_JOB_LOG_GROUP,
    logStream: jobId,
    subscriptionFilters: ['MacieAlerts-JobLogSubscription'],
    logEvents: events.map(logEvent),
  };
}

function write(name: string, text: string): void {
  writeFileSync(join(OUT, name), text.endsWith('\n') ? text : `${text}\n`);
}

const jsonl = (values: unknown[]) => values.map((v) => JSON.stringify(v)).join('\n');
const pretty = (value: unknown) => JSON.stringify(value, null, 2);

// ---------- 1. a scheduled run with bucket errors and a storm ----------

function scheduledRunStorm(): void {
  const jobId = 'ffad0e71455f38a4c7c220f3cexample';
  const jobName = 'My_Daily_Macie_Job';
  const start = at('2024-04-14T17:09:30.574Z');
  const runDate = macieTime(start, 809);
  const common = { jobId, jobName, runDate };
  const batches: Record<string, unknown>[][] = [];

  const first: Record<string, unknown>[] = [ev({ ...common, eventType: 'SCHEDULED_RUN_STARTED', occurredAt: runDate })];
  const matched = [
    ...Array.from({ length: 8 }, (_, i) => ({ account: MEMBER, bucket: `amzn-s3-demo-app-logs-${String(i + 1).padStart(2, '0')}` })),
    ...Array.from({ length: 3 }, (_, i) => ({ account: OTHER_MEMBER, bucket: `amzn-s3-demo-partner-share-${i + 1}` })),
  ];
  for (const [i, m] of matched.entries()) {
    first.push(
      ev({
        ...common,
        eventType: 'BUCKET_MATCHED_THE_CRITERIA',
        occurredAt: macieTime(start + 5_000 + i * 200, 311),
        affectedAccount: m.account,
        bucket: m.bucket,
      }),
    );
  }
  // The whole partner account refuses Macie: one account-level error, then its buckets fail too (inhibited).
  first.push(
    ev({ ...common, eventType: 'ACCOUNT_ACCESS_DENIED', occurredAt: macieTime(start + MINUTE, 709), operation: 'ListBuckets', affectedAccount: OTHER_MEMBER }),
  );
  for (let i = 0; i < 3; i++) {
    first.push(
      ev({
        ...common,
        eventType: 'BUCKET_ACCESS_DENIED',
        occurredAt: macieTime(start + MINUTE + (i + 1) * 1000, 120),
        operation: 'ListObjectsV2',
        affectedAccount: OTHER_MEMBER,
        bucket: `amzn-s3-demo-partner-share-${i + 1}`,
      }),
    );
  }
  batches.push(first);

  // The storm: 360 buckets of one member account deny access, over two and a half hours of event time, in
  // batches of 45 the way a subscription delivers them. One alert, then "still occurring" at most hourly.
  const storm: Record<string, unknown>[] = [];
  for (let i = 0; i < 360; i++) {
    storm.push(
      ev({
        ...common,
        eventType: 'BUCKET_ACCESS_DENIED',
        occurredAt: macieTime(start + 2 * MINUTE + i * 25_000, 574),
        operation: 'ListObjectsV2',
        affectedAccount: MEMBER,
        bucket: `amzn-s3-demo-tenant-${String(i + 1).padStart(4, '0')}`,
      }),
    );
    if (i % 120 === 60) {
      storm.push(
        ev({
          ...common,
          eventType: 'BUCKET_DOES_NOT_EXIST',
          occurredAt: macieTime(start + 2 * MINUTE + i * 25_000 + 3_000, 901),
          operation: 'GetBucketLocation',
          affectedAccount: MEMBER,
          bucket: `amzn-s3-demo-retired-${i}`,
        }),
      );
    }
  }
  for (let i = 0; i < storm.length; i += 45) batches.push(storm.slice(i, i + 45));

  const end = start + 2 * MINUTE + 360 * 25_000 + 4 * MINUTE;
  batches.push([ev({ ...common, eventType: 'SCHEDULED_RUN_COMPLETED', occurredAt: macieTime(end, 809) })]);

  write('01-scheduled-run-bucket-errors-storm.payloads.jsonl', jsonl(batches.map((b) => payload(jobId, b))));
}

// ---------- 2. a one-time job paused by the quota, resumed, completed (aws logs filter-log-events output) ----------

function quotaPausedJob(): void {
  const jobId = '5ad81ae2b13d7c4f9e0a6b2c8example';
  const jobName = 'One_Time_Full_Inventory';
  const created = at('2024-05-29T09:00:00.000Z');
  const start = created + 2 * MINUTE;
  const runDate = macieTime(start, 112);
  const common = { jobId, jobName };
  const events = [
    ev({ ...common, eventType: 'JOB_CREATED', occurredAt: macieTime(created, 64) }),
    ev({ ...common, eventType: 'ONE_TIME_JOB_STARTED', occurredAt: runDate, runDate }),
    ...['amzn-s3-demo-data-lake-raw', 'amzn-s3-demo-data-lake-curated', 'amzn-s3-demo-crm-exports'].map((bucket, i) =>
      ev({ ...common, runDate, eventType: 'BUCKET_MATCHED_THE_CRITERIA', occurredAt: macieTime(start + (i + 1) * 1500, 433), affectedAccount: MEMBER, bucket }),
    ),
    ev({ ...common, runDate, eventType: 'JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', occurredAt: macieTime(start + 7 * HOUR, 250), affectedAccount: MEMBER }),
    // The quota resets when the next month starts: Macie resumes the job by itself.
    ev({
      ...common,
      runDate,
      eventType: 'JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED',
      occurredAt: macieTime(at('2024-06-01T00:04:12.000Z'), 870),
      affectedAccount: MEMBER,
    }),
    ev({ ...common, runDate, eventType: 'JOB_COMPLETED', occurredAt: macieTime(at('2024-06-01T05:41:37.000Z'), 18) }),
  ];
  const output = {
    events: events.map((e) => {
      const l = logEvent(e);
      return { logStreamName: jobId, timestamp: l.timestamp, message: l.message, ingestionTime: l.timestamp + 1_203, eventId: l.id };
    }),
    searchedLogStreams: [],
  };
  write('02-one-time-job-paused-by-quota.filter-log-events.json', pretty(output));
}

// ---------- 3. a cancelled job, as the Lambda receives it ({"awslogs":{"data": base64(gzip(payload))}}) ----------

function cancelledJob(): void {
  const jobId = '9c1e6f3a2b7d48e5a0f4c6d1bexample';
  const jobName = 'Quarterly_Finance_Audit';
  const start = at('2024-07-02T13:30:05.000Z');
  const runDate = macieTime(start, 940);
  const common = { jobId, jobName, runDate };
  const batches = [
    [
      ev({ jobId, jobName, eventType: 'JOB_CREATED', occurredAt: macieTime(start - 3 * MINUTE, 5) }),
      ev({ ...common, eventType: 'ONE_TIME_JOB_STARTED', occurredAt: runDate }),
      ev({
        ...common,
        eventType: 'BUCKET_MATCHED_THE_CRITERIA',
        occurredAt: macieTime(start + 2_000, 77),
        affectedAccount: ADMIN,
        bucket: 'amzn-s3-demo-finance-ledgers',
      }),
      ev({
        ...common,
        eventType: 'BUCKET_MATCHED_THE_CRITERIA',
        occurredAt: macieTime(start + 2_400, 91),
        affectedAccount: ADMIN,
        bucket: 'amzn-s3-demo-finance-archive',
      }),
      ev({
        ...common,
        eventType: 'BUCKET_ACCESS_DENIED',
        occurredAt: macieTime(start + 4 * MINUTE, 300),
        operation: 'ListObjectsV2',
        affectedAccount: ADMIN,
        bucket: 'amzn-s3-demo-finance-archive',
      }),
    ],
    // Paused by a user, then cancelled a quarter of an hour later: two deliveries, as they would be.
    [ev({ ...common, eventType: 'JOB_PAUSED_BY_USER', occurredAt: macieTime(start + 40 * MINUTE, 512) })],
    [ev({ ...common, eventType: 'JOB_CANCELLED', occurredAt: macieTime(start + 55 * MINUTE, 650) })],
  ];
  const lambdaEvents = batches.map((b) => ({ awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload(jobId, b))), { level: 9 }).toString('base64') } }));
  write('03-cancelled-job.lambda-events.jsonl', jsonl(lambdaEvents));
}

// ---------- 4. a burst of sensitive-data findings from one job (with the job's own log events around it) ----------

const BLOCK_PUBLIC_ALL = { ignorePublicAcls: true, restrictPublicBuckets: true, blockPublicAcls: true, blockPublicPolicy: true };
const NOT_PUBLIC = { allowsPublicReadAccess: false, allowsPublicWriteAccess: false };
const KMS_KEY = `arn:aws:kms:${REGION}:${ADMIN}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

function s3Bucket(name: string, created: string, publicBlock = BLOCK_PUBLIC_ALL) {
  return {
    arn: `arn:aws:s3:::${name}`,
    name,
    createdAt: created,
    owner: { displayName: 'johndoe', id: '7009a8971cd538e11f6b6606438875e7c86c5b672f46db45460ddcd08example' },
    tags: [
      { key: 'Division', value: 'HR' },
      { key: 'Team', value: 'Recruiting' },
    ],
    defaultServerSideEncryption: { encryptionType: 'aws:kms', kmsMasterKeyId: KMS_KEY },
    publicAccess: {
      permissionConfiguration: {
        bucketLevelPermissions: { accessControlList: NOT_PUBLIC, bucketPolicy: NOT_PUBLIC, blockPublicAccess: publicBlock },
        accountLevelPermissions: { blockPublicAccess: BLOCK_PUBLIC_ALL },
      },
      effectivePermission: 'NOT_PUBLIC',
    },
    allowsUnencryptedObjectUploads: 'FALSE',
  };
}

interface Detection {
  category: string;
  type: string;
  count: number;
}

const FINDING_TITLES: Record<string, string> = {
  'SensitiveData:S3Object/Personal': 'The S3 object contains personal information',
  'SensitiveData:S3Object/Multiple': 'The S3 object contains multiple categories of sensitive data',
  'SensitiveData:S3Object/Credentials': 'The S3 object contains credentials data',
};
const FINDING_DESCRIPTIONS: Record<string, string> = {
  'SensitiveData:S3Object/Personal': 'The S3 object contains personal information such as personally identifiable information or personal health information.',
  'SensitiveData:S3Object/Multiple': 'The S3 object contains more than one category of sensitive data.',
  'SensitiveData:S3Object/Credentials': 'The S3 object contains credentials data such as AWS secret access keys or private keys.',
};

function sensitiveFinding(input: {
  jobId: string;
  time: number;
  type: string;
  bucket: string;
  bucketCreated: string;
  key: string;
  severity: 1 | 2 | 3;
  detections: Detection[];
}) {
  const time = new Date(input.time).toISOString().replace('.000Z', 'Z');
  const id = `${uuidFrom(`finding:${input.bucket}/${input.key}`).replace(/-/g, '').slice(0, 25)}example`;
  const byCategory = new Map<string, Detection[]>();
  for (const d of input.detections) byCategory.set(d.category, [...(byCategory.get(d.category) ?? []), d]);
  const ext = input.key.split('.').pop() ?? '';
  return {
    version: '0',
    id: uuidFrom(`event:${id}`),
    'detail-type': 'Macie Finding',
    source: 'aws.macie',
    account: ADMIN,
    time,
    region: REGION,
    resources: [],
    detail: {
      schemaVersion: '1.0',
      id,
      accountId: ADMIN,
      partition: 'aws',
      region: REGION,
      type: input.type,
      title: FINDING_TITLES[input.type],
      description: FINDING_DESCRIPTIONS[input.type],
      severity: { score: input.severity, description: ['', 'Low', 'Medium', 'High'][input.severity] },
      createdAt: time,
      updatedAt: time,
      count: 1,
      resourcesAffected: {
        s3Bucket: s3Bucket(input.bucket, input.bucketCreated),
        s3Object: {
          bucketArn: `arn:aws:s3:::${input.bucket}`,
          key: input.key,
          path: `${input.bucket}/${input.key}`,
          extension: ext,
          lastModified: new Date(input.time - 9 * DAY).toISOString(),
          versionId: '',
          serverSideEncryption: { encryptionType: 'aws:kms', kmsMasterKeyId: KMS_KEY },
          size: 4750 + input.key.length * 97,
          storageClass: 'STANDARD',
          tags: [],
          publicAccess: false,
          etag: `${hash(input.key).slice(0, 25)}example`,
        },
      },
      category: 'CLASSIFICATION',
      classificationDetails: {
        jobArn: `arn:aws:macie2:${REGION}:${ADMIN}:classification-job/${input.jobId}`,
        jobId: input.jobId,
        result: {
          status: { code: 'COMPLETE', reason: null },
          sizeClassified: 4750,
          mimeType: ext === 'csv' ? 'text/csv' : ext === 'json' ? 'application/json' : 'text/plain',
          additionalOccurrences: true,
          sensitiveData: [...byCategory].map(([category, detections]) => ({
            category,
            totalCount: detections.reduce((n, d) => n + d.count, 0),
            detections: detections.map((d) => ({
              type: d.type,
              count: d.count,
              occurrences: {
                lineRanges: null,
                offsetRanges: null,
                pages: null,
                records: null,
                cells: [{ row: 2, column: 1, columnName: d.type, cellReference: null }],
              },
            })),
          })),
          customDataIdentifiers: { totalCount: 0, detections: [] },
        },
        detailedResultsLocation: `s3://macie-data-discovery-results/AWSLogs/${ADMIN}/Macie/${REGION}/${input.jobId}/${uuidFrom(id)}.jsonl.gz`,
        originType: 'SENSITIVE_DATA_DISCOVERY_JOB',
      },
      policyDetails: null,
      sample: false,
      archived: false,
    },
  };
}

function sensitiveDataBurst(): void {
  const jobId = '3ce05dbb7ec5505def334104bexample';
  const jobName = 'Customer_Data_Discovery';
  const start = at('2024-08-20T08:00:10.000Z');
  const runDate = macieTime(start, 455);
  const common = { jobId, jobName, runDate };
  const values: unknown[] = [
    ev({ jobId, jobName, eventType: 'JOB_CREATED', occurredAt: macieTime(start - MINUTE, 3) }),
    ev({ ...common, eventType: 'ONE_TIME_JOB_STARTED', occurredAt: runDate }),
    ev({
      ...common,
      eventType: 'BUCKET_MATCHED_THE_CRITERIA',
      occurredAt: macieTime(start + 1_000, 21),
      affectedAccount: ADMIN,
      bucket: 'amzn-s3-demo-customer-exports',
    }),
    ev({
      ...common,
      eventType: 'BUCKET_MATCHED_THE_CRITERIA',
      occurredAt: macieTime(start + 1_300, 36),
      affectedAccount: ADMIN,
      bucket: 'amzn-s3-demo-support-tickets',
    }),
    ev({
      ...common,
      eventType: 'BUCKET_MATCHED_THE_CRITERIA',
      occurredAt: macieTime(start + 1_600, 48),
      affectedAccount: ADMIN,
      bucket: 'amzn-s3-demo-build-artifacts',
    }),
  ];
  // 24 objects of customer exports with names and SSNs, 6 support tickets with several kinds, 3 leaked keys.
  for (let i = 0; i < 24; i++) {
    values.push(
      sensitiveFinding({
        jobId,
        time: start + 6 * MINUTE + i * 20_000,
        type: 'SensitiveData:S3Object/Personal',
        bucket: 'amzn-s3-demo-customer-exports',
        bucketCreated: '2020-05-15T20:46:56.000Z',
        key: `exports/2024/08/customers-${String(i + 1).padStart(3, '0')}.csv`,
        severity: 3,
        detections: [
          { category: 'PERSONAL_INFORMATION', type: 'USA_SOCIAL_SECURITY_NUMBER', count: 30 + i },
          { category: 'PERSONAL_INFORMATION', type: 'NAME', count: 35 + i },
        ],
      }),
    );
    if (i % 4 === 1) {
      values.push(
        sensitiveFinding({
          jobId,
          time: start + 6 * MINUTE + i * 20_000 + 7_000,
          type: 'SensitiveData:S3Object/Multiple',
          bucket: 'amzn-s3-demo-support-tickets',
          bucketCreated: '2021-02-01T10:12:00.000Z',
          key: `tickets/2024-08/ticket-${4100 + i}.json`,
          severity: 3,
          detections: [
            { category: 'PERSONAL_INFORMATION', type: 'NAME', count: 2 },
            { category: 'FINANCIAL_INFORMATION', type: 'CREDIT_CARD_NUMBER', count: 1 },
          ],
        }),
      );
    }
    if (i % 8 === 3) {
      values.push(
        sensitiveFinding({
          jobId,
          time: start + 6 * MINUTE + i * 20_000 + 11_000,
          type: 'SensitiveData:S3Object/Credentials',
          bucket: 'amzn-s3-demo-build-artifacts',
          bucketCreated: '2022-11-30T08:00:00.000Z',
          key: `ci/run-${700 + i}/env.txt`,
          severity: 3,
          detections: [{ category: 'CREDENTIALS', type: 'AWS_CREDENTIALS', count: 1 }],
        }),
      );
    }
  }
  values.push(ev({ ...common, eventType: 'JOB_COMPLETED', occurredAt: macieTime(start + 22 * MINUTE, 730) }));
  write('04-sensitive-data-findings-burst.jsonl', jsonl(values));
}

// ---------- 5. a policy finding that keeps recurring ----------

function policyFindingRecurring(): void {
  const id = '64b917aa3843014c91d8937ffexample';
  const created = at('2024-09-03T15:46:02Z');
  // The same finding re-published as it recurs (count goes up; createdAt stays, updatedAt moves).
  const occurrences = [0, 15 * MINUTE, 6 * HOUR, 25 * HOUR, 25 * HOUR + 15 * MINUTE];
  const events = occurrences.map((offset, i) => {
    const updated = new Date(created + offset).toISOString().replace('.000Z', 'Z');
    return {
      version: '0',
      id: uuidFrom(`policy-event:${i}`),
      'detail-type': 'Macie Finding',
      source: 'aws.macie',
      account: ADMIN,
      time: updated,
      region: REGION,
      resources: [],
      detail: {
        schemaVersion: '1.0',
        id,
        accountId: ADMIN,
        partition: 'aws',
        region: REGION,
        type: 'Policy:IAMUser/S3BlockPublicAccessDisabled',
        title: 'Block public access settings are disabled for the S3 bucket',
        description:
          'All bucket-level block public access settings were disabled for the S3 bucket. Access to the bucket is controlled by account-level block public access settings, access control lists (ACLs), and the bucket’s bucket policy.',
        severity: { score: 3, description: 'High' },
        createdAt: new Date(created).toISOString().replace('.000Z', 'Z'),
        updatedAt: updated,
        count: i + 1,
        resourcesAffected: {
          s3Bucket: s3Bucket('amzn-s3-demo-hr-recruiting', '2020-04-03T20:46:56.000Z', {
            ignorePublicAcls: false,
            restrictPublicBuckets: false,
            blockPublicAcls: false,
            blockPublicPolicy: false,
          }),
          s3Object: null,
        },
        category: 'POLICY',
        classificationDetails: null,
        policyDetails: {
          action: {
            actionType: 'AWS_API_CALL',
            apiCallDetails: {
              api: 'PutBucketPublicAccessBlock',
              apiServiceName: 's3.amazonaws.com',
              firstSeen: new Date(created + 401).toISOString(),
              lastSeen: new Date(created + offset + 401).toISOString(),
            },
          },
          actor: {
            userIdentity: {
              type: 'AssumedRole',
              assumedRole: {
                principalId: 'AROA1234567890EXAMPLE:AssumedRoleSessionName',
                arn: `arn:aws:sts::${ADMIN}:assumed-role/RoleToBeAssumed/MySessionName`,
                accountId: MEMBER,
                accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
                sessionContext: {
                  attributes: { mfaAuthenticated: false, creationDate: new Date(created - 5 * HOUR).toISOString() },
                  sessionIssuer: {
                    type: 'Role',
                    principalId: 'AROA1234567890EXAMPLE',
                    arn: `arn:aws:iam::${ADMIN}:role/RoleToBeAssumed`,
                    accountId: ADMIN,
                    userName: 'RoleToBeAssumed',
                  },
                },
              },
              root: null,
              iamUser: null,
              federatedUser: null,
              awsAccount: null,
              awsService: null,
            },
            ipAddressDetails: {
              ipAddressV4: '192.0.2.0',
              ipOwner: { asn: '-1', asnOrg: 'ExampleFindingASNOrg', isp: 'ExampleFindingISP', org: 'ExampleFindingORG' },
              ipCountry: { code: 'US', name: 'United States' },
              ipCity: { name: 'Ashburn' },
              ipGeoLocation: { lat: 39.0481, lon: -77.4728 },
            },
            domainDetails: null,
          },
        },
        sample: false,
        archived: false,
      },
    };
  });
  write('05-policy-finding-recurring.json', pretty(events));
}

// ---------- 6 and 7. Macie API calls from CloudTrail, as EventBridge delivers them ----------

function apiCallEvent(record: Record<string, unknown>) {
  return {
    version: '0',
    id: uuidFrom(`api-call:${String(record.eventID)}`),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.macie2',
    account: String(record.recipientAccountId),
    time: String(record.eventTime),
    region: String(record.awsRegion),
    resources: [],
    detail: record,
  };
}

function revealSamples(): void {
  // The documentation's record, verbatim: JohnDoe (role Admin) reveals sensitive data samples of a finding.
  const record = {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'UU4MH7OYK5ZCOAEXAMPLE:JohnDoe',
      arn: 'arn:aws:sts::111122223333:assumed-role/Admin/JohnDoe',
      accountId: '111122223333',
      accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'UU4MH7OYK5ZCOAEXAMPLE',
          arn: 'arn:aws:iam::111122223333:role/Admin',
          accountId: '111122223333',
          userName: 'Admin',
        },
        webIdFederationData: {},
        attributes: { creationDate: '2023-12-12T14:40:23Z', mfaAuthenticated: 'false' },
      },
    },
    eventTime: '2023-12-12T17:04:47Z',
    eventSource: 'macie2.amazonaws.com',
    eventName: 'GetSensitiveDataOccurrences',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.252',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36',
    requestParameters: { findingId: '3ad9d8cd61c5c390bede45cd2example' },
    responseElements: null,
    requestID: 'c30cb760-5102-47e7-88d8-ff2e8example',
    eventID: 'baf52d92-f9c3-431a-bfe8-71c81example',
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
  };
  write('06-reveal-sensitive-data-samples.json', pretty(apiCallEvent(record)));
}

function deniedDisableMacie(): void {
  // Mary_Major (the documentation's console user) tries to turn Macie off and is refused.
  const record = {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAJ45Q7YFFAREXAMPLE',
      arn: 'arn:aws:iam::123456789012:user/Mary_Major',
      accountId: '123456789012',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      userName: 'Mary_Major',
      sessionContext: { attributes: { creationdate: '2024-10-07T08:12:40Z', mfaAuthenticated: 'false' } },
    },
    eventTime: '2024-10-07T08:31:19Z',
    eventSource: 'macie2.amazonaws.com',
    eventName: 'DisableMacie',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.1',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36',
    errorCode: 'AccessDenied',
    errorMessage:
      'User: arn:aws:iam::123456789012:user/Mary_Major is not authorized to perform: macie2:DisableMacie on resource: arn:aws:macie2:us-east-1:123456789012:*',
    requestParameters: null,
    responseElements: null,
    requestID: '5f0c3e1d-8a2b-4c7e-9f61-2d4b8example',
    eventID: 'e1a7c9d3-4b5f-4e2a-8c0d-7f3b6example',
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '123456789012',
    eventCategory: 'Management',
  };
  write('07-denied-disable-macie.json', pretty(apiCallEvent(record)));
}

// ---------- 8. one bare job log event, as copied from the CloudWatch console ----------

function bareJobLogEvent(): void {
  const event = jobEvent({
    jobId: '0e7d2c4b9a8f61e3d5c7b2a40example',
    jobName: 'Weekly_Tagged_Buckets',
    eventType: 'NO_BUCKETS_MATCHED_THE_CRITERIA',
    occurredAt: '2024-10-14T06:00:04.218337Z',
    runDate: '2024-10-14T06:00:01.902114Z',
    description: DESCRIPTIONS.NO_BUCKETS_MATCHED_THE_CRITERIA,
  });
  write('08-no-buckets-matched.log-event.json', pretty(event));
}

// ---------- 9. three nights of a daily job: a known-broken bucket, a new one, then fixed; and a silence ----------

/**
 * A daily job over three nights. amzn-s3-demo-locked-audit is locked down on purpose and denies Macie every
 * night: it alerts the first night only, then is "known" (failed the same way in the previous run) and only
 * reported in the summaries. The second night a new bucket fails too (it alerts), and is fixed by the third
 * night. Two buckets being migrated to another Region fail meanwhile; the silence in demo.config.json
 * (npm run demo passes it) keeps them out of the alerts, and the summaries say what it silenced.
 */
function dailyJobThreeRuns(): { jobId: string; migrating: string; until: string } {
  const jobId = '7e2b9c4d1a6f83e5b0d4c2a19example';
  const jobName = 'Nightly_Compliance_Scan';
  const migrating = 'amzn-s3-demo-migrating-';
  const nights = ['2024-06-03', '2024-06-04', '2024-06-05'];
  const batches: Record<string, unknown>[][] = [];
  nights.forEach((night, n) => {
    const start = at(`${night}T02:00:00.000Z`);
    const runDate = macieTime(start, 417);
    const common = { jobId, jobName, runDate };
    const buckets = [
      'amzn-s3-demo-app-data-1',
      'amzn-s3-demo-app-data-2',
      'amzn-s3-demo-finance-reports',
      'amzn-s3-demo-locked-audit',
      ...(n < 2 ? [`${migrating}01`, `${migrating}02`] : []),
    ];
    const denied = (bucket: string, offset: number) =>
      ev({
        ...common,
        eventType: 'BUCKET_ACCESS_DENIED',
        occurredAt: macieTime(start + offset, 233),
        operation: 'ListObjectsV2',
        affectedAccount: MEMBER,
        bucket,
      });
    const first = [
      ev({ ...common, eventType: 'SCHEDULED_RUN_STARTED', occurredAt: runDate }),
      ...buckets.map((bucket, i) =>
        ev({ ...common, eventType: 'BUCKET_MATCHED_THE_CRITERIA', occurredAt: macieTime(start + 4_000 + i * 300, 651), affectedAccount: MEMBER, bucket }),
      ),
      denied('amzn-s3-demo-locked-audit', MINUTE),
      ...(n < 2
        ? [1, 2].map((i) =>
            ev({
              ...common,
              eventType: 'BUCKET_IN_DIFFERENT_REGION',
              occurredAt: macieTime(start + 2 * MINUTE + i * 1000, 118),
              operation: 'GetBucketLocation',
              affectedAccount: MEMBER,
              bucket: `${migrating}0${i}`,
            }),
          )
        : []),
    ];
    batches.push(first);
    // The second night the finance bucket's new policy denies Macie too (fixed the next day).
    if (n === 1) batches.push([denied('amzn-s3-demo-finance-reports', 20 * MINUTE)]);
    batches.push([ev({ ...common, eventType: 'SCHEDULED_RUN_COMPLETED', occurredAt: macieTime(start + 41 * MINUTE, 902) })]);
  });
  write('09-daily-job-three-runs.payloads.jsonl', jsonl(batches.map((b) => payload(jobId, b))));
  return { jobId, migrating, until: '2024-06-07T00:00:00Z' };
}

/** The demo's --config: a silence for the migration, and knownErrors at its default, written out. */
// ---------- 10. AWS Health: a job a user paused is about to expire, then the notice is closed ----------

function pausedJobHealthEvents(): void {
  // Macie sends this once a job has been paused 23 days; it cancels the job at 30 days unless it is resumed.
  const jobId = '5b2e9d7c4a1f03e6b8d2c5a91example';
  const pausedAt = at('2024-11-04T16:20:00.000Z');
  const noticeAt = pausedAt + 23 * DAY;
  const expiresAt = pausedAt + 30 * DAY;
  const code = 'AWS_MACIE_JOB_IMMINENT_EXPIRATION';
  const eventArn = `arn:aws:health:${REGION}::event/MACIE/${code}/${code}_${uuidFrom(`health:${jobId}`)}`;
  const gmt = (ms: number) => new Date(ms).toUTCString();
  const day = (ms: number) => new Date(ms).toLocaleDateString('en-US', { timeZone: 'UTC', month: 'long', day: 'numeric', year: 'numeric' });
  const healthEvent = (n: number, time: number, statusCode: string, entityStatus: string) => ({
    version: '0',
    id: uuidFrom(`health-event:${jobId}:${n}`),
    'detail-type': 'AWS Health Event',
    source: 'aws.health',
    account: ADMIN,
    time: new Date(time).toISOString().replace('.000Z', 'Z'),
    region: REGION,
    resources: [],
    detail: {
      eventArn,
      service: 'MACIE',
      eventTypeCode: code,
      eventTypeCategory: 'accountNotification',
      eventScopeCode: 'ACCOUNT_SPECIFIC',
      communicationId: `${hash(eventArn).slice(0, 64)}-1`,
      startTime: gmt(noticeAt),
      endTime: statusCode === 'closed' ? gmt(time) : undefined,
      lastUpdatedTime: gmt(time),
      statusCode,
      eventRegion: REGION,
      eventDescription: [
        {
          language: 'en_US',
          latestDescription:
            `Your Amazon Macie sensitive data discovery job ${jobId} was paused on ${day(pausedAt)}. If you do not resume the job by ${day(expiresAt)}, ` +
            'it will expire and Macie will cancel it. A cancelled job cannot be resumed.',
        },
      ],
      affectedEntities: [{ entityValue: `arn:aws:macie2:${REGION}:${ADMIN}:classification-job/${jobId}`, lastUpdatedTime: gmt(time), status: entityStatus }],
      page: '1',
      totalPages: '1',
    },
  });
  // The notice, a copy Health sends again, and its close once the job was resumed two days later.
  const events = [
    healthEvent(1, noticeAt, 'open', 'PENDING'),
    healthEvent(2, noticeAt, 'open', 'PENDING'),
    healthEvent(3, noticeAt + 2 * DAY, 'closed', 'RESOLVED'),
  ];
  write('10-paused-job-expiring.health-events.json', pretty(events));
}

function replayConfig(silenced: { migrating: string; until: string }): void {
  const config = {
    knownErrors: 'summary',
    silences: [
      {
        id: 'S-7KQ2',
        bucket: `${silenced.migrating}*`,
        until: silenced.until,
        author: 'alice@example.com',
        reason: 'moving to eu-west-1, change CHG-1234',
      },
    ],
  };
  write('demo.config.json', pretty(config));
}

mkdirSync(OUT, { recursive: true });
scheduledRunStorm();
quotaPausedJob();
cancelledJob();
sensitiveDataBurst();
policyFindingRecurring();
revealSamples();
deniedDisableMacie();
bareJobLogEvent();
pausedJobHealthEvents();
replayConfig(dailyJobThreeRuns());
