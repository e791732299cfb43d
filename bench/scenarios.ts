import type { CloudWatchLogsEvent } from 'aws-lambda';
import { DEFAULT_BATCHING } from '../lambda/core/settings';
import { mappingBatches, messageIdFor, sqsEvent } from '../src/local/sqs-queue';
import { Prng } from './prng';
import { logEventId, subscriptionEvent, type LogEventInput } from './subscription-payload';

/**
 * The four loads of issue 7, generated from a seed. Shapes follow the seed documents (Macie job log
 * events, Macie finding EventBridge events); names, ids and times are made up but realistic.
 */
export type Invocation =
  /** One CloudWatch Logs subscription delivery (gzip + base64), as the job-log Lambda receives it. */
  | { readonly kind: 'logs'; readonly event: CloudWatchLogsEvent; readonly events: number }
  /**
   * One SQS batch of Macie Finding events as raw JSON, cut as the findings queue's event source mapping
   * cuts it (default batch size and window): the Lambda runtime parses it before the handler runs.
   */
  | { readonly kind: 'findings'; readonly raw: string; readonly events: number };

export interface Scenario {
  readonly name: 'storm' | 'fleet' | 'findings' | 'replay' | 'org';
  readonly title: string;
  readonly invocations: readonly Invocation[];
  /** Log events plus findings: the unit of every "per 1,000 events" figure. */
  readonly eventCount: number;
  /** What exactly-once grouping must produce (the findings burst): the bench checks the state against it. */
  readonly expected?: ExpectedGroups;
  /** One sweep after the last invocation (measured with them), and the table scanned for its largest item. */
  readonly sweepAndScan?: boolean;
}

export interface ExpectedGroups {
  readonly jobId: string;
  /** Sensitive-data findings, all of one job run. */
  readonly sensitiveFindings: number;
  /** Distinct (bucket, type) of those findings: one group each. */
  readonly sensitiveGroups: number;
  /** Distinct types of those findings: one alert each at once (the first bucket; the sweeper rolls up the rest). */
  readonly sensitiveTypes: number;
  /** Distinct policy finding ids: one alert each (their recurrences are within the repeat interval). */
  readonly policyFindings: number;
}

export interface ScenarioSizes {
  readonly stormEvents: number;
  readonly stormBuckets: number;
  readonly stormBatchSize: number;
  readonly fleetJobs: number;
  readonly fleetMatchedPerJob: number;
  readonly findings: number;
  readonly findingBuckets: number;
  readonly policyFindings: number;
  readonly orgDeniedAccounts: number;
  readonly orgBucketAccounts: number;
  readonly orgBucketEvents: number;
  readonly orgFindings: number;
  readonly orgFindingBuckets: number;
}

export const FULL_SIZES: ScenarioSizes = {
  stormEvents: 10_000,
  stormBuckets: 2_000,
  stormBatchSize: 1_000,
  fleetJobs: 200,
  fleetMatchedPerJob: 50,
  findings: 5_000,
  findingBuckets: 20,
  policyFindings: 50,
  orgDeniedAccounts: 2_000,
  orgBucketAccounts: 3_000,
  orgBucketEvents: 60_000,
  orgFindings: 20_000,
  orgFindingBuckets: 400,
};

export const ADMIN_ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

