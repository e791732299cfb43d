import { PublishBatchCommand, SNSClient, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { mockClient } from '../support/aws-mock';
import type { Alert } from '../../lambda/core/alert';
import type { DeliveryStep } from '../../lambda/delivery/outbox';
import { pendingIds } from '../../lambda/delivery/outbox';
import { processSubscriptionEvent } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import type { AlertPublisher } from '../../lambda/delivery/publisher';
import { LEASE_MS } from '../../lambda/delivery/lease';
import { SnsAlertPublisher } from '../../lambda/delivery/sns-publisher';
import type { Item, StateStore } from '../../lambda/state/store';
import { sweep } from '../../lambda/sweeper/sweep';
import { GSI1, keys } from '../../lambda/state/table';
import { freshStore } from '../support/dynamodb';
import {
  FaultyPublisher,
  InjectedError,
  throwingStore,
  invokeWithRetries,
  throttleNth,
  throttledStore,
  type DynamoFaultPlan,
  type PublishFault,
} from '../support/faults';
import { JOB_ID, NOW, RUN_KEY, comparableRun, jobEvent, pipelineDeps, runBatch, runEvents } from './job-log-fixture';

/**
 * Thrown errors (not crashes: a thrown error leaves the process alive, and the outbox settles what it
 * claimed before the error goes up; real crashes are SIGKILLs, in kill-matrix.test.ts). Every case: a
 * fault at one chosen point, then the same batch re-invoked as Lambda's async retries do (up to 2 more
 * attempts). Every alert of the fault-free run must reach SNS, a repeat only where SNS may have taken the
 * first copy and always labelled, and the run item must equal the fault-free run's (version, TTL and
 * applied-batch order aside).
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

function throwAfter(step: DeliveryStep, occurrence = 1): PipelineDeps['afterStep'] {
  let seen = 0;
  return (s) => {
    if (s === step && ++seen === occurrence) throw new InjectedError(`after ${step} ${occurrence}`);
  };
}

async function expectLikeBaseline(result: { outcome: { toDlq: boolean }; run: Item | undefined }, publisher: FaultyPublisher) {
  expect(result.outcome.toDlq).toBe(false);
  expect([...publisher.deliveredIds()].sort()).toEqual(baseline.delivered);
  expect(publisher.labelled.every((l) => !l)).toBe(true);
  expect(comparableRun(result.run)).toEqual(baseline.run);
}

/** Every alert of the baseline arrived; the ids that arrived more than once are `repeated`, every later copy labelled. */
function expectAtLeastOnce(publisher: FaultyPublisher, repeated: readonly string[]) {
  expect([...new Set(publisher.deliveredIds())].sort()).toEqual(baseline.delivered);
  const repeats = publisher.repeats();
  expect([...repeats.keys()].sort()).toEqual([...repeated].sort());
  for (const r of repeats.values()) expect(r.laterCopiesLabelled).toBe(true);
}

/** After a lease ran out: a later delivery (the sweeper here) takes over what a dead delivery left SENDING. */
const afterTheLease = () => new Date(NOW.getTime() + LEASE_MS + 1_000);

/**
 * The first attempt left `n` alerts SENDING (its retry, within their lease, left them alone); a sweep after
 * the lease sends each once, labelled, and the run ends as the fault-free run's.
 */
async function expectLeftSendingThenSweptLabelled(r: Awaited<ReturnType<typeof runWithRetries>>, publisher: FaultyPublisher, n: number) {
  expect(r.outcome.attempts).toBe(2);
  const first = baseline.delivered.filter((id) => !publisher.deliveredIds().includes(id));
  expect(first).toHaveLength(n);
  expect(await r.store.get(keys.alert(first[0]))).toMatchObject({ status: 'SENDING' });
  const sweeper = pipelineDeps(r.store, publisher, { now: afterTheLease });
  await sweep(sweeper);
  expectAtLeastOnce(publisher, []);
  expect(publisher.labelled.filter(Boolean)).toHaveLength(n);
  expect(sweeper.telemetry.counters.AlertsRepublished).toBe(n);
  expect(comparableRun(await r.store.get(RUN_KEY))).toEqual(baseline.run);
}

describe('an error thrown after each step, then Lambda retries the same batch', () => {
  test('before the state write: the retry applies everything once', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ store: (s) => throwingStore(s, 1, 'before'), publisher });
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, publisher);
  });

  test('after the state write (nothing published yet): the retry sees a duplicate batch and delivers the pending alerts', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ store: (s) => throwingStore(s, 1, 'after'), publisher });
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, publisher);
  });

  test('after the first claim: the invocation releases the 10 claimed alerts (SNS never saw them), the retry sends each once, unlabelled', async () => {
    const publisher = new FaultyPublisher();
    let claimed: readonly string[] = [];
    const r = await runWithRetries({
      publisher,
      afterStep: (step, ids) => {
        if (step === 'claim' && claimed.length === 0) {
          claimed = ids;
          throw new InjectedError('after claim 1');
        }
      },
    });
    expect(claimed).toHaveLength(10);
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, publisher);
    const item = await r.store.get(keys.alert(claimed[0]));
    expect(item).toMatchObject({ status: 'SENT' });
    expect(item?.interruptedAt).toBeUndefined();
  });

  test('after the first publish call: the invocation confirms its 10 alerts, the retry sends only the other 2', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ afterStep: throwAfter('publish', 1), publisher });
    expect(publisher.calls).toBe(2);
    await expectLikeBaseline(r, publisher);
  });

  test('after the second publish call: nothing is re-sent', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ afterStep: throwAfter('publish', 2), publisher });
    expect(publisher.calls).toBe(2);
    await expectLikeBaseline(r, publisher);
  });

  test('after a settle that released 2 refused alerts: the retry sends exactly those 2', async () => {
    const failing = new Set([baseline.delivered[3], baseline.delivered[7]]);
    const publisher = new FaultyPublisher(new Map<number, PublishFault>([[1, { kind: 'fail-ids', ids: failing }]]));
    const r = await runWithRetries({ afterStep: throwAfter('settle', 1), publisher });
    await expectLikeBaseline(r, publisher);
  });

  test('ANSWER LOST: SNS took the call but the publisher threw: the 10 go back to PENDING marked interrupted, and the retry sends them again, labelled', async () => {
    const publisher = new FaultyPublisher(new Map<number, PublishFault>([[1, { kind: 'throw-after-send' }]]));
    const r = await runWithRetries({ publisher });
    const firstCall = publisher.deliveredIds().slice(0, 10);
    expectAtLeastOnce(publisher, firstCall);
    expect(publisher.labelled.filter(Boolean)).toHaveLength(10);
    expect(comparableRun(r.run)).toEqual(baseline.run);
  });

  test('the state write landed but its answer was lost, and the release failed too: the 10 born claimed stay SENDING, a retry within the lease leaves them, a sweep after it sends them labelled', async () => {
    // Writes: 1 the state write (lands, then throws), 2 the release of its birth claims (throttled).
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({
      store: (s) => throwingStore(throttledStore(s, throttleNth('TransactWriteItemsCommand', 2), () => NOW).store, 1, 'after'),
      publisher,
    });
    await expectLeftSendingThenSweptLabelled(r, publisher, 10);
  });

  test('the claim applied but its answer lost (the caller never learns it won): the alerts stay SENDING, a retry within the lease leaves them, a sweep after it sends them labelled', async () => {
    // Writes: 1 the state write (claims the first 10 at birth), 2 their settle, 3 the claim of the other 2.
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ store: (s) => throwingStore(s, 3, 'after'), publisher });
    await expectLeftSendingThenSweptLabelled(r, publisher, 2);
  });
});

