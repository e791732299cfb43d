import { SNSClient } from '@aws-sdk/client-sns';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { batchEntryId, SnsAlertPublisher } from '../../lambda/delivery/sns-publisher';
import type { StateStore } from '../../lambda/state/store';
import { GSI1, keys, UNKNOWN_RUN } from '../../lambda/state/table';
import { sweep } from '../../lambda/sweeper/sweep';
import { findingEvent, fixture, SENSITIVE_JOB_ID, sensitiveFinding, setCurrentRun, sqsBatch } from '../findings/kit';
import { freshStore } from '../support/dynamodb';
import { KillSwitch, type KillPoint } from '../support/kill-switch';

/**
 * The findings handler SIGKILLed at each of its external calls, before the service acted and after, then
 * what AWS does next: SQS delivers the whole batch again once its visibility timeout passes (the invocation
 * never answered), and the sweeper runs. The state must be exactly the fault-free run's, and every alert must
 * reach SNS exactly once, except in the one window the outbox cannot observe (killed after claiming an alert,
 * before SNS got it: lost, never duplicated; see docs/reliability.md).
 */
const RUN = '2024-04-14T17:09:30.000Z';
const TYPE = 'SensitiveData:S3Object/Financial';
const CHILD = join(__dirname, '..', 'support', 'findings-child.ts');
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:macie-alerts';
// 120 findings of two groups and a new policy finding: two transactions, three alerts in two publish calls.
const policy = findingEvent(fixture('findings/policy-S3BucketPublic.json'), { eventId: 'policy-1' });
const batch = sqsBatch([...Array.from({ length: 120 }, (_, n) => sensitiveFinding(n, { bucket: n % 2 ? 'bucket-b' : 'bucket-a' })), policy]);
const alertIds = [`sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-a:${TYPE}:first`, `sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-b:${TYPE}:first`, `policy:${policy.detail.id}:1`];

const killSwitch = new KillSwitch(process.env.TEST_DYNAMODB_ENDPOINT!);
let baselineCalls: string[] = [];

function env(store: StateStore): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    STATE_TABLE_NAME: store.tableName,
    ALERT_TOPIC_ARN: TOPIC_ARN,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}

async function freshRun(): Promise<StateStore> {
  const store = await freshStore();
  await setCurrentRun(store, RUN);
  return store;
}

/** The sweeper, an hour later: it delivers what is still PENDING, through the same SNS stand-in. */
async function sweepLater(store: StateStore): Promise<void> {
  const later = new Date(Date.now() + 3_600_000);
  const telemetry = new RecordingTelemetry();
  const client = new SNSClient({ region: 'us-east-1', endpoint: killSwitch.snsEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  await sweep({ store, publisher: new SnsAlertPublisher({ client, topicArn: TOPIC_ARN, telemetry }), settings: DEFAULT_SETTINGS, telemetry, region: 'us-east-1', now: () => later });
  client.destroy();
}

beforeAll(async () => {
  await killSwitch.start();
  const store = await freshRun();
  const clean = await killSwitch.run(CHILD, batch, env(store));
  expect(clean.response).toEqual({ batchItemFailures: [] });
  baselineCalls = clean.calls.map((c) => `${c.service}:${c.operation}`);
}, 120_000);

afterAll(() => killSwitch.close());

test('the fault-free run: one read, two transactions, and each alert claimed and published once', () => {
  expect(baselineCalls[0]).toBe('dynamodb:BatchGetItem');
  expect(baselineCalls.filter((c) => c === 'dynamodb:TransactWriteItems').length).toBeGreaterThanOrEqual(2 + 2);
  expect(baselineCalls.filter((c) => c === 'sns:PublishBatch')).toHaveLength(2);
  expect([...killSwitch.delivered].sort()).toEqual(alertIds.map((id) => batchEntryId(id)).sort());
});

test('killed at every call, before and after the service acted: the redelivered batch and the sweeper give the fault-free result', async () => {
  const failures: string[] = [];
  const points: KillPoint[] = baselineCalls.flatMap((_, i) => (['before', 'after'] as const).map((when) => ({ call: i + 1, when })));
  for (const point of points) {
    const name = `killed ${point.when} call ${point.call} (${baselineCalls[point.call - 1]})`;
    const store = await freshRun();
    const deliveredBefore = killSwitch.delivered.length;
    const first = await killSwitch.run(CHILD, batch, env(store), point);
    if (!first.killed) failures.push(`${name}: the child was not killed`);
    const again = await killSwitch.run(CHILD, batch, env(store));
    if (JSON.stringify(again.response) !== JSON.stringify({ batchItemFailures: [] })) failures.push(`${name}: the redelivery answered ${JSON.stringify(again.response)}`);
    await sweepLater(store);

    const counts = await Promise.all(['bucket-a', 'bucket-b'].map(async (b) => (await store.get(keys.findingGroup(SENSITIVE_JOB_ID, RUN, b, TYPE)))?.count));
    if (JSON.stringify(counts) !== '[60,60]') failures.push(`${name}: group counts ${JSON.stringify(counts)}`);
    if ((await store.get(keys.policyFinding(policy.detail.id)))?.alerts !== 1) failures.push(`${name}: the policy finding is not counted once`);
    if (await store.get(keys.findingGroup(SENSITIVE_JOB_ID, UNKNOWN_RUN, 'bucket-a', TYPE))) failures.push(`${name}: findings went to another run`);
    if ((await store.listIndex(GSI1.pendingAlert)).length > 0) failures.push(`${name}: alerts still pending`);

    const delivered = killSwitch.delivered.slice(deliveredBefore);
    // The residual window: killed once the claim of a PublishBatch's alerts was written and before SNS got
    // the call (after the claim, or before the publish).
    const publish = 'sns:PublishBatch';
    const lostWindow = point.when === 'before' ? baselineCalls[point.call - 1] === publish : baselineCalls[point.call] === publish;
    for (const id of alertIds) {
      const times = delivered.filter((d) => d === batchEntryId(id)).length;
      const item = await store.get(keys.alert(id));
      if (times > 1) failures.push(`${name}: ${id} published ${times} times`);
      if (times === 0 && !(lostWindow && item?.status === 'SENT' && typeof item.claimedAt === 'string')) failures.push(`${name}: ${id} never published (status ${String(item?.status)})`);
    }
    if (lostWindow && delivered.length === alertIds.length) failures.push(`${name}: expected the claimed alerts of the killed call to be lost`);
  }
  expect(failures).toEqual([]);
}, 900_000);
