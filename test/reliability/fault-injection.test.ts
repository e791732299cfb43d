import { PublishBatchCommand, SNSClient, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { Alert } from '../../lambda/core/alert';
import type { DeliveryStep } from '../../lambda/delivery/outbox';
import { pendingIds } from '../../lambda/delivery/outbox';
import { processSubscriptionEvent } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import type { AlertPublisher } from '../../lambda/delivery/publisher';
import { SnsAlertPublisher } from '../../lambda/delivery/sns-publisher';
import type { Item, StateStore } from '../../lambda/state/store';
import { sweep } from '../../lambda/sweeper/sweep';
import { GSI1, keys } from '../../lambda/state/table';
import { freshStore } from '../support/dynamodb';
import {
  FaultyPublisher,
  InjectedCrash,
  crashingStore,
  invokeWithRetries,
  throttleNth,
  throttledStore,
  type DynamoFaultPlan,
  type PublishFault,
} from '../support/faults';
import { JOB_ID, NOW, RUN_KEY, comparableRun, jobEvent, pipelineDeps, runBatch, runEvents } from './job-log-fixture';

/**
 * Every case: a fault at one chosen point, then the same batch re-invoked as Lambda's async retries do (up to
 * 2 more attempts). What reached SNS must be exactly the fault-free run's alerts, each once, and the run item
 * must equal the fault-free run's (version, TTL and applied-batch order aside).
 */
let baseline: { delivered: string[]; run: Item | undefined };

beforeAll(async () => {
  const store = await freshStore(() => NOW);
  const publisher = new FaultyPublisher();
  await processSubscriptionEvent(runBatch(), pipelineDeps(store, publisher));
  baseline = { delivered: publisher.deliveredIds().sort(), run: comparableRun(await store.get(RUN_KEY)) };
});

test('the fault-free run publishes 12 alerts in two PublishBatch calls (the baseline every case is compared with)', () => {
  expect(baseline.delivered).toHaveLength(12);
  expect(new Set(baseline.delivered).size).toBe(12);
  expect(baseline.run).toMatchObject({ status: 'RUNNING', bucketsMatched: 3 });
  expect(baseline.run?.pendingAlerts).toBeUndefined();
});

interface Case {
  store?: (store: StateStore) => StateStore;
  publisher?: AlertPublisher;
  afterStep?: PipelineDeps['afterStep'];
}

/** Runs the batch with the faults of the first attempt only (later attempts are clean, as after a transient fault). */
async function runWithRetries(faulty: Case, retries = 2) {
  const store = await freshStore(() => NOW);
  const clean = new FaultyPublisher();
  const publisher = faulty.publisher ?? clean;
  const outcome = await invokeWithRetries(async (attempt) => {
    const first = attempt === 1;
    const deps = pipelineDeps(first && faulty.store ? faulty.store(store) : store, first ? publisher : publisher === clean ? clean : publisher, {
      afterStep: first ? faulty.afterStep : undefined,
    });
    await processSubscriptionEvent(runBatch(), deps);
  }, retries);
  return { store, outcome, run: await store.get(RUN_KEY) };
}

function crashAt(step: DeliveryStep, occurrence = 1): PipelineDeps['afterStep'] {
  let seen = 0;
  return (s) => {
    if (s === step && ++seen === occurrence) throw new InjectedCrash(`after ${step} ${occurrence}`);
  };
}

async function expectLikeBaseline(result: { outcome: { toDlq: boolean }; run: Item | undefined }, delivered: string[]) {
  expect(result.outcome.toDlq).toBe(false);
  expect([...delivered].sort()).toEqual(baseline.delivered);
  expect(comparableRun(result.run)).toEqual(baseline.run);
}

describe('crash after each step, then Lambda retries the same batch', () => {
  test('crash after decode (before the state write): the retry applies everything once', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ store: (s) => crashingStore(s, 1, 'before'), publisher });
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, publisher.deliveredIds());
  });

  test('crash after the state write (nothing published yet): the retry sees a duplicate batch and delivers the pending alerts', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ store: (s) => crashingStore(s, 1, 'after'), publisher });
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, publisher.deliveredIds());
  });

  test('crash after the first publish call: its 10 alerts are not re-sent, the retry sends the other 2', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ afterStep: crashAt('publish', 1), publisher });
    expect(publisher.calls).toBe(2);
    await expectLikeBaseline(r, publisher.deliveredIds());
  });

  test('crash after the second publish call: nothing is re-sent', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ afterStep: crashAt('publish', 2), publisher });
    expect(publisher.calls).toBe(2);
    await expectLikeBaseline(r, publisher.deliveredIds());
  });

  test('crash after a release (partial failure): the retry sends exactly the released alerts', async () => {
    const failing = new Set([baseline.delivered[3], baseline.delivered[7]]);
    const publisher = new FaultyPublisher(new Map<number, PublishFault>([[1, { kind: 'fail-ids', ids: failing }]]));
    const r = await runWithRetries({ afterStep: crashAt('release', 1), publisher });
    await expectLikeBaseline(r, publisher.deliveredIds());
  });

  test('ANSWER LOST: SNS took the call but the publisher threw (e.g. a timeout): those alerts are released and sent again, a duplicate', async () => {
    // delivery/outbox.ts treats a throwing publisher as "SNS took none of these" and releases the chunk. When SNS had in
    // fact accepted it, the retry publishes the same alerts again: at least once, never lost.
    const publisher = new FaultyPublisher(new Map<number, PublishFault>([[1, { kind: 'crash-after-send' }]]));
    const r = await runWithRetries({ publisher });
    const firstCall = baseline.delivered.slice(0, 10);
    expect([...publisher.deliveredIds()].sort()).toEqual([...baseline.delivered, ...firstCall].sort());
    expect(comparableRun(r.run)).toEqual(baseline.run);
  });

  test('RESIDUAL WINDOW: crash after the claim, before SNS got the call: the claimed alerts are lost (at most once), the rest arrive once', async () => {
    const publisher = new FaultyPublisher();
    let claimed: readonly string[] = [];
    const r = await runWithRetries({
      publisher,
      afterStep: (step, ids) => {
        if (step === 'claim' && claimed.length === 0) {
          claimed = ids;
          throw new InjectedCrash('after claim 1');
        }
      },
    });
    expect(claimed).toHaveLength(10);
    const delivered = publisher.deliveredIds().sort();
    expect(delivered).toEqual(baseline.delivered.filter((id) => !claimed.includes(id)));
    expect(new Set(delivered).size).toBe(delivered.length);
    // The run state is still exactly the fault-free state; the lost alerts are SENT items with claimedAt.
    expect(comparableRun(r.run)).toEqual(baseline.run);
    const lost = await r.store.get(keys.alert(claimed[0]));
    expect(lost).toMatchObject({ status: 'SENT' });
    expect(typeof lost?.claimedAt).toBe('string');
    // Neither a retry nor the sweeper can tell them from delivered alerts: the sweeper does not re-send them.
    const later = new FaultyPublisher();
    await sweep(pipelineDeps(r.store, later, { now: () => new Date(NOW.getTime() + 3_600_000) }));
    expect(later.deliveredIds()).toEqual([]);
  });
});