describe('DynamoDB faults', () => {
  const throttled = (plan: DynamoFaultPlan) => (s: StateStore) => throttledStore(s, plan, () => NOW).store;

  test('throttled read (BatchGetItem): the retry applies the batch once', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ store: throttled(throttleNth('BatchGetItemCommand', 1)), publisher });
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, publisher);
  });

  test('throttled state write (TransactWriteItems): nothing half-written, the retry applies it once', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ store: throttled(throttleNth('TransactWriteItemsCommand', 1)), publisher });
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, publisher);
  });

  test('throttled claim (the third write: the first 10 were claimed by the state write and settled): the claim did not happen, the retry publishes the other 2 once', async () => {
    const publisher = new FaultyPublisher();
    const r = await runWithRetries({ store: throttled(throttleNth('TransactWriteItemsCommand', 3)), publisher });
    expect(r.outcome.attempts).toBe(2);
    await expectLikeBaseline(r, publisher);
  });

  test('throttled settle write after a partial SNS failure: the chunk stays SENDING, and after its lease the 9 SNS took go out again labelled, the refused one for the first time', async () => {
    // The settle is the write that confirms what SNS took and releases what it refused. When it is
    // throttled the whole chunk stays SENDING under its lease: a retry within the lease leaves it alone, a
    // delivery after the lease takes it over and labels every copy, since it cannot know what went out.
    const failing = baseline.delivered[0];
    const publisher = new FaultyPublisher(new Map<number, PublishFault>([[1, { kind: 'fail-ids', ids: new Set([failing]) }]]));
    // Writes: 1 the state write (claims the first chunk at birth), 2 the chunk's settle (throttled).
    const r = await runWithRetries({ store: throttled(throttleNth('TransactWriteItemsCommand', 2)), publisher });
    const firstChunk = publisher.delivered.slice(0, 9).map((a) => a.id);
    await sweep(pipelineDeps(r.store, publisher, { now: afterTheLease }));
    expectAtLeastOnce(publisher, firstChunk);
    expect(firstChunk).not.toContain(failing);
    expect(comparableRun(await r.store.get(RUN_KEY))).toEqual(baseline.run);
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
    const labelled: string[] = [];
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
      for (const e of ok) if (e.MessageAttributes?.possibleDuplicate?.StringValue === 'true') labelled.push(String(e.MessageAttributes.alertId?.StringValue));
      return {
        Successful: ok.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
        Failed: entries
          .filter((_, i) => verdicts[i] === 'fail-entry')
          .map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false, Message: 'injected' })),
      };
    });
    const publisher = new SnsAlertPublisher({
      client: new SNSClient({ region: 'us-east-1' }),
      topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
      sleep: async () => {},
      maxAttempts: 4,
    });
    return { publisher, accepted, labelled, calls: () => call };
  }

  /** What SNS accepted is the baseline, each alert once, and the run is the baseline's. */
  function expectAcceptedOnce(result: { outcome: { toDlq: boolean }; run: Item | undefined }, accepted: readonly string[]) {
    expect(result.outcome.toDlq).toBe(false);
    expect([...accepted].sort()).toEqual(baseline.delivered);
    expect(comparableRun(result.run)).toEqual(baseline.run);
  }

  test('SNS throttles the first 2 attempts: the publisher retries within the invocation, each alert once', async () => {
    const { publisher, accepted } = snsPublisher((call) => (call <= 2 ? 'throttle-call' : 'ok'));
    const r = await runWithRetries({ publisher });
    expect(r.outcome.attempts).toBe(1);
    expectAcceptedOnce(r, accepted);
  });

  test('SNS throttles every attempt of the first invocation: alerts are released, the Lambda retry publishes each once', async () => {
    const { publisher, accepted } = snsPublisher((call) => (call <= 8 ? 'throttle-call' : 'ok'));
    const r = await runWithRetries({ publisher });
    expect(r.outcome.attempts).toBe(2);
    expectAcceptedOnce(r, accepted);
  });

  test('SNS 5xx on the first call: retried, each alert once, the retried copies labelled (a server error does not say SNS did nothing)', async () => {
    const { publisher, accepted, labelled } = snsPublisher((call) => (call === 1 ? '5xx-call' : 'ok'));
    const r = await runWithRetries({ publisher });
    expectAcceptedOnce(r, accepted);
    expect(labelled).toHaveLength(10);
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
    expectAcceptedOnce({ outcome, run: await store.get(RUN_KEY) }, accepted);
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
    const always: DynamoFaultPlan = (name) =>
      name === 'TransactWriteItemsCommand' ? Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }) : undefined;
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
    const results = await Promise.allSettled(
      [...batches, batches[1]].map((b) => invokeWithRetries(() => processSubscriptionEvent(b, pipelineDeps(store, publisher)))),
    );
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
