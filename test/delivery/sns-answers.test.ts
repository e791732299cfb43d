import { SNSClient } from '@aws-sdk/client-sns';
import { SNS_CLIENT } from '../../lambda/delivery/lease';
import { SnsAlertPublisher } from '../../lambda/delivery/sns-publisher';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { freePort } from '../../src/local/dynamodb-local';
import { testAlert } from '../support/alerts';
import { RecordingSnsEndpoint, isLabelled, type SnsHooks } from '../support/sns-endpoint';

/**
 * What each of SNS's answers (or silences) means for a copy, on the wire: the real SnsAlertPublisher and
 * SNS client (configured as in Lambda) against a stand-in that answers PublishBatch like SNS. A refusal SNS
 * answered is retried as it is; a call whose outcome is unknown is retried labelled as a possible repeat,
 * and reported `uncertain` when it still fails.
 */
let sns: RecordingSnsEndpoint;
beforeAll(async () => {
  sns = await RecordingSnsEndpoint.start();
});
afterAll(() => sns.close());
beforeEach(() => {
  sns.taken.length = 0;
  sns.calls = 0;
  sns.hooks = {};
});

const ATTEMPT_MS = 400;

function publisher(endpoint = sns.url) {
  const telemetry = new RecordingTelemetry();
  const client = new SNSClient({ ...SNS_CLIENT, endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const p = new SnsAlertPublisher({
    client,
    topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
    telemetry,
    sleep: async () => {},
    attemptTimeoutMs: ATTEMPT_MS,
  });
  return { publisher: p, telemetry };
}

/** The first call gets `first`, later calls are taken and answered. */
function onFirstCall(first: SnsHooks): SnsHooks {
  return {
    arrived: (call) => (call.number === 1 && first.arrived ? first.arrived(call) : 'take'),
    taken: (call) => (call.number === 1 && first.taken ? first.taken(call) : 'answer'),
  };
}

const alert = testAlert('run:job-1:2024-04-14:BUCKET_ACCESS_DENIED:first');

describe('SNS answered: a definite outcome', () => {
  test('taken and answered: one copy, unlabelled', async () => {
    const { publisher: p } = publisher();
    expect(await p.publish([alert])).toEqual({ failed: [] });
    expect(sns.taken.map(isLabelled)).toEqual([false]);
  });

  test('400 Throttled: retried as it is (SNS said it took nothing)', async () => {
    sns.hooks = onFirstCall({ arrived: () => ({ status: 400, code: 'Throttled', message: 'Rate exceeded' }) });
    const { publisher: p } = publisher();
    expect(await p.publish([alert])).toEqual({ failed: [] });
    expect(sns.calls).toBe(2);
    expect(sns.taken.map(isLabelled)).toEqual([false]);
  });

  test('nothing listening (connection refused) on every attempt: failed, and certainly not published', async () => {
    const { publisher: p } = publisher(`http://127.0.0.1:${await freePort()}`);
    const { failed } = await p.publish([alert]);
    expect(failed).toHaveLength(1);
    expect(failed[0].uncertain).toBeUndefined();
    expect(failed[0].reason).toMatch(/ECONNREFUSED/);
  });

  test('no time left in the delivery window for an attempt: nothing is sent, failed for certain', async () => {
    const { publisher: p } = publisher();
    const { failed } = await p.publish([alert], { budgetMs: ATTEMPT_MS - 1 });
    expect(sns.calls).toBe(0);
    expect(failed).toEqual([{ alertId: alert.id, reason: "not sent (the delivery's time window ran out)" }]);
  });
});

describe('SNS took the call but the answer was lost: the retry is labelled', () => {
  test('no answer at all (the attempt times out): a second copy, labelled, counted as republished', async () => {
    sns.hooks = onFirstCall({ taken: () => 'stall' });
    const { publisher: p, telemetry } = publisher();
    expect(await p.publish([alert])).toEqual({ failed: [] });
    expect(sns.taken.map(isLabelled)).toEqual([false, true]);
    expect(sns.alertIds()).toEqual([alert.id, alert.id]);
    expect(telemetry.counters.AlertsRepublished).toBe(1);
  });

  test('the connection breaks after the request was sent: a second copy, labelled', async () => {
    sns.hooks = onFirstCall({ taken: () => 'drop' });
    const { publisher: p } = publisher();
    expect(await p.publish([alert])).toEqual({ failed: [] });
    expect(sns.taken.map(isLabelled)).toEqual([false, true]);
  });

  test('the connection breaks before SNS took anything: the client cannot tell, so the only copy is labelled too', async () => {
    sns.hooks = onFirstCall({ arrived: () => 'drop' });
    const { publisher: p } = publisher();
    expect(await p.publish([alert])).toEqual({ failed: [] });
    expect(sns.taken.map(isLabelled)).toEqual([true]);
  });

  test('a 500 answer does not say SNS did nothing: the retry is labelled', async () => {
    sns.hooks = onFirstCall({ arrived: () => ({ status: 500, code: 'InternalError' }) });
    const { publisher: p } = publisher();
    expect(await p.publish([alert])).toEqual({ failed: [] });
    expect(sns.taken.map(isLabelled)).toEqual([true]);
  });

  test('no answer on every attempt: every copy after the first labelled, and the failure is uncertain (the outbox labels the next copy)', async () => {
    sns.hooks = { taken: () => 'stall' };
    const { publisher: p } = publisher();
    const { failed } = await p.publish([alert]);
    expect(failed).toHaveLength(1);
    expect(failed[0].uncertain).toBe(true);
    expect(sns.taken.map(isLabelled)).toEqual([false, true, true, true]);
  });

  test("a copy the caller labels stays labelled with the caller's time, whatever happens to its attempts", async () => {
    sns.hooks = onFirstCall({ taken: () => 'stall' });
    const { publisher: p } = publisher();
    const interruptedAt = '2024-04-14T18:00:00.000Z';
    await p.publish([alert], { repeats: new Map([[alert.id, { interruptedAt }]]) });
    expect(sns.taken.map(isLabelled)).toEqual([true, true]);
    for (const e of sns.taken) expect(JSON.parse(e.messages.default).deliveryInterruptedAt).toBe(interruptedAt);
  });
});
