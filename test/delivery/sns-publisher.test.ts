import { PublishBatchCommand, SNSClient, ThrottledException, AuthorizationErrorException, InternalErrorException } from '@aws-sdk/client-sns';
import { mockClient } from '../support/aws-mock';
import 'aws-sdk-client-mock-jest';
import type { Alert } from '../../lambda/core/alert';
import { buildSnsMessage } from '../../lambda/delivery/sns-message';
import { BATCH_MAX_BYTES, SnsAlertPublisher, batchEntryId, entryBytes } from '../../lambda/delivery/sns-publisher';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { oversized } from '../support/alert-catalogue';
import { testAlert } from '../support/alerts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:macie-alerts';
const sns = mockClient(SNSClient);

function setup(maxAttempts?: number) {
  const telemetry = new RecordingTelemetry();
  const sleeps: number[] = [];
  const publisher = new SnsAlertPublisher({
    client: new SNSClient({ region: 'us-east-1' }),
    topicArn: TOPIC,
    telemetry,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    maxAttempts,
  });
  return { publisher, telemetry, sleeps };
}

function alerts(n: number, prefix = 'run:job-1:2024-04-14:BUCKET_ACCESS_DENIED'): Alert[] {
  return Array.from({ length: n }, (_, i) => testAlert(`${prefix}:${i}`));
}

/** Entry ids of a PublishBatch call. */
function entryIds(call: number): string[] {
  const input = sns.commandCalls(PublishBatchCommand)[call].args[0].input;
  return input.PublishBatchRequestEntries!.map((e) => e.Id!);
}

/** A response that accepts every entry of the request, except those `reject` returns a failure for. */
function respond(reject: (id: string) => { Code: string; SenderFault: boolean; Message?: string } | undefined = () => undefined) {
  return (input: { PublishBatchRequestEntries?: { Id?: string }[] }) => {
    const entries = input.PublishBatchRequestEntries ?? [];
    const failed = entries.flatMap((e) => {
      const f = reject(e.Id!);
      return f ? [{ Id: e.Id!, Message: 'failed', ...f }] : [];
    });
    const failedIds = new Set(failed.map((f) => f.Id));
    return {
      Successful: entries.filter((e) => !failedIds.has(e.Id!)).map((e) => ({ Id: e.Id!, MessageId: `m-${e.Id}` })),
      Failed: failed,
    };
  };
}

beforeEach(() => sns.reset());