describe('DynamoDB faults', () => {
  const throttled = (plan: DynamoFaultPlan) => (s: StateStore) => throttledStore(s, plan, () => NOW).store;

  test('throttled read (BatchGetItem): the retry applies the batch once', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ store: throttled(throttleNth('BatchGetItemCommand', 1)), publisher });
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, publisher.deliveredIds());
  });

  test('throttled state write (TransactWriteItems): nothing half-written, the retry applies it once', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ store: throttled(throttleNth('TransactWriteItemsCommand', 1)), publisher });
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, publisher.deliveredIds());
  });

  test('throttled claim (the second write): the claim did not happen, the retry publishes everything once', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ store: throttled(throttleNth('TransactWriteItemsCommand', 2)), publisher });
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, publisher.deliveredIds());
  });

  test('throttled release after a partial SNS failure: the failed alert stays SENT unpublished (second residual case, at most once)', async () => {
    // The release is the write that returns failed alerts to PENDING. When it is throttled the alert stays SENT
    // without having been published: the same at-most-once outcome as the residual window, caused by a second
    // fault (SNS failure and then DynamoDB throttling on the very next write).
    const failing = baseline.delivered[0];
    const publisher = new FaultyPublisher(new Map<number, PublishFault>([[1, { kind: 'fail-ids', ids: new Set([failing]) }]]));
    const r = await runWithRetries({ store: throttled(throttleNth('TransactWriteItemsCommand', 3)), publisher });
    const delivered = publisher.deliveredIds().sort();
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(delivered).toEqual(baseline.delivered.filter((id) => id !== failing));
    expect(comparableRun(r.run)).toEqual(baseline.run);
  });

  test('conditional-check race: a concurrent writer bumps the run between read and write; the batch is recomputed, counts are right', async () => {
    const store = await freshStore(() => NOW);
    const publisher = new FaultyPublisher();
    // A first batch starts the run; the racing batch lands while the second is between its read and its write.
    await processSubscriptionEvent(runBatch([jobEvent('ONE_TIME_JOB_STARTED', 0)], 's'), pipelineDeps(store, publisher));
    let raced = false;
    const racing = Object.create(store) as StateStore;
    racing.write = async (ops) => {
      if (!raced) {
        raced = true;
        const extra = [0, 1].map((i) => jobEvent('BUCKET_MATCHED_THE_CRITERIA', 1, { affectedResource: { type: 'S3_BUCKET_NAME', value: `race-${i}` } }));
        await processSubscriptionEvent(runBatch(extra, 'r'), pipelineDeps(store, publisher));
      }
      return store.write(ops);
    };
    const events = runEvents().slice(1);
    await processSubscriptionEvent(runBatch(events, 'm'), pipelineDeps(racing, publisher));
    expect(raced).toBe(true);
    const run = await store.get(RUN_KEY);
    expect(run?.bucketsMatched).toBe(5);
    expect(publisher.deliveredIds().sort()).toEqual(baseline.delivered);
  });
});

