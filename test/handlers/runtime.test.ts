import { createRuntime } from '../../lambda/handlers/runtime';
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

  test('a missing table name fails at start, naming the variable', () => {
    expect(() => createRuntime('fallback', { ...env, STATE_TABLE_NAME: '' })).toThrow(/STATE_TABLE_NAME/);
  });
});
