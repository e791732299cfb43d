import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { resolveSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { pendingIds } from '../../lambda/delivery/outbox';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { addAck } from '../../lambda/silences/ack-store';
import type { WriteOp } from '../../lambda/state/store';
import { GSI1, keys } from '../../lambda/state/table';
import { sweep } from '../../lambda/sweeper/sweep';
import { racingStore, TestClock } from '../support/clock';
import { freshStore } from '../support/dynamodb';
import { clone, cloudTrailEvent, findingEvent, fixture, sqsBatch } from '../findings/kit';

/**
 * Counts held inside a repeat window are reported by the sweeper once the window has passed with no later
 * event to carry them, once: a policy finding's recurrences, a principal's reveals. On DynamoDB Local, with
 * the real pipelines writing the state and a clock the test moves for the sweeper.
 */
const HOUR = 3_600_000;
const MINUTE = 60_000;
const policy = fixture('findings/policy-S3BucketPublic.json');
const FINDING_ID = policy.detail.id as string;
const T0 = '2024-04-14T17:11:30.000Z';
const at = (start: string, ms: number) => new Date(Date.parse(start) + ms).toISOString();

async function setup(start = T0) {
  const clock = new TestClock(new Date(start));
  const store = await freshStore(clock.now);
  const publisher = new RecordingPublisher();
  const deps: PipelineDeps = {
    store,
    publisher,
    telemetry: new RecordingTelemetry(),
    settings: resolveSettings({ policyFindingRepeatHours: 24, repeatIntervalMinutes: 60 }),
    region: 'us-east-1',
    now: clock.now,
  };
  return { clock, store, publisher, deps };
}

function occurrence(count: number, updatedAt: string) {
  return findingEvent(policy, { eventId: `event-count-${count}`, detail: { count, createdAt: T0, updatedAt } });
}

const ids = (publisher: RecordingPublisher) => publisher.alerts.map((a) => a.id);

const writesPolicyFinding = (ops: readonly WriteOp[]) => ops.some((op) => op.kind === 'put' && op.item.pk === keys.policyFinding(FINDING_ID).pk);

describe('held policy recurrences', () => {
  test('recurrences inside the window are flushed once after it, with how many; a later occurrence starts a fresh count', async () => {
    const { clock, store, publisher, deps } = await setup();
    await processFindingBatch(sqsBatch([occurrence(1, T0)]), deps);
    await processFindingBatch(sqsBatch([occurrence(2, at(T0, 1 * HOUR)), occurrence(3, at(T0, 5 * HOUR))]), deps);
    expect(ids(publisher)).toEqual([`policy:${FINDING_ID}:1`]);
    const heldUntil = at(T0, 24 * HOUR);
    expect(await store.get(keys.policyFinding(FINDING_ID))).toMatchObject({
      lastCount: 3,
      lastAlertCount: 1,
      heldUntil,
      gsi1pk: GSI1.heldRecurrence,
      gsi1sk: heldUntil,
    });

    clock.set(at(T0, 23 * HOUR));
    expect((await sweep(deps)).raised).toEqual([]);

    clock.set(at(T0, 25 * HOUR));
    const flushed = await sweep(deps);
    expect(flushed.raised).toEqual([`policy:${FINDING_ID}:3:held`]);
    expect(ids(publisher)).toEqual([`policy:${FINDING_ID}:1`, `policy:${FINDING_ID}:3:held`]);
    const alert = publisher.alerts[1];
    expect(alert.headline).toBe('Macie policy finding (recurred 2 more times): bucket is public for bucket policy-bucket-3');
    expect(alert.whatHappened).toContain(`This finding recurred 2 more times since the last alert at ${T0}: 3 occurrences in all`);
    expect(alert.whatHappened).toContain(`that window ended at ${heldUntil} with no later occurrence`);
    expect(alert).toMatchObject({
      severity: 'HIGH',
      category: 'POLICY_FINDING',
      count: 2,
      threadId: FINDING_ID,
      accountId: policy.detail.accountId,
      region: policy.detail.region,
    });
    expect(Object.fromEntries(alert.details.map((d) => [d.label, d.value]))).toMatchObject({
      Occurrences: '3',
      'Since the last alert': '2',
      'Last alert at': T0,
    });
    const item = await store.get(keys.policyFinding(FINDING_ID));
    expect(item).toMatchObject({ lastCount: 3, lastAlertCount: 3, lastAlertAt: heldUntil, alerts: 2 });
    expect(item?.gsi1pk).toBeUndefined();
    expect(pendingIds(item)).toEqual([]);
    expect(await store.listIndex(GSI1.heldRecurrence)).toEqual([]);

    clock.set(at(T0, 50 * HOUR));
    expect((await sweep(deps)).raised).toEqual([]);

    // A fresh count: occurrence 4 inside the window that began where the flushed one ended is held, and the
    // occurrence after that window reports only it.
    await processFindingBatch(sqsBatch([occurrence(4, at(T0, 30 * HOUR))]), deps);
    expect(await store.get(keys.policyFinding(FINDING_ID))).toMatchObject({ lastCount: 4, lastAlertCount: 3, heldUntil: at(T0, 48 * HOUR) });
    await processFindingBatch(sqsBatch([occurrence(5, at(T0, 49 * HOUR))]), deps);
    expect(ids(publisher).at(-1)).toBe(`policy:${FINDING_ID}:5`);
    expect(publisher.alerts.at(-1)?.whatHappened).toContain(`2 occurrence(s) since the last alert at ${heldUntil}`);
    expect((await store.get(keys.policyFinding(FINDING_ID)))?.heldUntil).toBeUndefined();
    expect(publisher.alerts).toHaveLength(3);
  });

  test('nothing is flushed when the occurrence after the window reported the held ones itself', async () => {
    const { clock, publisher, deps } = await setup();
    await processFindingBatch(sqsBatch([occurrence(1, T0), occurrence(2, at(T0, HOUR))]), deps);
    await processFindingBatch(sqsBatch([occurrence(3, at(T0, 24 * HOUR))]), deps);
    clock.set(at(T0, 30 * HOUR));
    expect((await sweep(deps)).raised).toEqual([]);
    expect(ids(publisher)).toEqual([`policy:${FINDING_ID}:1`, `policy:${FINDING_ID}:3`]);
    expect(publisher.alerts[1].whatHappened).toContain('2 occurrence(s) since the last alert');
  });

  test('a silence on the finding silences the flush too: the held count is reported as done, no alert; unsilenced, the flush lists what was silenced', async () => {
    const silence = {
      id: 'S-7KQ2',
      match: { bucket: policy.detail.resourcesAffected.s3Bucket.name },
      startsAt: T0,
      endsAt: at(T0, 6 * HOUR),
      author: 'alice',
      reason: 'bucket migration',
      createdAt: T0,
    };
    const { clock, store, publisher, deps } = await setup();
    const silenced = { ...deps, silences: { list: async () => [silence] } };
    await processFindingBatch(sqsBatch([occurrence(1, T0)]), deps);
    await processFindingBatch(sqsBatch([occurrence(2, at(T0, HOUR))]), silenced);
    clock.set(at(T0, 25 * HOUR));
    expect((await sweep(silenced)).raised).toEqual([]);
    // Counted as reported, as the pipeline counts a silenced alert: the next window starts where this one ended.
    expect(await store.get(keys.policyFinding(FINDING_ID))).toMatchObject({ lastAlertCount: 2, lastAlertAt: at(T0, 24 * HOUR) });
    expect(await store.listIndex(GSI1.heldRecurrence)).toEqual([]);
    expect(ids(publisher)).toEqual([`policy:${FINDING_ID}:1`]);
    // After the silence's end: a recurrence held in the next window is flushed with an alert that says what was silenced.
    await processFindingBatch(sqsBatch([occurrence(3, at(T0, 26 * HOUR))]), silenced);
    clock.set(at(T0, 49 * HOUR));
    expect((await sweep(silenced)).raised).toEqual([`policy:${FINDING_ID}:3:held`]);
    expect(publisher.alerts.at(-1)?.silenced).toEqual([{ silenceId: 'S-7KQ2', what: policy.detail.type, count: 1 }]);
    expect(ids(publisher)).toEqual([`policy:${FINDING_ID}:1`, `policy:${FINDING_ID}:3:held`]);
  });

  test('acknowledged: recurrences are held past the window, by the pipeline and the sweep, and reported once after the acknowledgement', async () => {
    const { clock, store, publisher, deps } = await setup();
    const endsAt = at(T0, 73 * HOUR);
    await addAck(store, {
      alertId: `policy:${FINDING_ID}:1`,
      startsAt: at(T0, HOUR),
      endsAt,
      author: 'alice',
      reason: 'policy change under review',
      createdAt: at(T0, HOUR),
    });
    await processFindingBatch(sqsBatch([occurrence(1, T0)]), deps);
    await processFindingBatch(sqsBatch([occurrence(2, at(T0, HOUR))]), deps);
    clock.set(at(T0, 25 * HOUR));
    expect((await sweep(deps)).raised).toEqual([]);
    // Past the window, a recurrence would alert: acknowledged, it joins the held count.
    const held = await processFindingBatch(sqsBatch([occurrence(3, at(T0, 30 * HOUR))]), deps);
    expect(held.records[0].outcome).toBe('grouped');
    clock.set(at(T0, 72 * HOUR));
    expect((await sweep(deps)).raised).toEqual([]);
    expect(ids(publisher)).toEqual([`policy:${FINDING_ID}:1`]);
    expect(await store.get(keys.policyFinding(FINDING_ID))).toMatchObject({ lastCount: 3, lastAlertCount: 1, gsi1pk: GSI1.heldRecurrence });
    clock.set(endsAt);
    expect((await sweep(deps)).raised).toEqual([`policy:${FINDING_ID}:3:held`]);
    expect(publisher.alerts.at(-1)?.headline).toContain('(recurred 2 more times)');
    expect((await sweep(deps)).raised).toEqual([]);
  });

  test('two sweeps at once flush the held recurrences once', async () => {
    const { clock, store, publisher, deps } = await setup();
    await processFindingBatch(sqsBatch([occurrence(1, T0), occurrence(2, at(T0, HOUR))]), deps);
    clock.set(at(T0, 25 * HOUR));
    const [a, b] = await Promise.all([sweep(deps), sweep(deps)]);
    expect([...a.raised, ...b.raised]).toEqual([`policy:${FINDING_ID}:2:held`]);
    expect([...a.failures, ...b.failures]).toEqual([]);
    expect(ids(publisher)).toEqual([`policy:${FINDING_ID}:1`, `policy:${FINDING_ID}:2:held`]);
    expect(await store.get(keys.policyFinding(FINDING_ID))).toMatchObject({ lastAlertCount: 2, alerts: 2 });
  });

  test("a new recurrence applied between the sweep's read and its write: the recurrence reports the held count, the sweep nothing", async () => {
    const { clock, store, publisher, deps } = await setup();
    await processFindingBatch(sqsBatch([occurrence(1, T0), occurrence(2, at(T0, HOUR)), occurrence(3, at(T0, 2 * HOUR))]), deps);
    clock.set(at(T0, 25 * HOUR));
    const racing = racingStore(store, writesPolicyFinding, () => processFindingBatch(sqsBatch([occurrence(4, at(T0, 24.5 * HOUR))]), deps));
    const report = await sweep({ ...deps, store: racing });
    expect(racing.raced).toBe(true);
    expect(report.raised).toEqual([]);
    expect(ids(publisher)).toEqual([`policy:${FINDING_ID}:1`, `policy:${FINDING_ID}:4`]);
    expect(publisher.alerts[1].whatHappened).toContain('3 occurrence(s) since the last alert');
    const item = await store.get(keys.policyFinding(FINDING_ID));
    expect(item).toMatchObject({ lastCount: 4, lastAlertCount: 4, alerts: 2 });
    expect(item?.heldUntil).toBeUndefined();
  });

  test("a sweep landing between a new recurrence's read and its write: the sweep reports the held count, the recurrence starts a fresh one", async () => {
    const { clock, store, publisher, deps } = await setup();
    await processFindingBatch(sqsBatch([occurrence(1, T0), occurrence(2, at(T0, HOUR)), occurrence(3, at(T0, 2 * HOUR))]), deps);
    clock.set(at(T0, 25 * HOUR));
    const racing = racingStore(store, writesPolicyFinding, () => sweep(deps));
    const report = await processFindingBatch(sqsBatch([occurrence(4, at(T0, 24.5 * HOUR))]), { ...deps, store: racing });
    expect(racing.raced).toBe(true);
    expect(report.records[0].outcome).toBe('grouped');
    expect(ids(publisher)).toEqual([`policy:${FINDING_ID}:1`, `policy:${FINDING_ID}:3:held`]);
    // Occurrence 4 came inside the window that began where the flushed one ended: held, a count of its own.
    expect(await store.get(keys.policyFinding(FINDING_ID))).toMatchObject({ lastCount: 4, lastAlertCount: 3, heldUntil: at(T0, 48 * HOUR), alerts: 2 });
    clock.set(at(T0, 49 * HOUR));
    expect((await sweep(deps)).raised).toEqual([`policy:${FINDING_ID}:4:held`]);
    expect(publisher.alerts.at(-1)?.headline).toContain('(recurred 1 more time)');
  });
});

describe('held reveals', () => {
  const reveal = fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json');
  const ARN = reveal.userIdentity.arn as string;
  const R0 = '2023-12-12T17:04:47.000Z';
  function revealAt(minutes: number, findingId = `finding-${minutes}`) {
    const record = clone(reveal);
    record.eventID = `reveal-${minutes}`;
    record.eventTime = at(R0, minutes * MINUTE);
    record.requestParameters = { findingId };
    return cloudTrailEvent(record);
  }

  test('reveals counted in a window are flushed once when it ends; a reveal after it alerts on its own', async () => {
    const { clock, store, publisher, deps } = await setup(R0);
    await processApiCallBatch(sqsBatch([revealAt(0), revealAt(5), revealAt(10, 'finding-0')]), deps);
    expect(ids(publisher)).toEqual(['api:reveal-0']);
    const heldUntil = at(R0, 60 * MINUTE);
    expect(await store.get(keys.principalReveals(ARN))).toMatchObject({ count: 3, reported: 1, heldUntil, gsi1pk: GSI1.heldReveals });

    clock.set(at(R0, 59 * MINUTE));
    expect((await sweep(deps)).raised).toEqual([]);
    clock.set(at(R0, 61 * MINUTE));
    const [a, b] = await Promise.all([sweep(deps), sweep(deps)]);
    expect([...a.raised, ...b.raised]).toEqual([`api:reveals:${ARN}:${R0}:3`]);
    const alert = publisher.alerts[1];
    expect(alert.headline).toBe('assumed-role/Admin/JohnDoe revealed sensitive data samples 2 more times since the last alert');
    expect(alert.whatHappened).toContain(
      `made 2 more reveals of sensitive data samples (GetSensitiveDataOccurrences) since the last alert at ${R0}, the latest at ${at(R0, 10 * MINUTE)}`,
    );
    expect(alert.whatHappened).toContain('(findings revealed in the window: finding-0, finding-5)');
    expect(alert).toMatchObject({
      severity: 'HIGH',
      category: 'API_CALL',
      eventType: 'GetSensitiveDataOccurrences',
      count: 2,
      threadId: ARN,
      accountId: '111122223333',
      region: 'us-east-1',
    });
    const item = await store.get(keys.principalReveals(ARN));
    expect(item).toMatchObject({ count: 3, reported: 3, findingIds: [], alerts: 2 });
    expect(item?.gsi1pk).toBeUndefined();
    expect(await store.listIndex(GSI1.heldReveals)).toEqual([]);

    await processApiCallBatch(sqsBatch([revealAt(70)]), deps);
    const next = publisher.alerts[2];
    expect(next.id).toBe('api:reveal-70');
    expect(next.whatHappened).not.toContain('more reveal');
    expect(next.count).toBe(1);
  });

  test('a reveal sent late, with a time inside a flushed window, is held and flushed in turn, once', async () => {
    const { clock, publisher, deps } = await setup(R0);
    await processApiCallBatch(sqsBatch([revealAt(0), revealAt(5)]), deps);
    clock.set(at(R0, 61 * MINUTE));
    await sweep(deps);
    await processApiCallBatch(sqsBatch([revealAt(30)]), deps);
    clock.set(at(R0, 62 * MINUTE));
    await sweep(deps);
    await sweep(deps);
    expect(ids(publisher)).toEqual(['api:reveal-0', `api:reveals:${ARN}:${R0}:2`, `api:reveals:${ARN}:${R0}:3`]);
    expect(publisher.alerts.map((a) => a.count)).toEqual([1, 1, 1]);
    expect(publisher.alerts[2].whatHappened).toContain('(findings revealed in the window: finding-30)');
  });

  test('a reveal after the window racing the sweep: exactly one of them reports the held reveals', async () => {
    const writesWindow = (ops: readonly WriteOp[]) => ops.some((op) => op.kind === 'put' && op.item.pk === keys.principalReveals(ARN).pk);
    for (const first of ['reveal', 'sweep'] as const) {
      const { clock, store, publisher, deps } = await setup(R0);
      await processApiCallBatch(sqsBatch([revealAt(0), revealAt(5), revealAt(6)]), deps);
      clock.set(at(R0, 61 * MINUTE));
      const afterWindow = sqsBatch([revealAt(65)]);
      if (first === 'reveal') {
        const racing = racingStore(store, writesWindow, () => processApiCallBatch(afterWindow, deps));
        await sweep({ ...deps, store: racing });
        expect(racing.raced).toBe(true);
        expect(ids(publisher)).toEqual(['api:reveal-0', 'api:reveal-65']);
        expect(publisher.alerts[1].whatHappened).toContain('It also made 2 more reveals since');
      } else {
        const racing = racingStore(store, writesWindow, () => sweep(deps));
        await processApiCallBatch(afterWindow, { ...deps, store: racing });
        expect(racing.raced).toBe(true);
        expect(ids(publisher)).toEqual(['api:reveal-0', `api:reveals:${ARN}:${R0}:3`, 'api:reveal-65']);
        expect(publisher.alerts[2].whatHappened).not.toContain('more reveal');
      }
      const reported = publisher.alerts.reduce((n, a) => n + a.count, 0);
      expect({ first, reported }).toEqual({ first, reported: 4 });
      clock.set(at(R0, 200 * MINUTE));
      expect((await sweep(deps)).raised).toEqual([]);
    }
  });
});
