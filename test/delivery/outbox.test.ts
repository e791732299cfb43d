import { confirmWrite, releaseWrite } from '../../lambda/delivery/alert-item';
import { LEASE_MS, PUBLISH_WINDOW_MS } from '../../lambda/delivery/lease';
import {
  DEFAULT_MIN_REMAINING_MS,
  DeliveryFailed,
  PUBLISH_CHUNK,
  TimeBudgetExhausted,
  birthClaim,
  claimedOutboxWrites,
  deliverPending,
  outboxWrites,
  pendingIds,
  releaseBirthClaims,
  withPending,
  type BirthClaims,
  type DeliveryDeps,
} from '../../lambda/delivery/outbox';
import { ConditionalWriteConflict, unchangedSince, type StateStore } from '../../lambda/state/store';
import { GSI1, keys } from '../../lambda/state/table';
import { throwingStore } from '../support/faults';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { FakePublisher, testAlert } from '../support/alerts';
import { freshStore } from '../support/dynamodb';

const owner = keys.run('job1', '2024-04-14T17:09:30Z');
const at = new Date(); // TTLs are wall-clock: an event-time date would read as already expired

async function writeAggregateWithAlerts(store: StateStore, ids: string[]) {
  const alerts = ids.map((id) => testAlert(id));
  await store.write([{ kind: 'put', item: { ...owner, version: 1, pendingAlerts: withPending(undefined, ids) } }, ...outboxWrites(alerts, owner, at, 90)]);
  return alerts;
}

function deps(store: StateStore, publisher: FakePublisher, extra: Partial<DeliveryDeps> = {}): DeliveryDeps {
  return { store, publisher, now: () => at, retentionDays: 90, ...extra };
}

