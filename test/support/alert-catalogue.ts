import type { Alert } from '../../lambda/core/alert';
import { cloudTrailEventLink, jobLogStreamLink, macieFindingLink, macieJobLink, macieSummaryLink } from '../../lambda/core/links';
import { selfTestAlert } from '../../lambda/handlers/self-test';

/**
 * Hand-made alerts for the renderers' own tests, inputs no pipeline produces: hostile text (what an attacker
 * can put into event data, look-alike links included), every field at its longest, and a summary whose list
 * holds 29 buckets in two accounts (the pipelines state "at least" past 10 buckets of a type until exact
 * bucket counts land: golden scenario many-buckets-two-accounts shows what they say today). The self-test is
 * built by the real selfTestAlert. Every documented example comes from the golden scenarios instead
 * (test/golden/published-alerts.ts).
 */

const REGION = 'us-east-1';

const ACCOUNT = '123456789012';

const JOB_ID = '85a55dc0fa6ed0be5939d0408example';

const JOB_NAME = 'My_Macie_Job';

const RUN = '2024-04-14T17:08:30.345Z';

/** Hostile strings, each aimed at one way of changing what a message says. */
export const HOSTILE = {
  markdownLink: '[Click here to fix access](https://evil.example/login)',
  slackLink: '<https://evil.example/login|AWS console>',
  atChannel: '@channel urgent: rotate keys now',
  slackHere: '<!here> <!channel> <@U012AB3CD>',
  controlChars: 'bucket\u0000with\u0007bell\r\nSubject: forged\u001b[31mred',
  bidi: 'invoice\u202Egpj.exe\u202C and \u2066isolate\u2069 \u200Bzero\u200Dwidth',
  long: `very-long-${'x'.repeat(1990)}`,
  emoji: 'données-clients-🔥-日本語-“quoted”—dash…',
  markdownMarkup: '*bold* _italic_ ~strike~ `code` # heading > quote | pipe',
} as const;

const base = {
  accountId: ACCOUNT,
  region: REGION,
  count: 1,
  sample: false,
  occurredAt: '2024-04-14T17:11:30.574Z',
} as const;

const jobLinks = [
  { label: 'Macie job', url: macieJobLink(REGION, JOB_ID) },
  { label: "Job's log stream in CloudWatch Logs", url: jobLogStreamLink(REGION, JOB_ID) },
];

const manyBuckets = Array.from({ length: 14 }, (_, i) => `customer-data-${String(i + 1).padStart(2, '0')}`);

export const runSummary: Alert = {
  ...base,
  id: `run:${JOB_ID}:${RUN}:summary`,
  severity: 'HIGH',
  category: 'JOB_RUN_SUMMARY',
  eventType: 'JOB_COMPLETED',
  job: { id: JOB_ID, name: JOB_NAME, runDate: RUN },
  count: 31,
  headline: `Macie job ${JOB_NAME}: run completed with errors (2 error types, 31 events)`,
  whatHappened: 'The run finished. Macie could not analyse some buckets and accounts.',
  whatItMeans: 'Data in the affected buckets was not checked for sensitive data in this run.',
  whatToDo:
    'For BUCKET_ACCESS_DENIED: let the Macie service-linked role read the bucket (bucket policy, KMS key policy).\nFor ACCOUNT_ACCESS_DENIED: check the organization SCPs for the member account.',
  details: [
    { label: 'Started', value: RUN },
    { label: 'Ended', value: '2024-04-14T18:40:02.000Z' },
    { label: 'Duration', value: '1 h 31 min' },
    { label: 'Buckets matched', value: '120' },
    { label: 'BUCKET_ACCESS_DENIED', value: '29' },
    { label: 'ACCOUNT_ACCESS_DENIED', value: '2' },
    { label: 'Findings (HIGH)', value: '3 SensitiveData:S3Object/Credentials' },
    { label: 'Findings (MEDIUM)', value: '17 SensitiveData:S3Object/Personal' },
  ],
  affected: [
    { kind: 'bucket', items: manyBuckets, total: 29 },
    { kind: 'account', items: ['111122223333', '444455556666'], total: 2 },
  ],
  links: [...jobLinks, { label: 'Macie summary', url: macieSummaryLink(REGION) }],
  threadId: JOB_ID,
};

/** Bucket names here are impossible in S3 but possible in an alert: the renderers must not trust the model. */
export const hostileBucketError: Alert = {
  ...base,
  id: `run:${JOB_ID}:${RUN}:BUCKET_ACCESS_DENIED:first`,
  severity: 'HIGH',
  category: 'BUCKET_ERROR',
  eventType: 'BUCKET_ACCESS_DENIED',
  job: { id: JOB_ID, name: HOSTILE.atChannel, runDate: RUN },
  count: 4,
  headline: `Macie job ${HOSTILE.atChannel}: bucket access denied for ${HOSTILE.markdownLink}`,
  whatHappened: `Macie was denied access to bucket ${HOSTILE.slackLink} ${HOSTILE.slackHere}.`,
  whatItMeans: `Objects in ${HOSTILE.controlChars} were not analysed. ${HOSTILE.bidi}`,
  whatToDo: `Let the Macie service-linked role read ${HOSTILE.markdownMarkup}.`,
  details: [
    { label: 'Bucket', value: HOSTILE.markdownLink },
    { label: 'Description', value: HOSTILE.long },
  ],
  affected: [{ kind: 'bucket', items: [HOSTILE.markdownLink, HOSTILE.slackHere, HOSTILE.bidi, HOSTILE.long], total: 4 }],
  links: [
    ...jobLinks,
    { label: 'Fix it here', url: 'https://evil.example/login' },
    { label: 'Look-alike host', url: 'https://console.aws.amazon.com.evil.example/macie' },
    { label: 'Plain http', url: 'http://us-east-1.console.aws.amazon.com/macie/home' },
    { label: 'Credentials in URL', url: 'https://user:pass@us-east-1.console.aws.amazon.com/macie/home' },
  ],
  threadId: JOB_ID,
};

