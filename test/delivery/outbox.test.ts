import { DeliveryFailed, TimeBudgetExhausted, deliverPending, outboxWrites, pendingIds, withPending, type DeliveryDeps } from '../../lambda/delivery/outbox';
import type { StateStore } from '../../lambda/state/store';
import { keys } from '../../lambda/state/table';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { FakePublisher, testAlert } from '../support/alerts';
import { freshStore } from '../support/dynamodb';

const owner = keys.run('job1', '2024-04-14T17:09:30Z');
const at = new Date(); // TTLs are wall-clock: an event-time date would read as already expired

async function writeAggregateWithAlerts(store: StateStore, ids: string[]) {
  const alerts = ids.map((id) => testAlert(id));
  await store.write([
    { kind: 'put', item: { ...owner, version: 1, pendingAlerts: withPending(undefined, ids) } },
    ...outboxWrites(alerts, owner, at, 90),
  ]);
  return alerts;
}

function deps(store: StateStore, publisher: FakePublisher, extra: Partial<DeliveryDeps> = {}): DeliveryDeps {
  return { store, publisher, now: () => at, retentionDays: 90, ...extra };
}

describe('outbox delivery', () => {
  test('publishes pending alerts once, then a second delivery finds nothing to send', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    const alerts = await writeAggregateWithAlerts(store, ['a1', 'a2']);
    const first = await deliverPending(deps(store, publisher), [{ owner, alertIds: ['a1', 'a2'] }], new Map(alerts.map((a) => [a.id, a])));
    expect(first.published.map((a) => a.id)).toEqual(['a1', 'a2']);
    const second = await deliverPending(deps(store, publisher), [{ owner, alertIds: ['a1', 'a2'] }]);
    expect(second.published).toEqual([]);
    expect(second.alreadySent).toBe(2);
    expect(publisher.calls.flat().map((a) => a.id)).toEqual(['a1', 'a2']);
    expect(pendingIds(await store.get(owner))).toEqual([]);
  });

  test('a failed entry is released, the invocation fails, and the retry publishes only that entry', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    await writeAggregateWithAlerts(store, ['a1', 'a2', 'a3']);
    publisher.failIds = new Set(['a2']);
    await expect(deliverPending(deps(store, publisher), [{ owner, alertIds: ['a1', 'a2', 'a3'] }])).rejects.toBeInstanceOf(DeliveryFailed);
    expect(pendingIds(await store.get(owner))).toEqual(['a2']);
    publisher.failIds = new Set();
    const retry = await deliverPending(deps(store, publisher), [{ owner, alertIds: pendingIds(await store.get(owner)) }]);
    expect(retry.published.map((a) => a.id)).toEqual(['a2']);
    expect(publisher.calls.map((c) => c.map((a) => a.id))).toEqual([['a1', 'a2', 'a3'], ['a2']]);
  });

  test('a crash after publishing does not re-publish on retry', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    await writeAggregateWithAlerts(store, ['a1']);
    const crash = deps(store, publisher, {
      afterStep: (step) => {
        if (step === 'publish') throw new Error('crash');
      },
    });
    await expect(deliverPending(crash, [{ owner, alertIds: ['a1'] }])).rejects.toThrow('crash');
    const retry = await deliverPending(deps(store, publisher), [{ owner, alertIds: ['a1'] }]);
    expect(retry.published).toEqual([]);
    expect(publisher.calls.flat().map((a) => a.id)).toEqual(['a1']);
  });

  test('two concurrent deliveries of the same alerts publish each exactly once', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    const ids = Array.from({ length: 25 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    await writeAggregateWithAlerts(store, ids);
    await Promise.all([
      deliverPending(deps(store, publisher), [{ owner, alertIds: ids }]),
      deliverPending(deps(store, publisher), [{ owner, alertIds: ids }]),
    ]);
    expect(publisher.calls.flat().map((a) => a.id).sort()).toEqual(ids);
  });

  test('a publisher that throws releases the claimed alerts, so the retry publishes them', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    await writeAggregateWithAlerts(store, ['t1', 't2']);
    const throwing = { publish: async () => { throw new Error('socket hang up'); } };
    await expect(deliverPending({ ...deps(store, publisher), publisher: throwing }, [{ owner, alertIds: ['t1', 't2'] }])).rejects.toBeInstanceOf(DeliveryFailed);
    expect(pendingIds(await store.get(owner)).sort()).toEqual(['t1', 't2']);
    const retry = await deliverPending(deps(store, publisher), [{ owner, alertIds: ['t1', 't2'] }]);
    expect(retry.published.map((a) => a.id)).toEqual(['t1', 't2']);
  });
});

describe('delivery metrics', () => {
  test('each published alert is counted once, and alerts found already sent are counted apart', async () => {
    const store = await freshStore();
    const telemetry = new RecordingTelemetry();
    await writeAggregateWithAlerts(store, ['m1', 'm2', 'm3']);
    await deliverPending({ ...deps(store, new FakePublisher()), telemetry }, [{ owner, alertIds: ['m1', 'm2', 'm3'] }]);
    await deliverPending({ ...deps(store, new FakePublisher()), telemetry }, [{ owner, alertIds: ['m1', 'm2'] }]);
    expect(telemetry.counters).toEqual({ AlertsPublished: 3, AlertsAlreadySent: 2 });
  });
});

describe('state keys', () => {
  test('a key part longer than DynamoDB allows is bounded, deterministic and distinct', async () => {
    const { keyPart } = await import('../../lambda/state/table');
    const long = 'b'.repeat(2000);
    expect(Buffer.byteLength(keyPart(long))).toBeLessThan(200);
    expect(keyPart(long)).toBe(keyPart('b'.repeat(2000)));
    expect(keyPart(long)).not.toBe(keyPart(`${long}c`));
    expect(keyPart('short-bucket')).toBe('short-bucket');
  });

  test('an alert with a 2,000-character id goes through the outbox on DynamoDB Local', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    const id = `run:job:2024:${'x'.repeat(2000)}`;
    await store.write([{ kind: 'put', item: { ...owner, version: 1, pendingAlerts: withPending(undefined, [id]) } }, ...outboxWrites([testAlert(id)], owner, at, 90)]);
    const report = await deliverPending(deps(store, publisher), [{ owner, alertIds: [id] }]);
    expect(report.published.map((a) => a.id)).toEqual([id]);
  });
});

describe('time guard', () => {
  test('claims nothing with less than 30 s left in the invocation (the retry publishes), claims with more', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    await writeAggregateWithAlerts(store, ['g1']);
    await expect(deliverPending(deps(store, publisher, { remainingMs: () => 29_000 }), [{ owner, alertIds: ['g1'] }])).rejects.toBeInstanceOf(TimeBudgetExhausted);
    expect(publisher.calls).toEqual([]);
    expect(pendingIds(await store.get(owner))).toEqual(['g1']);
    const report = await deliverPending(deps(store, publisher, { remainingMs: () => 31_000 }), [{ owner, alertIds: ['g1'] }]);
    expect(report.published.map((a) => a.id)).toEqual(['g1']);
  });
});