describe('SNS faults through the real SnsAlertPublisher (aws-sdk-client-mock)', () => {
  const sns = mockClient(SNSClient);
  afterEach(() => sns.reset());

  /** SNS as a mock: `decide` says per call and entry what happens; accepted entries are the ground truth. */
  function snsPublisher(decide: (call: number, entry: PublishBatchRequestEntry) => 'ok' | 'throttle-call' | '5xx-call' | 'fail-entry') {
    const accepted: string[] = [];
    let call = 0;
    sns.on(PublishBatchCommand).callsFake(async (input: { PublishBatchRequestEntries: PublishBatchRequestEntry[] }) => {
      call++;
      const entries = input.PublishBatchRequestEntries;
      const verdicts = entries.map((e) => decide(call, e));
      if (verdicts.includes('throttle-call')) {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
      if (verdicts.includes('5xx-call')) {
        throw Object.assign(new Error('Internal error'), { name: 'InternalErrorException', $fault: 'server', $metadata: { httpStatusCode: 500 } });
      }
      const ok = entries.filter((_, i) => verdicts[i] === 'ok');
      for (const e of ok) accepted.push((JSON.parse(JSON.parse(e.Message!).default) as Alert).id);
      return {
        Successful: ok.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
        Failed: entries.filter((_, i) => verdicts[i] === 'fail-entry').map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false, Message: 'injected' })),
      };
    });
    const publisher = new SnsAlertPublisher({ client: new SNSClient({ region: 'us-east-1' }), topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts', sleep: async () => {}, maxAttempts: 4 });
    return { publisher, accepted, calls: () => call };
  }

  test('SNS throttles the first 2 attempts: the publisher retries within the invocation, each alert once', async () => {
    const { publisher, accepted } = snsPublisher((call) => (call <= 2 ? 'throttle-call' : 'ok'));
    const r = await runWithRetries({ publisher });
    expect(r.outcome.attempts).toBe(1);
    await expectLikeBaseline(r, accepted);
  });

  test('SNS throttles every attempt of the first invocation: alerts are released, the Lambda retry publishes each once', async () => {
    const { publisher, accepted } = snsPublisher((call) => (call <= 8 ? 'throttle-call' : 'ok'));
    const r = await runWithRetries({ publisher });
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, accepted);
  });

  test('SNS 5xx on the first call: retried, each alert once', async () => {
    const { publisher, accepted } = snsPublisher((call) => (call === 1 ? '5xx-call' : 'ok'));
    const r = await runWithRetries({ publisher });
    await expectLikeBaseline(r, accepted);
  });

  test('partial PublishBatch failure (2 entries fail every attempt of the first invocation): only those are re-sent by the retry', async () => {
    const failing = new Set([baseline.delivered[1], baseline.delivered[10]]);
    let invocation = 1;
    const { publisher, accepted } = snsPublisher((_call, entry) => {
      const id = (JSON.parse(JSON.parse(entry.Message!).default) as Alert).id;
      return invocation === 1 && failing.has(id) ? 'fail-entry' : 'ok';
    });
    const store = await freshStore(() => NOW);
    const outcome = await invokeWithRetries(async (attempt) => {
      invocation = attempt;
      await processSubscriptionEvent(runBatch(), pipelineDeps(store, publisher));
    });
    expect(outcome.attempts).toBe(2);
    await expectLikeBaseline({ outcome, run: await store.get(RUN_KEY) }, accepted);
  });
});