const POLICY_FINDING_ID = '36ca8ba0-caf1-4fc6-b3ed-8a7d9ee0example';

const SAMPLE_FINDING_ID = '64b917aa-3843-4ad8-bd2b-ac6a5example';

export const sampleSensitiveData: Alert = {
  ...base,
  id: `findings-group:automated discovery:données-clients:SensitiveData:S3Object/Personal:first`,
  severity: 'MEDIUM',
  category: 'SENSITIVE_DATA_FINDING',
  eventType: 'SensitiveData:S3Object/Personal',
  findingId: SAMPLE_FINDING_ID,
  sample: true,
  headline: `Sensitive data (personal) in ${HOSTILE.emoji}`,
  whatHappened: `Macie found personal information in object ${HOSTILE.emoji}/export 2024 🔥.csv.`,
  whatItMeans: 'The object holds names and addresses; anyone who can read the bucket can read them.',
  whatToDo: 'Check who can read the object and whether it must be kept; restrict or delete it.',
  details: [
    { label: 'Object key', value: 'exports/2024/клиенты.csv' },
    { label: 'Data types', value: 'NAME: 1204, ADDRESS: 877' },
  ],
  affected: [
    { kind: 'bucket', items: [HOSTILE.emoji], total: 1 },
    { kind: 'object', items: ['exports/2024/клиенты.csv'], total: 1 },
  ],
  links: [{ label: 'Finding', url: macieFindingLink(REGION, SAMPLE_FINDING_ID) }],
  threadId: SAMPLE_FINDING_ID,
};

export const revealApiCall: Alert = {
  ...base,
  id: 'api:6f0e58b8-2d0f-4b8e-9a9f-0e4bexample',
  severity: 'HIGH',
  category: 'API_CALL',
  eventType: 'GetSensitiveDataOccurrences',
  headline: 'Sensitive data samples revealed by assumed-role/Admin/alice',
  whatHappened: 'Someone retrieved the sensitive data Macie found in an object (reveal samples).',
  whatItMeans: 'The actual values (for example card numbers) were shown to that person.',
  whatToDo: 'Confirm the person was allowed to see them; if not, revoke the role and review the reveal configuration.',
  details: [
    { label: 'Principal', value: 'arn:aws:sts::123456789012:assumed-role/Admin/alice' },
    { label: 'Source IP', value: '203.0.113.7' },
    { label: 'User agent', value: `${HOSTILE.slackHere} aws-cli/2.15 ${HOSTILE.controlChars}` },
    { label: 'Finding id', value: POLICY_FINDING_ID },
  ],
  affected: [{ kind: 'principal', items: ['arn:aws:sts::123456789012:assumed-role/Admin/alice'], total: 1 }],
  links: [{ label: 'CloudTrail event', url: cloudTrailEventLink(REGION, '6f0e58b8-2d0f-4b8e-9a9f-0e4bexample') }],
  threadId: 'arn:aws:sts::123456789012:assumed-role/Admin/alice',
};

/** A huge alert: everything at its longest, to prove the caps hold. */
export const oversized: Alert = {
  ...base,
  id: `run:${JOB_ID}:${RUN}:${'X'.repeat(200)}`,
  severity: 'HIGH',
  category: 'BUCKET_ERROR',
  eventType: 'BUCKET_ACCESS_DENIED',
  job: { id: JOB_ID, name: HOSTILE.long, runDate: RUN },
  count: 100000,
  headline: `${'Ω€ '.repeat(400)}`,
  whatHappened: HOSTILE.long.repeat(5),
  whatItMeans: 'word '.repeat(3000),
  whatToDo: `${HOSTILE.markdownMarkup}\n`.repeat(200),
  details: Array.from({ length: 300 }, (_, i) => ({ label: `label ${i} ${HOSTILE.atChannel}`, value: HOSTILE.long })),
  affected: (['bucket', 'account', 'object', 'principal', 'finding'] as const).map((kind) => ({
    kind,
    items: Array.from({ length: 500 }, (_, i) => `${kind}-${i}-${HOSTILE.long}`),
    total: 10000,
  })),
  links: Array.from({ length: 50 }, (_, i) => ({ label: `link ${i}`, url: macieJobLink(REGION, `${JOB_ID}-${i}`) })),
  threadId: HOSTILE.long,
};

/** What `macie-alerts selftest` publishes from each function: built by the self-test's own code. */
export const selfTest: Alert = selfTestAlert('findings', { id: 'st-lq3x9k2a-5f1c0e7d', requestedAt: '2024-04-15T09:12:00.000Z', accountId: ACCOUNT }, REGION);

/**
 * The alerts no pipeline run of the golden scenarios publishes: hostile text, every field at its longest, the
 * self-test. Suites test these beside the published alerts (test/golden).
 */
export const EDGE_CASES: readonly { readonly name: string; readonly alert: Alert }[] = [
  { name: 'hostile bucket error (BUCKET_ERROR)', alert: hostileBucketError },
  { name: 'sample sensitive data finding, non-GSM names (SENSITIVE_DATA_FINDING)', alert: sampleSensitiveData },
  { name: 'self-test (TEST)', alert: selfTest },
  { name: 'oversized alert, every field at its longest', alert: oversized },
];