const BUCKET_ERRORS = ['BUCKET_ACCESS_DENIED', 'BUCKET_DOES_NOT_EXIST', 'BUCKET_DETAILS_UNAVAILABLE', 'BUCKET_IN_DIFFERENT_REGION', 'BUCKET_OWNER_CHANGED'];
const ACCOUNT_ERRORS = ['ACCOUNT_ACCESS_DENIED', 'ACCOUNT_SUSPENDED', 'ACCOUNT_DISABLED', 'ACCOUNT_REGION_DISABLED'];
const DESCRIPTIONS: Record<string, string> = {
  ONE_TIME_JOB_STARTED: 'The job started running.',
  SCHEDULED_RUN_STARTED: 'The scheduled job run started running.',
  BUCKET_MATCHED_THE_CRITERIA: 'The affected bucket matched the bucket criteria for the job.',
  JOB_COMPLETED: 'The job finished running.',
  SCHEDULED_RUN_COMPLETED: 'The scheduled job run finished running.',
  BUCKET_ACCESS_DENIED: 'Macie doesn’t have permission to access the affected S3 bucket.',
  BUCKET_DOES_NOT_EXIST: 'The affected S3 bucket doesn’t exist anymore.',
  BUCKET_DETAILS_UNAVAILABLE: 'A temporary issue prevented Macie from retrieving details about the bucket and the bucket’s objects.',
  BUCKET_IN_DIFFERENT_REGION: 'The affected S3 bucket was moved to a different AWS Region.',
  BUCKET_OWNER_CHANGED: 'The owner of the affected S3 bucket changed. Macie doesn’t have permission to access the bucket anymore.',
  ACCOUNT_ACCESS_DENIED: 'Macie doesn’t have permission to access S3 bucket data for the affected account.',
  ACCOUNT_SUSPENDED: 'The job was cancelled or skipped resources that are owned by the affected account. Macie was suspended for the account.',
  ACCOUNT_DISABLED: 'The job skipped resources that are owned by the affected account. Macie was disabled for the account.',
  ACCOUNT_REGION_DISABLED: 'The job skipped resources that are owned by the affected account. The AWS account isn’t active in the current AWS Region.',
};
const S3_OPERATIONS = ['ListObjectsV2', 'GetBucketLocation', 'GetBucketPolicy', 'GetBucketEncryption', 'GetObject'];

