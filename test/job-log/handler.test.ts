import { randomUUID } from 'node:crypto';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import type { CloudWatchLogsEvent, Context } from 'aws-lambda';
import { mockClient } from '../support/aws-mock';
import { ENV } from '../../lambda/core/settings';
import { createStateTable } from '../../src/local/dynamodb-local';
import { jobStream, SEED_EXAMPLES } from '../fixtures/job-log/streams';
import { controlMessageEvent, subscriptionEventOf } from '../support/cloudwatch';
import { testDynamoClient } from '../support/dynamodb';

/**
 * The deployed entry point, end to end: real gzip+base64 subscription events in, the real runtime wiring
 * (environment -> settings, DynamoDB client with default config pointed at DynamoDB Local, SNS client
 * mocked at the SDK level).
 */
const sns = mockClient(SNSClient);
const context = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
type Handler = (event: CloudWatchLogsEvent, context: Context) => Promise<{ events: number; published: { id: string }[]; badBatch?: boolean }>;
let handler: Handler;
const saved = { ...process.env };

beforeAll(async () => {
  const table = `state-${randomUUID()}`;
  await createStateTable(testDynamoClient(), table);
  Object.assign(process.env, {
    [ENV.tableName]: table,
    [ENV.topicArn]: 'arn:aws:sns:eu-west-1:123456789012:macie-alerts',
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL_DYNAMODB: process.env.TEST_DYNAMODB_ENDPOINT,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  // Loaded after the environment is set: the runtime is built at module load, as in Lambda.
  handler = (await import('../../lambda/handlers/job-log')).handler as unknown as Handler;
});

afterAll(() => {
  process.env = saved;
});

beforeEach(() => {
  sns.reset();
  sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: { Id: string }[] }) => ({
    Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: randomUUID() })),
    Failed: [],
  }));
});

test('a real subscription event with the seed example is stored and alerted through SNS', async () => {
  const report = await handler(subscriptionEventOf([SEED_EXAMPLES['bucket-level-bucket-access-denied']]), context);
  expect(report.events).toBe(1);
  expect(report.published.map((a) => a.id)).toEqual(['run:85a55dc0fa6ed0be5939d0408example:2024-04-14T17:09:30.685209Z:BUCKET_ACCESS_DENIED:first']);
  const calls = sns.commandCalls(PublishBatchCommand);
  expect(calls).toHaveLength(1);
  const entry = calls[0].args[0].input.PublishBatchRequestEntries?.[0];
  expect(entry?.MessageAttributes?.severity).toEqual({ DataType: 'String', StringValue: 'HIGH' });
  expect(entry?.MessageAttributes?.category).toEqual({ DataType: 'String', StringValue: 'BUCKET_ERROR' });
});

test('the same subscription event delivered again publishes nothing more', async () => {
  const event = subscriptionEventOf([jobStream('job-h', 'H', '2024-04-14T17:09:30Z')('JOB_PAUSED_BY_USER', '2024-04-14T17:10:00Z')]);
  const first = await handler(event, context);
  const second = await handler(event, context);
  expect(first.published).toHaveLength(1);
  expect(second.published).toHaveLength(0);
  expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(1);
});

test('a control message and an undecodable payload do not throw and publish nothing', async () => {
  await expect(handler(controlMessageEvent(), context)).resolves.toMatchObject({ events: 0 });
  await expect(handler({ awslogs: { data: 'bm90IGd6aXA=' } }, context)).resolves.toMatchObject({ badBatch: true });
  expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
});
