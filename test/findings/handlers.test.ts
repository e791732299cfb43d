import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from '../support/aws-mock';
import { cloudTrailEvent, fixture, sqsBatch } from './kit';
import { freshStore } from '../support/dynamodb';

/** The Lambda entry points, wired as in AWS: env settings, DynamoDB (Local) by endpoint URL, SNS mocked. */
const sns = mockClient(SNSClient);

beforeAll(async () => {
  const store = await freshStore();
  Object.assign(process.env, {
    STATE_TABLE_NAME: store.tableName,
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:macie-alerts',
    AWS_ENDPOINT_URL_DYNAMODB: process.env.TEST_DYNAMODB_ENDPOINT,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_METRICS_NAMESPACE: 'MacieAlerts',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
});

beforeEach(() => {
  sns.reset();
  sns
    .on(PublishBatchCommand)
    .callsFake((input) => ({ Successful: input.PublishBatchRequestEntries.map((e: { Id: string }) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] }));
});

const context = { getRemainingTimeInMillis: () => 60_000 };

test('the findings handler takes an SQS batch, publishes one SNS message for a new finding and none for its redelivery', async () => {
  const { handler } = await import('../../lambda/handlers/findings');
  const batch = sqsBatch([fixture('findings/policy-S3BucketPublic.json')]);
  // What Lambda reads back: only batchItemFailures (nothing failed here, so SQS deletes the records).
  expect(await handler(batch, context)).toEqual({ batchItemFailures: [] });
  expect(await handler(batch, context)).toEqual({ batchItemFailures: [] });
  const calls = sns.commandCalls(PublishBatchCommand);
  expect(calls).toHaveLength(1);
  const [entry] = calls[0].args[0].input.PublishBatchRequestEntries!;
  expect(calls[0].args[0].input.TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:macie-alerts');
  expect(entry.MessageAttributes).toMatchObject({
    category: { StringValue: 'POLICY_FINDING' },
    severity: { StringValue: 'HIGH' },
    sample: { StringValue: 'false' },
  });
  expect(entry.Subject).toContain('bucket is public');
});

test('the API-call handler publishes a reveal and ignores ListFindings, in one batch', async () => {
  const { handler } = await import('../../lambda/handlers/api-calls');
  const batch = sqsBatch([
    cloudTrailEvent(fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json')),
    cloudTrailEvent(fixture('api-calls/seed-cloudtrail-list-findings.json')),
  ]);
  expect(await handler(batch, context)).toEqual({ batchItemFailures: [] });
  const entries = sns.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries!);
  expect(entries).toHaveLength(1);
  expect(entries[0].MessageAttributes).toMatchObject({ category: { StringValue: 'API_CALL' }, eventType: { StringValue: 'GetSensitiveDataOccurrences' } });
});

test('malformed records and an invocation that is not an SQS batch resolve (no retry) and publish nothing', async () => {
  const { handler } = await import('../../lambda/handlers/findings');
  await expect(handler(sqsBatch(['{"id": "broken"', { id: 'broken' }]), context)).resolves.toEqual({ batchItemFailures: [] });
  await expect(handler({ id: 'broken' } as never, context)).resolves.toEqual({ batchItemFailures: [] });
  expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
});

test('the AWS Health handler publishes one alert for a Health event about Macie, and none for its redelivery', async () => {
  const { handler } = await import('../../lambda/handlers/health');
  const batch = sqsBatch([fixture('health/paused-job-expiring.json')]);
  expect(await handler(batch, context)).toEqual({ batchItemFailures: [] });
  expect(await handler(batch, context)).toEqual({ batchItemFailures: [] });
  const entries = sns.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries!);
  expect(entries).toHaveLength(1);
  expect(entries[0].MessageAttributes).toMatchObject({ category: { StringValue: 'HEALTH' }, severity: { StringValue: 'HIGH' } });
});