describe('when retries run out (the DLQ path)', () => {
  test('SNS down for all 3 attempts: state fully applied once, alerts PENDING in the outbox, then the sweeper delivers each once', async () => {
    // Two PublishBatch calls per attempt (10 + 2 alerts), three attempts.
    const down = new Map<number, PublishFault>([1, 2, 3, 4, 5, 6].map((n) => [n, { kind: 'fail-call' } as PublishFault]));
    const publisher = new FaultyPublisher(down);
    const store = await freshStore(() => NOW);
    const outcome = await invokeWithRetries(() => processSubscriptionEvent(runBatch(), pipelineDeps(store, publisher)));
    expect(outcome.toDlq).toBe(true);
    expect(publisher.deliveredIds()).toEqual([]);
    const run = await store.get(RUN_KEY);
    expect(pendingIds(run).sort()).toEqual(baseline.delivered);
    const { pendingAlerts: _p, ...runWithoutPending } = comparableRun(run)!;
    expect(runWithoutPending).toEqual(baseline.run);
    expect((await store.listIndex(GSI1.pendingAlert)).length).toBe(12);

    const later = new Date(NOW.getTime() + 20 * 60_000);
    await sweep(pipelineDeps(store, publisher, { now: () => later }));
    expect(publisher.deliveredIds().sort()).toEqual(baseline.delivered);
    expect(comparableRun(await store.get(RUN_KEY))).toEqual(baseline.run);
  });

  test('DynamoDB throttles the state write on all 3 attempts: nothing applied, nothing published', async () => {
    const publisher = new FaultyPublisher();
    const store = await freshStore(() => NOW);
    const always: DynamoFaultPlan = (name) => (name === 'TransactWriteItemsCommand' ? Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }) : undefined);
    const faulty = throttledStore(store, always, () => NOW).store;
    const outcome = await invokeWithRetries(() => processSubscriptionEvent(runBatch(), pipelineDeps(faulty, publisher)));
    expect(outcome.toDlq).toBe(true);
    expect(publisher.calls).toBe(0);
    expect(await store.get(RUN_KEY)).toBeUndefined();
    expect(await store.get(keys.job(JOB_ID))).toBeUndefined();
    expect(await store.listIndex(GSI1.pendingAlert)).toEqual([]);
  });
});

describe('concurrency', () => {
  test('4 invocations of overlapping batches of one run at once (one of them delivered twice): no lost counts, one alert per group', async () => {
    const events = runEvents();
    const parts = [events.slice(0, 6), events.slice(6, 11), events.slice(11, 16), events.slice(16)];
    const batches = parts.map((p, i) => runBatch(p, `c${i}`));
    const sequential = await freshStore(() => NOW);
    for (const b of batches) await processSubscriptionEvent(b, pipelineDeps(sequential, new FaultyPublisher()));

    const store = await freshStore(() => NOW);
    const publisher = new FaultyPublisher();
    const results = await Promise.allSettled([...batches, batches[1]].map((b) => invokeWithRetries(() => processSubscriptionEvent(b, pipelineDeps(store, publisher)))));
    expect(results.every((r) => r.status === 'fulfilled' && !r.value.toDlq)).toBe(true);

    const run = await store.get(RUN_KEY);
    const expected = await sequential.get(RUN_KEY);
    expect(run?.bucketsMatched).toBe(3);
    for (const field of ['status', 'bucketsMatched', 'errors', 'startedAt']) expect(run?.[field]).toEqual(expected?.[field]);
    const groups = run?.groups as Record<string, { count: number; alerts: number }>;
    expect(Object.values(groups).reduce((s, g) => s + g.count, 0)).toBe(17);
    expect(Object.values(groups).every((g) => g.alerts === 1)).toBe(true);
    expect(publisher.deliveredIds().sort()).toEqual(baseline.delivered);
    expect(pendingIds(run)).toEqual([]);
  });
});