describe('outbox delivery', () => {
  test('publishes pending alerts once, then a second delivery finds nothing to send', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    await writeAggregateWithAlerts(store, ['a1', 'a2']);
    const first = await deliverPending(deps(store, publisher), [{ owner, alertIds: ['a1', 'a2'] }]);
    expect(first.published.map((a) => a.id)).toEqual(['a1', 'a2']);
    const second = await deliverPending(deps(store, publisher), [{ owner, alertIds: ['a1', 'a2'] }]);
    expect(second.published).toEqual([]);
    expect(second.alreadySent).toBe(2);
    expect(publisher.calls.flat().map((a) => a.id)).toEqual(['a1', 'a2']);
    expect(pendingIds(await store.get(owner))).toEqual([]);
    expect(await store.get(keys.alert('a1'))).toMatchObject({ status: 'SENT', claimedAt: at.toISOString(), sentAt: at.toISOString() });
  });

  test('a failed entry is released, the invocation fails, and the retry publishes only that entry, unlabelled', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    await writeAggregateWithAlerts(store, ['a1', 'a2', 'a3']);
    publisher.failIds = new Set(['a2']);
    await expect(deliverPending(deps(store, publisher), [{ owner, alertIds: ['a1', 'a2', 'a3'] }])).rejects.toBeInstanceOf(DeliveryFailed);
    expect(pendingIds(await store.get(owner))).toEqual(['a2']);
    const released = await store.get(keys.alert('a2'));
    expect(released).toMatchObject({ status: 'PENDING', gsi1pk: GSI1.pendingAlert });
    expect(released?.interruptedAt).toBeUndefined();
    publisher.failIds = new Set();
    const retry = await deliverPending(deps(store, publisher), [{ owner, alertIds: pendingIds(await store.get(owner)) }]);
    expect(retry.published.map((a) => a.id)).toEqual(['a2']);
    expect(publisher.calls.map((c) => c.map((a) => a.id))).toEqual([['a1', 'a2', 'a3'], ['a2']]);
    expect(publisher.options.map((o) => o.repeats?.size ?? 0)).toEqual([0, 0]);
  });

  test('an error thrown after publishing is not a crash: the alerts are confirmed first, and the retry does not re-publish', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    await writeAggregateWithAlerts(store, ['a1']);
    const failing = deps(store, publisher, {
      afterStep: (step) => {
        if (step === 'publish') throw new Error('thrown after publish');
      },
    });
    await expect(deliverPending(failing, [{ owner, alertIds: ['a1'] }])).rejects.toThrow('thrown after publish');
    expect(await store.get(keys.alert('a1'))).toMatchObject({ status: 'SENT' });
    const retry = await deliverPending(deps(store, publisher), [{ owner, alertIds: ['a1'] }]);
    expect(retry.published).toEqual([]);
    expect(publisher.calls.flat().map((a) => a.id)).toEqual(['a1']);
  });

  test('two concurrent deliveries of the same alerts publish each exactly once', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    const ids = Array.from({ length: 25 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    await writeAggregateWithAlerts(store, ids);
    await Promise.all([deliverPending(deps(store, publisher), [{ owner, alertIds: ids }]), deliverPending(deps(store, publisher), [{ owner, alertIds: ids }])]);
    expect(
      publisher.calls
        .flat()
        .map((a) => a.id)
        .sort(),
    ).toEqual(ids);
    expect(pendingIds(await store.get(owner))).toEqual([]);
  });

  test('a publisher that throws cannot say what SNS took: the alerts go back to PENDING marked interrupted, and the retry labels them', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    await writeAggregateWithAlerts(store, ['t1', 't2']);
    const throwing = {
      publish: async () => {
        throw new Error('socket hang up');
      },
    };
    await expect(deliverPending({ ...deps(store, publisher), publisher: throwing }, [{ owner, alertIds: ['t1', 't2'] }])).rejects.toBeInstanceOf(
      DeliveryFailed,
    );
    expect(pendingIds(await store.get(owner)).sort()).toEqual(['t1', 't2']);
    expect(await store.get(keys.alert('t1'))).toMatchObject({ status: 'PENDING', interruptedAt: at.toISOString() });
    const retry = await deliverPending(deps(store, publisher), [{ owner, alertIds: ['t1', 't2'] }]);
    expect(retry.published.map((a) => a.id)).toEqual(['t1', 't2']);
    expect([...(publisher.options[0].repeats ?? new Map())]).toEqual([
      ['t1', { interruptedAt: at.toISOString() }],
      ['t2', { interruptedAt: at.toISOString() }],
    ]);
  });

  test('only an uncertain failure marks the alert: the next copy of a refused one is not labelled', async () => {
    const store = await freshStore();
    await writeAggregateWithAlerts(store, ['u1', 'r1']);
    const reporting = {
      publish: async () => ({
        failed: [
          { alertId: 'u1', reason: 'timed out', uncertain: true },
          { alertId: 'r1', reason: 'throttled' },
        ],
      }),
    };
    await expect(deliverPending({ ...deps(store, new FakePublisher()), publisher: reporting }, [{ owner, alertIds: ['u1', 'r1'] }])).rejects.toBeInstanceOf(
      DeliveryFailed,
    );
    const publisher = new FakePublisher();
    await deliverPending(deps(store, publisher), [{ owner, alertIds: ['u1', 'r1'] }]);
    expect([...(publisher.options[0].repeats?.keys() ?? [])]).toEqual(['u1']);
  });

  test('the publisher gets what is left of the publish window as its time budget', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    await writeAggregateWithAlerts(store, ['w1']);
    await deliverPending(deps(store, publisher), [{ owner, alertIds: ['w1'] }]);
    const budget = publisher.options[0].budgetMs ?? NaN;
    expect(budget).toBeGreaterThan(0);
    expect(budget).toBeLessThanOrEqual(PUBLISH_WINDOW_MS);
  });
});

