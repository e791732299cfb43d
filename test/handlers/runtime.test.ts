import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_CLIENT } from '../../lambda/delivery/lease';
import { TEST_CLOCK_ENV, createRuntime } from '../../lambda/handlers/runtime';
import { SnsAlertPublisher } from '../../lambda/delivery/sns-publisher';

const env = {
  STATE_TABLE_NAME: 'state',
  ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:alerts',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_SERVICE_NAME: 'macie-alerts-job-log',
};

describe('runtime wiring (once per container)', () => {
  test('reads settings and names from the environment the construct sets', () => {
    const { deps } = createRuntime('fallback', { ...env, REPEAT_INTERVAL_MINUTES: '30' });
    expect(deps.region).toBe('eu-west-1');
    expect(deps.store.tableName).toBe('state');
    expect(deps.settings.repeatIntervalMinutes).toBe(30);
    expect(deps.publisher).toBeInstanceOf(SnsAlertPublisher);
  });

  test('the SNS client makes one attempt per call (the publisher retries) so a publish is time-bounded', async () => {
    const { deps } = createRuntime('fallback', env);
    const client = (deps.publisher as unknown as { client: { config: { maxAttempts: () => Promise<number> } } }).client;
    expect(await client.config.maxAttempts()).toBe(1);
  });

  test('the wall clock, unless a test starts it elsewhere (the construct never sets the variable)', () => {
    expect(Math.abs(createRuntime('fallback', env).deps.now().getTime() - Date.now())).toBeLessThan(60_000);
    const moved = createRuntime('fallback', { ...env, [TEST_CLOCK_ENV]: '2024-04-14T20:00:00.000Z' }).deps.now();
    expect(moved.toISOString().slice(0, 13)).toBe('2024-04-14T20');
    expect(() => createRuntime('fallback', { ...env, [TEST_CLOCK_ENV]: 'tomorrow' })).toThrow(TEST_CLOCK_ENV);
  });

  test('a DynamoDB request that gets no answer fails instead of hanging (throwOnRequestTimeout; the timeout shortened here)', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const client = new DynamoDBClient({
      ...DYNAMODB_CLIENT,
      maxAttempts: 1,
      requestHandler: { ...DYNAMODB_CLIENT.requestHandler, requestTimeout: 300 },
      endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      await expect(client.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      client.destroy();
      silent.closeAllConnections();
      silent.close();
    }
  });

  test('a missing table name fails at start, naming the variable', () => {
    expect(() => createRuntime('fallback', { ...env, STATE_TABLE_NAME: '' })).toThrow(/STATE_TABLE_NAME/);
  });
});