describe('SnsAlertPublisher', () => {
  it('sends the exact entries: id mapped from the alert id, the rendered message, subject and attributes', async () => {
    sns.on(PublishBatchCommand).callsFake(respond());
    const { publisher, telemetry } = setup();
    const alert = testAlert('run:job-1:2024-04-14:BUCKET_ACCESS_DENIED:first');
    const result = await publisher.publish([alert]);
    expect(result.failed).toEqual([]);
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishBatchCommand, {
      TopicArn: TOPIC,
      PublishBatchRequestEntries: [{ Id: 'run_job-1_2024-04-14_BUCKET_ACCESS_DENIED_first', ...buildSnsMessage(alert) }],
    });
    expect(telemetry.counters.PublishFailures).toBeUndefined();
  });

  it('chunks by 10 entries, in order', async () => {
    sns.on(PublishBatchCommand).callsFake(respond());
    const { publisher } = setup();
    const input = alerts(23);
    expect((await publisher.publish(input)).failed).toEqual([]);
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls.map((c) => c.args[0].input.PublishBatchRequestEntries!.length)).toEqual([10, 10, 3]);
    expect(calls.flatMap((_, i) => entryIds(i))).toEqual(input.map((a) => batchEntryId(a.id)));
  });

  it('chunks by 256 KB when the messages are large', async () => {
    sns.on(PublishBatchCommand).callsFake(respond());
    const { publisher } = setup();
    const big = Array.from({ length: 4 }, (_, i) => ({ ...oversized, id: `big:${i}` }));
    const size = entryBytes({ Id: 'x', ...buildSnsMessage(big[0]) });
    expect(size).toBeGreaterThan(BATCH_MAX_BYTES / 2); // so two never fit in one call
    expect((await publisher.publish(big)).failed).toEqual([]);
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls).toHaveLength(4);
    for (const call of calls) {
      const total = call.args[0].input.PublishBatchRequestEntries!.reduce((n, e) => n + entryBytes(e), 0);
      expect(total).toBeLessThanOrEqual(BATCH_MAX_BYTES);
    }
  });

  it('retries only the entries that failed, with backoff, until they succeed', async () => {
    const input = alerts(3);
    const flaky = batchEntryId(input[1].id);
    sns
      .on(PublishBatchCommand)
      .callsFakeOnce(respond((id) => (id === flaky ? { Code: 'InternalError', SenderFault: false } : undefined)))
      .callsFakeOnce(respond((id) => (id === flaky ? { Code: 'Throttled', SenderFault: true } : undefined)))
      .callsFake(respond());
    const { publisher, sleeps, telemetry } = setup();
    expect((await publisher.publish(input)).failed).toEqual([]);
    expect(entryIds(0)).toEqual(input.map((a) => batchEntryId(a.id)));
    expect(entryIds(1)).toEqual([flaky]);
    expect(entryIds(2)).toEqual([flaky]);
    expect(sleeps).toEqual([50, 100]); // full jitter (random 0.5) over 100 ms, then 200 ms
    expect(telemetry.counters.PublishFailures).toBeUndefined();
  });

  it('retries a throttled or failing call as a whole', async () => {
    sns
      .on(PublishBatchCommand)
      .rejectsOnce(new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }))
      .rejectsOnce(new InternalErrorException({ message: 'boom', $metadata: { httpStatusCode: 500 } }))
      .callsFake(respond());
    const { publisher, sleeps } = setup();
    const input = alerts(2);
    expect((await publisher.publish(input)).failed).toEqual([]);
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 3);
    expect(entryIds(2)).toEqual(input.map((a) => batchEntryId(a.id)));
    expect(sleeps).toHaveLength(2);
  });

  it('returns what still fails after maxAttempts, counted and logged, never thrown or dropped', async () => {
    const input = alerts(3);
    const stuck = batchEntryId(input[2].id);
    sns.on(PublishBatchCommand).callsFake(respond((id) => (id === stuck ? { Code: 'InternalError', SenderFault: false, Message: 'try later' } : undefined)));
    const { publisher, telemetry } = setup(3);
    const result = await publisher.publish(input);
    expect(result.failed).toEqual([{ alertId: input[2].id, reason: 'InternalError: try later (gave up after 3 attempts)' }]);
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 3);
    expect(telemetry.counters.PublishFailures).toBe(1);
    expect(telemetry.lines.filter((l) => l.level === 'warn').map((l) => l.fields.alertId)).toEqual([input[2].id]);
  });

  it('counts the alerts SNS took by severity and by category, and not the ones it did not', async () => {
    const input = [
      testAlert('a:1', { severity: 'HIGH', category: 'BUCKET_ERROR' }),
      testAlert('a:2', { severity: 'HIGH', category: 'API_CALL' }),
      testAlert('a:3', { severity: 'LOW', category: 'API_CALL' }),
      testAlert('a:4', { severity: 'MEDIUM', category: 'JOB_STATUS' }),
    ];
    const refused = batchEntryId('a:4');
    sns.on(PublishBatchCommand).callsFake(respond((id) => (id === refused ? { Code: 'InvalidParameter', SenderFault: true } : undefined)));
    const { publisher, telemetry } = setup();
    await publisher.publish([...input, input[0]]);
    expect(telemetry.countersBy.AlertsBySeverity).toEqual({ HIGH: 2, LOW: 1 });
    expect(telemetry.countersBy.AlertsByCategory).toEqual({ BUCKET_ERROR: 1, API_CALL: 2 });
    expect(telemetry.counters.PublishFailures).toBe(1);
  });

  it('does not retry an entry SNS refuses for good (sender fault, not throttling)', async () => {
    const input = alerts(2);
    const bad = batchEntryId(input[0].id);
    sns
      .on(PublishBatchCommand)
      .callsFake(respond((id) => (id === bad ? { Code: 'InvalidParameter', SenderFault: true, Message: 'bad attribute' } : undefined)));
    const { publisher, sleeps, telemetry } = setup();
    const result = await publisher.publish(input);
    expect(result.failed).toEqual([{ alertId: input[0].id, reason: 'InvalidParameter (sender fault): bad attribute' }]);
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 1);
    expect(sleeps).toEqual([]);
    expect(telemetry.counters.PublishFailures).toBe(1);
  });

  it('fails the whole chunk at once on a non-retryable call error, and goes on with the next chunk', async () => {
    sns
      .on(PublishBatchCommand)
      .rejectsOnce(new AuthorizationErrorException({ message: 'not allowed', $metadata: { httpStatusCode: 403 } }))
      .callsFake(respond());
    const { publisher, telemetry } = setup();
    const input = alerts(12);
    const result = await publisher.publish(input);
    expect(result.failed.map((f) => f.alertId)).toEqual(input.slice(0, 10).map((a) => a.id));
    expect(result.failed[0].reason).toBe('PublishBatch failed: AuthorizationErrorException: not allowed');
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 2);
    expect(entryIds(1)).toEqual(input.slice(10).map((a) => batchEntryId(a.id)));
    expect(telemetry.counters.PublishFailures).toBe(10);
  });

  it('retries an entry SNS neither accepted nor rejected', async () => {
    const input = alerts(2);
    sns
      .on(PublishBatchCommand)
      .resolvesOnce({ Successful: [{ Id: batchEntryId(input[0].id), MessageId: 'm1' }], Failed: [] })
      .callsFake(respond());
    const { publisher } = setup();
    expect((await publisher.publish(input)).failed).toEqual([]);
    expect(entryIds(1)).toEqual([batchEntryId(input[1].id)]);
  });

  it('publishes an alert given twice in one call only once', async () => {
    sns.on(PublishBatchCommand).callsFake(respond());
    const { publisher } = setup();
    const [a] = alerts(1);
    expect((await publisher.publish([a, a])).failed).toEqual([]);
    expect(entryIds(0)).toEqual([batchEntryId(a.id)]);
  });

  it('makes no call for no alerts', async () => {
    const { publisher } = setup();
    expect(await publisher.publish([])).toEqual({ failed: [] });
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 0);
  });
});

describe('batchEntryId', () => {
  it('is valid for SNS and distinct, even for long or colliding alert ids', () => {
    const taken = new Set<string>();
    const ids = ['a:b', 'a_b', 'x'.repeat(300), `${'x'.repeat(300)}y`, 'ünïcode id/with spaces'].map((id) => {
      const entry = batchEntryId(id, taken);
      taken.add(entry);
      return entry;
    });
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe('a_b');
    expect(ids[1]).toMatch(/^a_b-[0-9a-f]{12}$/);
  });
});