describe('claims and leases', () => {
  /** A delivery that dies after its claim was applied: the error escapes before it learns it won the claim. */
  async function claimAndDie(store: StateStore, ids: string[]) {
    await expect(deliverPending(deps(throwingStore(store, 1, 'after'), new FakePublisher()), [{ owner, alertIds: ids }])).rejects.toThrow('after write 1');
  }

  test("a claim leaves the id in the owner's set (it leaves only once SNS took the alert) and lists the alert by the end of its lease", async () => {
    const store = await freshStore();
    await writeAggregateWithAlerts(store, ['l1']);
    const before = await store.get(owner);
    await claimAndDie(store, ['l1']);
    const item = await store.get(keys.alert('l1'));
    const lease = new Date(at.getTime() + LEASE_MS).toISOString();
    expect(item).toMatchObject({ status: 'SENDING', claimedAt: at.toISOString(), leaseExpiresAt: lease, gsi1pk: GSI1.sendingAlert, gsi1sk: lease });
    expect(await store.get(owner)).toEqual(before);
  });

  test('within its lease a claim is left to its holder; after it, a later delivery takes it over and labels the copy', async () => {
    const store = await freshStore();
    await writeAggregateWithAlerts(store, ['l1', 'l2']);
    await claimAndDie(store, ['l1']);
    const telemetry = new RecordingTelemetry();
    const publisher = new FakePublisher();
    const within = await deliverPending(deps(store, publisher, { telemetry, now: () => new Date(at.getTime() + LEASE_MS - 1_000) }), [
      { owner, alertIds: ['l1', 'l2'] },
    ]);
    expect(within.published.map((a) => a.id)).toEqual(['l2']);
    expect(within.alreadySent).toBe(1);
    expect(pendingIds(await store.get(owner))).toEqual(['l1']);

    const later = new Date(at.getTime() + LEASE_MS);
    const after = await deliverPending(deps(store, publisher, { telemetry, now: () => later }), [{ owner, alertIds: ['l1'] }]);
    expect(after.published.map((a) => a.id)).toEqual(['l1']);
    expect([...(publisher.options[1].repeats ?? new Map())]).toEqual([['l1', { interruptedAt: at.toISOString() }]]);
    expect(publisher.options[0].repeats?.size).toBe(0);
    expect(await store.get(keys.alert('l1'))).toMatchObject({ status: 'SENT', interruptedAt: at.toISOString(), claimedAt: later.toISOString() });
    expect(pendingIds(await store.get(owner))).toEqual([]);
    expect(telemetry.counters).toMatchObject({ AlertsPublished: 2, AlertsRepublished: 1, AlertsAlreadySent: 1 });
  });

  test('a holder that outlived its lease cannot settle what was taken over from it', async () => {
    const store = await freshStore();
    const [alert] = await writeAggregateWithAlerts(store, ['l1']);
    await claimAndDie(store, ['l1']);
    await deliverPending(deps(store, new FakePublisher(), { now: () => new Date(at.getTime() + LEASE_MS) }), [{ owner, alertIds: ['l1'] }]);
    const lateHolder = { alert, owner, claimedAt: at.toISOString() };
    await expect(store.write([confirmWrite(lateHolder, at.toISOString())])).rejects.toBeInstanceOf(ConditionalWriteConflict);
    await expect(store.write([releaseWrite(lateHolder, at.toISOString(), true)])).rejects.toBeInstanceOf(ConditionalWriteConflict);
  });

  test("the settle bumps the owner's version, so a read-compute-write that read the set before it starts over", async () => {
    const store = await freshStore();
    await writeAggregateWithAlerts(store, ['v1']);
    const read = await store.get(owner);
    await deliverPending(deps(store, new FakePublisher()), [{ owner, alertIds: ['v1'] }]);
    expect((await store.get(owner))?.version).toBe((read?.version as number) + 1);
    await expect(store.write([{ kind: 'put', item: { ...read }, condition: unchangedSince(read) }])).rejects.toBeInstanceOf(ConditionalWriteConflict);
  });
});