/** Macie writes times with microseconds: "2024-04-14T17:11:30.574809Z". */
function macieTime(ms: number, micros: number): string {
  return new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

interface JobEventInput {
  readonly jobId: string;
  readonly jobName: string;
  readonly eventType: string;
  readonly atMs: number;
  readonly runDate?: string;
  readonly operation?: string;
  readonly affectedAccount?: string;
  readonly bucket?: string;
}

class LogBuilder {
  private sequence = 0;
  constructor(private readonly prng: Prng) {}

  event(input: JobEventInput): LogEventInput {
    const message: Record<string, unknown> = {
      adminAccountId: ADMIN_ACCOUNT,
      jobId: input.jobId,
      eventType: input.eventType,
      occurredAt: macieTime(input.atMs, this.prng.int(0, 999)),
      description: DESCRIPTIONS[input.eventType] ?? 'Event.',
      jobName: input.jobName,
    };
    if (input.operation) message.operation = input.operation;
    if (input.runDate) message.runDate = input.runDate;
    if (input.affectedAccount) message.affectedAccount = input.affectedAccount;
    if (input.bucket) message.affectedResource = { type: 'S3_BUCKET_NAME', value: input.bucket };
    // CloudWatch Logs stamps ingestion a little after the event.
    const timestamp = input.atMs + this.prng.int(50, 900);
    return { id: logEventId(timestamp, this.sequence++), timestamp, message: JSON.stringify(message) };
  }
}

function accounts(prng: Prng, n: number): string[] {
  return Array.from({ length: n }, () => String(prng.int(100_000_000_000, 999_999_999_999)));
}

/** 1. One periodic run hitting a wall of access-denied buckets: the alert storm the grouping exists for. */
export function stormScenario(seed: number, sizes: ScenarioSizes = FULL_SIZES): Scenario {
  const prng = new Prng(seed);
  const log = new LogBuilder(prng);
  const jobId = `${prng.hex(27)}example`.slice(0, 32);
  const jobName = 'Nightly_PII_Scan';
  const owners = accounts(prng, 25);
  const buckets = Array.from({ length: sizes.stormBuckets }, (_, i) => ({
    name: `corp-${prng.pick(['data', 'logs', 'exports', 'backup', 'analytics'])}-${String(i).padStart(4, '0')}-${prng.hex(6)}`,
    account: prng.pick(owners),
  }));
  const start = Date.UTC(2024, 3, 14, 17, 9, 30, 574);
  const runDate = macieTime(start, 809);
  const invocations: Invocation[] = [];
  invocations.push(logs(jobId, [log.event({ jobId, jobName, eventType: 'SCHEDULED_RUN_STARTED', atMs: start, runDate })]));

  // Every bucket fails at least once, then the rest of the events hit random buckets (several operations each).
  const order = [...prng.shuffle(buckets), ...Array.from({ length: Math.max(0, sizes.stormEvents - buckets.length) }, () => prng.pick(buckets))];
  const spacingMs = 120; // 10,000 events over 20 minutes of event time
  let batch: LogEventInput[] = [];
  order.slice(0, sizes.stormEvents).forEach((bucket, i) => {
    batch.push(
      log.event({
        jobId,
        jobName,
        eventType: 'BUCKET_ACCESS_DENIED',
        atMs: start + 5_000 + i * spacingMs,
        runDate,
        operation: prng.pick(S3_OPERATIONS),
        affectedAccount: bucket.account,
        bucket: bucket.name,
      }),
    );
    if (batch.length === sizes.stormBatchSize) {
      invocations.push(logs(jobId, batch));
      batch = [];
    }
  });
  if (batch.length > 0) invocations.push(logs(jobId, batch));
  const end = start + 5_000 + sizes.stormEvents * spacingMs + 60_000;
  invocations.push(logs(jobId, [log.event({ jobId, jobName, eventType: 'SCHEDULED_RUN_COMPLETED', atMs: end, runDate })]));
  return scenario('storm', 'Storm: one run, access denied on every bucket', invocations);
}

/** 2. A fleet of healthy jobs, a few errors each: the everyday load. */
export function fleetScenario(seed: number, sizes: ScenarioSizes = FULL_SIZES): Scenario {
  const prng = new Prng(seed + 1);
  const log = new LogBuilder(prng);
  const owners = accounts(prng, 40);
  const invocations: Invocation[] = [];
  const day = Date.UTC(2024, 3, 15, 0, 0, 0, 0);
  for (let j = 0; j < sizes.fleetJobs; j++) {
    const jobId = prng.hex(32);
    const periodic = prng.next() < 0.6;
    const jobName = `${periodic ? 'Daily' : 'Adhoc'}_${prng.pick(['PII', 'Finance', 'HR', 'Secrets', 'Backups'])}_${j}`;
    const start = day + prng.int(0, 23 * 3600) * 1000;
    const runDate = macieTime(start, prng.int(0, 999));
    const events: LogEventInput[] = [
      log.event({ jobId, jobName, eventType: periodic ? 'SCHEDULED_RUN_STARTED' : 'ONE_TIME_JOB_STARTED', atMs: start, runDate }),
    ];
    const steps: JobEventInput[] = [];
    for (let b = 0; b < sizes.fleetMatchedPerJob; b++) {
      steps.push({
        jobId,
        jobName,
        eventType: 'BUCKET_MATCHED_THE_CRITERIA',
        atMs: 0,
        runDate,
        affectedAccount: prng.pick(owners),
        bucket: `bucket-${j}-${b}-${prng.hex(4)}`,
      });
    }
    const errorCount = prng.int(0, 5);
    for (let e = 0; e < errorCount; e++) {
      const accountLevel = prng.next() < 0.25;
      steps.splice(prng.int(0, steps.length), 0, {
        jobId,
        jobName,
        eventType: accountLevel ? prng.pick(ACCOUNT_ERRORS) : prng.pick(BUCKET_ERRORS),
        atMs: 0,
        runDate,
        operation: accountLevel ? 'ListBuckets' : prng.pick(S3_OPERATIONS),
        affectedAccount: prng.pick(owners),
        bucket: accountLevel ? undefined : `bucket-${j}-err-${e}-${prng.hex(4)}`,
      });
    }
    for (const [i, step] of steps.entries()) events.push(log.event({ ...step, atMs: start + 2_000 + i * 700 }));
    const end = start + 2_000 + steps.length * 700 + prng.int(30, 600) * 1000;
    events.push(log.event({ jobId, jobName, eventType: periodic ? 'SCHEDULED_RUN_COMPLETED' : 'JOB_COMPLETED', atMs: end, runDate }));
    invocations.push(logs(jobId, events));
  }
  return scenario('fleet', 'Fleet: 200 job runs, 0-5 errors each', invocations);
}

const SENSITIVE_TYPES: readonly (readonly [string, number])[] = [
  ['SensitiveData:S3Object/Personal', 45],
  ['SensitiveData:S3Object/Financial', 20],
  ['SensitiveData:S3Object/Multiple', 20],
  ['SensitiveData:S3Object/Credentials', 10],
  ['SensitiveData:S3Object/CustomIdentifier', 5],
];
const POLICY_TYPES: readonly (readonly [string, number, string])[] = [
  ['Policy:IAMUser/S3BlockPublicAccessDisabled', 3, 'Block public access settings are disabled for the S3 bucket'],
  ['Policy:IAMUser/S3BucketEncryptionDisabled', 1, 'Default encryption is disabled for the S3 bucket'],
  ['Policy:IAMUser/S3BucketPublic', 3, 'The S3 bucket is publicly accessible'],
  ['Policy:IAMUser/S3BucketReplicatedExternally', 3, 'The S3 bucket is replicated to an external AWS account'],
  ['Policy:IAMUser/S3BucketSharedExternally', 3, 'The S3 bucket is shared with an external AWS account'],
  ['Policy:IAMUser/S3BucketSharedWithCloudFront', 2, 'The S3 bucket is shared with a CloudFront distribution'],
];
const DATA_TYPES: Record<string, readonly (readonly [string, string])[]> = {
  'SensitiveData:S3Object/Personal': [
    ['PERSONAL_INFORMATION', 'USA_SOCIAL_SECURITY_NUMBER'],
    ['PERSONAL_INFORMATION', 'NAME'],
    ['PERSONAL_INFORMATION', 'ADDRESS'],
  ],
  'SensitiveData:S3Object/Financial': [
    ['FINANCIAL_INFORMATION', 'CREDIT_CARD_NUMBER'],
    ['FINANCIAL_INFORMATION', 'BANK_ACCOUNT_NUMBER'],
  ],
  'SensitiveData:S3Object/Multiple': [
    ['PERSONAL_INFORMATION', 'NAME'],
    ['FINANCIAL_INFORMATION', 'CREDIT_CARD_NUMBER'],
  ],
  'SensitiveData:S3Object/Credentials': [
    ['CREDENTIALS', 'AWS_CREDENTIALS'],
    ['CREDENTIALS', 'OPENSSH_PRIVATE_KEY'],
  ],
  'SensitiveData:S3Object/CustomIdentifier': [['CUSTOM_IDENTIFIER', 'EMPLOYEE_ID']],
};
const SEVERITY_NAMES = ['', 'Low', 'Medium', 'High'];

function s3Bucket(name: string, prng: Prng) {
  return {
    arn: `arn:aws:s3:::${name}`,
    name,
    createdAt: '2020-05-15T20:46:56.000Z',
    owner: { displayName: 'datateam', id: `${prng.hex(56)}example` },
    tags: [{ key: 'Division', value: prng.pick(['HR', 'Finance', 'Sales']) }],
    defaultServerSideEncryption: { encryptionType: 'aws:kms', kmsMasterKeyId: `arn:aws:kms:${REGION}:${ADMIN_ACCOUNT}:key/${prng.uuid()}` },
    publicAccess: {
      permissionConfiguration: {
        bucketLevelPermissions: {
          accessControlList: { allowsPublicReadAccess: false, allowsPublicWriteAccess: false },
          bucketPolicy: { allowsPublicReadAccess: false, allowsPublicWriteAccess: false },
          blockPublicAccess: { ignorePublicAcls: true, restrictPublicBuckets: true, blockPublicAcls: true, blockPublicPolicy: true },
        },
        accountLevelPermissions: {
          blockPublicAccess: { ignorePublicAcls: false, restrictPublicBuckets: false, blockPublicAcls: false, blockPublicPolicy: false },
        },
      },
      effectivePermission: 'NOT_PUBLIC',
    },
    allowsUnencryptedObjectUploads: 'TRUE',
  };
}

function findingEvent(prng: Prng, time: string, detail: Record<string, unknown>): string {
  return JSON.stringify({
    version: '0',
    id: prng.uuid(),
    'detail-type': 'Macie Finding',
    source: 'aws.macie',
    account: ADMIN_ACCOUNT,
    time,
    region: REGION,
    resources: [],
    detail,
  });
}

/** 3. One job finding sensitive data in thousands of objects within minutes, plus recurring policy findings. */
export function findingsScenario(seed: number, sizes: ScenarioSizes = FULL_SIZES): Scenario {
  const prng = new Prng(seed + 2);
  const jobId = prng.hex(32);
  const buckets = Array.from({ length: sizes.findingBuckets }, (_, i) => s3Bucket(`customer-exports-${i}-${prng.hex(6)}`, prng));
  const start = Date.UTC(2024, 3, 20, 8, 0, 0, 0);
  const spacingMs = 60; // 5,000 findings over 5 minutes: "thousands within minutes"
  const timed: { at: number; raw: string }[] = [];
  const groups = new Set<string>();

  for (let i = 0; i < sizes.findings; i++) {
    const at = start + i * spacingMs;
    const time = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const bucket = prng.pick(buckets);
    const type = prng.weighted(SENSITIVE_TYPES);
    const score = type.endsWith('Credentials') || type.endsWith('Multiple') ? 3 : prng.int(1, 3);
    const key = `exports/2024/04/${prng.pick(['customers', 'payroll', 'orders', 'tickets'])}-${String(i).padStart(5, '0')}.csv`;
    groups.add(`${bucket.name}\n${type}`);
    const detections = (DATA_TYPES[type] ?? []).map(([category, dataType]) => ({ category, dataType, count: prng.int(1, 400) }));
    timed.push({ at, raw: findingEvent(prng, time, sensitiveFindingDetail(prng, { jobId, bucket, type, score, key, time, detections })) });
  }

  // Policy findings recur (same id, count + 1) at the account's publishing frequency (15 minutes here).
  const burstEnd = start + sizes.findings * spacingMs;
  for (let p = 0; p < sizes.policyFindings; p++) {
    const [type, score, title] = prng.pick(POLICY_TYPES);
    const id = prng.uuid();
    const bucket = s3Bucket(`team-share-${p}-${prng.hex(6)}`, prng);
    const createdMs = start + prng.int(0, Math.max(1, burstEnd - start - 1));
    const occurrences = prng.int(1, 4);
    for (let n = 1; n <= occurrences; n++) {
      const at = createdMs + (n - 1) * 15 * 60_000;
      const time = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
      timed.push({
        at,
        raw: findingEvent(prng, time, {
          schemaVersion: '1.0',
          id,
          accountId: ADMIN_ACCOUNT,
          partition: 'aws',
          region: REGION,
          type,
          title,
          description: `${title}.`,
          severity: { score, description: SEVERITY_NAMES[score] },
          createdAt: new Date(createdMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          updatedAt: time,
          count: n,
          resourcesAffected: { s3Bucket: bucket, s3Object: null },
          category: 'POLICY',
          classificationDetails: null,
          policyDetails: {
            action: {
              actionType: 'AWS_API_CALL',
              apiCallDetails: { api: 'PutBucketPolicy', apiServiceName: 's3.amazonaws.com', firstSeen: time, lastSeen: time },
            },
            actor: {
              userIdentity: {
                type: 'AssumedRole',
                assumedRole: {
                  principalId: `AROA${prng.hex(16).toUpperCase()}:session`,
                  arn: `arn:aws:sts::${ADMIN_ACCOUNT}:assumed-role/DataEngineer/session-${p}`,
                  accountId: ADMIN_ACCOUNT,
                  accessKeyId: `ASIA${prng.hex(16).toUpperCase()}`,
                  sessionContext: {
                    attributes: { mfaAuthenticated: false, creationDate: time },
                    sessionIssuer: {
                      type: 'Role',
                      principalId: 'AROAEXAMPLE',
                      arn: `arn:aws:iam::${ADMIN_ACCOUNT}:role/DataEngineer`,
                      accountId: ADMIN_ACCOUNT,
                      userName: 'DataEngineer',
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
                ipAddressV4: `198.51.100.${prng.int(1, 254)}`,
                ipOwner: { asn: '-1', asnOrg: 'ExampleOrg', isp: 'ExampleISP', org: 'ExampleOrg' },
                ipCountry: { code: 'US', name: 'United States' },
                ipCity: { name: 'Ashburn' },
                ipGeoLocation: { lat: 39.0481, lon: -77.4728 },
              },
              domainDetails: null,
            },
          },
          sample: false,
          archived: false,
        }),
      });
    }
  }
  timed.sort((a, b) => a.at - b.at);
  // EventBridge -> SQS -> Lambda: the event source mapping closes a batch at the batch size or when its
  // batching window has passed, whichever comes first (arrival = event time here).
  const { findingsBatchSize: batchSize, findingsBatchWindowSeconds: seconds } = DEFAULT_BATCHING;
  const batches = mappingBatches(timed, batchSize, { seconds, arrivalMs: (t) => t.at });
  return {
    ...scenario(
      'findings',
      `Findings burst: one job, ${sizes.findings.toLocaleString('en-US')} findings in ${Math.round((sizes.findings * spacingMs) / 60_000)} minutes over ${sizes.findingBuckets} buckets, plus recurring policy findings`,
      batches.map((batch) => ({
        kind: 'findings' as const,
        raw: JSON.stringify(sqsEvent(batch.map(({ raw }) => ({ messageId: messageIdFor(raw), body: raw })))),
        events: batch.length,
      })),
    ),
    expected: {
      jobId,
      sensitiveFindings: sizes.findings,
      sensitiveGroups: groups.size,
      sensitiveTypes: new Set([...groups].map((g) => g.split('\n')[1])).size,
      policyFindings: sizes.policyFindings,
    },
  };
}

interface SensitiveFindingInput {
  readonly jobId: string;
  readonly bucket: ReturnType<typeof s3Bucket>;
  readonly type: string;
  readonly score: number;
  readonly key: string;
  readonly time: string;
  readonly detections: { category: string; dataType: string; count: number }[];
}

/** A sensitive-data finding's detail, as Macie publishes it for a classification job's object. */
function sensitiveFindingDetail(prng: Prng, { jobId, bucket, type, score, key, time, detections }: SensitiveFindingInput): Record<string, unknown> {
  return {
    schemaVersion: '1.0',
    id: prng.uuid(),
    accountId: ADMIN_ACCOUNT,
    partition: 'aws',
    region: REGION,
    type,
    title: 'The S3 object contains sensitive information',
    description: 'The S3 object contains sensitive information.',
    severity: { score, description: SEVERITY_NAMES[score] },
    createdAt: time,
    updatedAt: time,
    count: 1,
    resourcesAffected: {
      s3Bucket: bucket,
      s3Object: {
        bucketArn: bucket.arn,
        key,
        path: `${bucket.name}/${key}`,
        extension: 'csv',
        lastModified: '2024-04-19T22:08:25.000Z',
        versionId: '',
        serverSideEncryption: { encryptionType: 'aws:kms', kmsMasterKeyId: bucket.defaultServerSideEncryption.kmsMasterKeyId },
        size: prng.int(1_000, 5_000_000),
        storageClass: 'STANDARD',
        tags: [],
        publicAccess: false,
        etag: prng.hex(32),
      },
    },
    category: 'CLASSIFICATION',
    classificationDetails: {
      jobArn: `arn:aws:macie2:${REGION}:${ADMIN_ACCOUNT}:classification-job/${jobId}`,
      jobId,
      result: {
        status: { code: 'COMPLETE', reason: null },
        sizeClassified: prng.int(1_000, 5_000_000),
        mimeType: 'text/csv',
        additionalOccurrences: true,
        sensitiveData: groupDetections(detections),
        customDataIdentifiers: { totalCount: 0, detections: [] },
      },
      detailedResultsLocation: `s3://macie-discovery-results/AWSLogs/${ADMIN_ACCOUNT}/Macie/${REGION}/${jobId}/${prng.uuid()}.jsonl.gz`,
      originType: 'SENSITIVE_DATA_DISCOVERY_JOB',
    },
    policyDetails: null,
    sample: false,
    archived: false,
  };
}

function groupDetections(detections: { category: string; dataType: string; count: number }[]) {
  const byCategory = new Map<string, { type: string; count: number }[]>();
  for (const d of detections) byCategory.set(d.category, [...(byCategory.get(d.category) ?? []), { type: d.dataType, count: d.count }]);
  return [...byCategory.entries()].map(([category, list]) => ({
    category,
    totalCount: list.reduce((s, d) => s + d.count, 0),
    detections: list.map((d) => ({
      type: d.type,
      count: d.count,
      occurrences: { lineRanges: null, offsetRanges: null, pages: null, records: null, cells: [{ row: 2, column: 1, columnName: 'col', cellReference: null }] },
    })),
  }));
}

/**
 * 5. An organisation-wide run (issue 25): accounts whose access is denied, buckets denied in other accounts,
 * and sensitive data found in hundreds of buckets, interleaved by time as the two pipelines receive them;
 * then the run's end and (run.ts) a sweep.
 */
export function orgScenario(seed: number, sizes: ScenarioSizes = FULL_SIZES): Scenario {
  const prng = new Prng(seed + 3);
  const log = new LogBuilder(prng);
  const jobId = prng.hex(32);
  const jobName = 'Org_Wide_PII';
  const start = Date.UTC(2024, 5, 2, 2, 0, 0, 0);
  const runDate = macieTime(start, 0);
  const account = (i: number) => String(200_000_000_000 + i);
  const logSpacingMs = 200; // 14,000 log events over about 47 minutes of event time
  const steps: JobEventInput[] = [];
  for (let i = 0; i < sizes.orgDeniedAccounts; i++) {
    steps.push({ jobId, jobName, eventType: 'ACCOUNT_ACCESS_DENIED', atMs: 0, runDate, operation: 'ListBuckets', affectedAccount: account(i) });
  }
  for (let i = 0; i < sizes.orgBucketEvents; i++) {
    const owner = sizes.orgDeniedAccounts + (i % sizes.orgBucketAccounts);
    steps.push({
      jobId,
      jobName,
      eventType: 'BUCKET_ACCESS_DENIED',
      atMs: 0,
      runDate,
      operation: prng.pick(S3_OPERATIONS),
      affectedAccount: account(owner),
      bucket: `org-${account(owner)}-${Math.floor(i / sizes.orgBucketAccounts)}`,
    });
  }
  const timed: { at: number; invocation: Invocation }[] = [];
  for (let i = 0; i < steps.length; i += sizes.stormBatchSize) {
    const batch = steps.slice(i, i + sizes.stormBatchSize).map((step, j) => log.event({ ...step, atMs: start + 5_000 + (i + j) * logSpacingMs }));
    timed.push({ at: start + 5_000 + (i + batch.length) * logSpacingMs, invocation: logs(jobId, batch) });
  }

  const buckets = Array.from({ length: sizes.orgFindingBuckets }, (_, i) => s3Bucket(`org-data-${String(i).padStart(3, '0')}-${prng.hex(6)}`, prng));
  const findingSpacingMs = 100; // 20,000 findings over about 33 minutes
  const findings: { at: number; raw: string }[] = [];
  const groups = new Set<string>();
  for (let i = 0; i < sizes.orgFindings; i++) {
    const at = start + 60_000 + i * findingSpacingMs;
    const time = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    // Every bucket has findings: the first pass names each once, then random ones.
    const bucket = i < buckets.length ? buckets[i] : prng.pick(buckets);
    const type = prng.weighted(SENSITIVE_TYPES);
    const score = type.endsWith('Credentials') || type.endsWith('Multiple') ? 3 : prng.int(1, 3);
    const key = `shared/${prng.pick(['customers', 'payroll', 'orders', 'tickets'])}-${String(i).padStart(5, '0')}.csv`;
    groups.add(`${bucket.name}\n${type}`);
    const detections = (DATA_TYPES[type] ?? []).map(([category, dataType]) => ({ category, dataType, count: prng.int(1, 400) }));
    findings.push({ at, raw: findingEvent(prng, time, sensitiveFindingDetail(prng, { jobId, bucket, type, score, key, time, detections })) });
  }
  const { findingsBatchSize: batchSize, findingsBatchWindowSeconds: seconds } = DEFAULT_BATCHING;
  for (const batch of mappingBatches(findings, batchSize, { seconds, arrivalMs: (f) => f.at })) {
    timed.push({
      at: batch[batch.length - 1].at,
      invocation: {
        kind: 'findings',
        raw: JSON.stringify(sqsEvent(batch.map(({ raw }) => ({ messageId: messageIdFor(raw), body: raw })))),
        events: batch.length,
      },
    });
  }
  timed.sort((a, b) => a.at - b.at);
  const end = Math.max(...timed.map((t) => t.at)) + 60_000;
  const invocations: Invocation[] = [
    logs(jobId, [log.event({ jobId, jobName, eventType: 'SCHEDULED_RUN_STARTED', atMs: start, runDate })]),
    ...timed.map((t) => t.invocation),
    logs(jobId, [log.event({ jobId, jobName, eventType: 'SCHEDULED_RUN_COMPLETED', atMs: end, runDate })]),
  ];
  const n = (v: number) => v.toLocaleString('en-US');
  return {
    ...scenario(
      'org',
      `Org: one run, ${n(sizes.orgDeniedAccounts)} accounts denied, ${n(sizes.orgBucketEvents)} bucket events denied in ${n(sizes.orgBucketAccounts)} other accounts, ${n(sizes.orgFindings)} findings in ${n(sizes.orgFindingBuckets)} buckets, then a sweep`,
      invocations,
    ),
    expected: {
      jobId,
      sensitiveFindings: sizes.orgFindings,
      sensitiveGroups: groups.size,
      sensitiveTypes: new Set([...groups].map((g) => g.split('\n')[1])).size,
      policyFindings: 0,
    },
    sweepAndScan: true,
  };
}

/** 4. The storm delivered twice: CloudWatch Logs and Lambda deliver at least once. */
export function replayScenario(seed: number, sizes: ScenarioSizes = FULL_SIZES): Scenario {
  const storm = stormScenario(seed, sizes);
  return scenario('replay', 'Replay: the storm delivered twice', [...storm.invocations, ...storm.invocations]);
}

const BUILDERS: Record<Scenario['name'], (seed: number, sizes: ScenarioSizes) => Scenario> = {
  storm: stormScenario,
  fleet: fleetScenario,
  findings: findingsScenario,
  replay: replayScenario,
  org: orgScenario,
};
export const SCENARIO_NAMES = Object.keys(BUILDERS) as Scenario['name'][];

/** One scenario by name, without building the others (the org scenario alone holds about 80,000 events). */
export function scenarioNamed(name: Scenario['name'], seed: number, sizes: ScenarioSizes = FULL_SIZES): Scenario {
  return BUILDERS[name](seed, sizes);
}

export function allScenarios(seed: number, sizes: ScenarioSizes = FULL_SIZES): Scenario[] {
  return [stormScenario(seed, sizes), fleetScenario(seed, sizes), findingsScenario(seed, sizes), replayScenario(seed, sizes), orgScenario(seed, sizes)];
}

function logs(logStream: string, events: readonly LogEventInput[]): Invocation {
  return { kind: 'logs', event: subscriptionEvent(ADMIN_ACCOUNT, logStream, events), events: events.length };
}

function scenario(name: Scenario['name'], title: string, invocations: Invocation[]): Scenario {
  return { name, title, invocations, eventCount: invocations.reduce((n, inv) => n + inv.events, 0) };
}