describe('claims at birth (the state write claims its first chunk)', () => {
  /** The aggregate and its alerts in one write, the first `room` of them (in id order) born SENDING. */
  async function writeClaimed(
    store: StateStore,
    ids: string[],
    room = PUBLISH_CHUNK,
    d: DeliveryDeps = deps(store, new FakePublisher()),
  ): Promise<BirthClaims> {
    const claim = birthClaim(d)!;
    const { ops, claims } = claimedOutboxWrites(
      ids.map((id) => testAlert(id)),
      owner,
      at,
      90,
      claim,
      room,
    );
    await store.write([{ kind: 'put', item: { ...owner, version: 1, pendingAlerts: withPending(undefined, ids) } }, ...ops]);
    return { claims, stampedAt: claim.stampedAt };
  }

  test('the first chunk, in id order, is born SENDING under a lease; the rest PENDING', async () => {
    const store = await freshStore();
    const ids = Array.from({ length: 12 }, (_, i) => `b${String(11 - i).padStart(2, '0')}`);
    const born = await writeClaimed(store, ids);
    expect(born.claims.map((c) => c.alert.id)).toEqual([...ids].sort().slice(0, 10));
    const lease = new Date(at.getTime() + LEASE_MS).toISOString();
    expect(await store.get(keys.alert('b00'))).toMatchObject({
      status: 'SENDING',
      claimedAt: at.toISOString(),
      leaseExpiresAt: lease,
      gsi1pk: GSI1.sendingAlert,
      gsi1sk: lease,
    });
    expect(await store.get(keys.alert('b11'))).toMatchObject({ status: 'PENDING', gsi1pk: GSI1.pendingAlert });
  });

  test('delivery publishes them without reading or claiming them again: one PublishBatch and one settle write for a chunk', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    const born = await writeClaimed(store, ['n1', 'n2', 'n3']);
    const before = { ...store.requests };
    const report = await deliverPending(deps(store, publisher), [{ owner, alertIds: ['n1', 'n2', 'n3'] }], [born]);
    expect(report.published.map((a) => a.id)).toEqual(['n1', 'n2', 'n3']);
    expect({ reads: store.requests.reads - before.reads, writes: store.requests.writes - before.writes }).toEqual({ reads: 0, writes: 1 });
    expect(publisher.options[0].repeats?.size).toBe(0);
    expect(await store.get(keys.alert('n2'))).toMatchObject({ status: 'SENT' });
    expect(pendingIds(await store.get(owner))).toEqual([]);
  });

  test('past the first chunk, the rest is read and claimed as before, after it', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    const ids = Array.from({ length: 13 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    const born = await writeClaimed(store, ids);
    await deliverPending(deps(store, publisher), [{ owner, alertIds: ids }], [born]);
    expect(publisher.calls.map((c) => c.map((a) => a.id))).toEqual([ids.slice(0, 10), ids.slice(10)]);
    expect(pendingIds(await store.get(owner))).toEqual([]);
  });

  test('a delivery that dies before publishing leaves them to the lease: left alone within it, taken over and labelled after it', async () => {
    const store = await freshStore();
    await writeClaimed(store, ['d1']);
    const publisher = new FakePublisher();
    const within = await deliverPending(deps(store, publisher, { now: () => new Date(at.getTime() + LEASE_MS - 1_000) }), [{ owner, alertIds: ['d1'] }]);
    expect(within).toEqual({ published: [], alreadySent: 1 });
    const after = await deliverPending(deps(store, publisher, { now: () => new Date(at.getTime() + LEASE_MS) }), [{ owner, alertIds: ['d1'] }]);
    expect(after.published.map((a) => a.id)).toEqual(['d1']);
    expect([...(publisher.options[0].repeats ?? new Map())]).toEqual([['d1', { interruptedAt: at.toISOString() }]]);
  });

  test('released after an error before their publish started: back to PENDING, unlabelled; a release for a write that never landed changes nothing', async () => {
    const store = await freshStore();
    const born = await writeClaimed(store, ['r1', 'r2']);
    await releaseBirthClaims(deps(store, new FakePublisher()), born.claims);
    const item = await store.get(keys.alert('r1'));
    expect(item).toMatchObject({ status: 'PENDING', gsi1pk: GSI1.pendingAlert });
    expect(item?.interruptedAt).toBeUndefined();
    expect(item?.claimedAt).toBeUndefined();

    const empty = await freshStore();
    const telemetry = new RecordingTelemetry();
    await releaseBirthClaims({ store: empty, now: () => at, telemetry }, born.claims);
    expect(await empty.get(keys.alert('r1'))).toBeUndefined();
    expect(telemetry.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  test('an error in the first chunk settles it and releases the chunks not started yet', async () => {
    const store = await freshStore();
    const first = await writeClaimed(store, ['e1']);
    const otherOwner = keys.run('job2', '2024-04-14T17:09:30Z');
    const claim = birthClaim(deps(store, new FakePublisher()))!;
    const second = claimedOutboxWrites([testAlert('e2')], otherOwner, at, 90, claim, PUBLISH_CHUNK);
    await store.write([{ kind: 'put', item: { ...otherOwner, version: 1, pendingAlerts: withPending(undefined, ['e2']) } }, ...second.ops]);
    const failing = deps(store, new FakePublisher(), {
      afterStep: (step) => {
        if (step === 'claim') throw new Error('thrown after the first claim');
      },
    });
    const pending = [
      { owner, alertIds: ['e1'] },
      { owner: otherOwner, alertIds: ['e2'] },
    ];
    await expect(deliverPending(failing, pending, [first, { claims: second.claims, stampedAt: claim.stampedAt }])).rejects.toThrow(
      'thrown after the first claim',
    );
    for (const id of ['e1', 'e2']) expect(await store.get(keys.alert(id))).toMatchObject({ status: 'PENDING' });
    const publisher = new FakePublisher();
    await deliverPending(deps(store, publisher), pending);
    expect(publisher.calls.flat().map((a) => a.id)).toEqual(['e1', 'e2']);
    expect(publisher.options.every((o) => (o.repeats?.size ?? 0) === 0)).toBe(true);
  });

  test('no birth claim with less time left than a delivery can take', () => {
    expect(birthClaim(deps({} as StateStore, new FakePublisher(), { remainingMs: () => DEFAULT_MIN_REMAINING_MS - 1 }))).toBeUndefined();
    expect(birthClaim(deps({} as StateStore, new FakePublisher(), { remainingMs: () => DEFAULT_MIN_REMAINING_MS + 1 }))).toBeDefined();
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
    await store.write([
      { kind: 'put', item: { ...owner, version: 1, pendingAlerts: withPending(undefined, [id]) } },
      ...outboxWrites([testAlert(id)], owner, at, 90),
    ]);
    const report = await deliverPending(deps(store, publisher), [{ owner, alertIds: [id] }]);
    expect(report.published.map((a) => a.id)).toEqual([id]);
  });
});

describe('time guard', () => {
  test('claims nothing with less time left in the invocation than a delivery can take (the retry publishes), claims with more', async () => {
    const store = await freshStore();
    const publisher = new FakePublisher();
    await writeAggregateWithAlerts(store, ['g1']);
    await expect(
      deliverPending(deps(store, publisher, { remainingMs: () => DEFAULT_MIN_REMAINING_MS - 1 }), [{ owner, alertIds: ['g1'] }]),
    ).rejects.toBeInstanceOf(TimeBudgetExhausted);
    expect(publisher.calls).toEqual([]);
    expect(pendingIds(await store.get(owner))).toEqual(['g1']);
    expect(await store.get(keys.alert('g1'))).toMatchObject({ status: 'PENDING' });
    const report = await deliverPending(deps(store, publisher, { remainingMs: () => DEFAULT_MIN_REMAINING_MS + 1 }), [{ owner, alertIds: ['g1'] }]);
    expect(report.published.map((a) => a.id)).toEqual(['g1']);
  });
});
