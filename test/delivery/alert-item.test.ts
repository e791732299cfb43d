import { alertItemCodec, claimable, claimWrite, confirmWrite, releaseWrite, type OutboxAlert } from '../../lambda/delivery/alert-item';
import { CorruptItemError } from '../../lambda/state/codec';
import { GSI1, keys } from '../../lambda/state/table';
import { testAlert } from '../support/alerts';
import { freshStore } from '../support/dynamodb';

const alert = testAlert('run:job-1:2024-04-14:BUCKET_ACCESS_DENIED:first');
const owner = keys.run('job-1', '2024-04-14');
const pending: OutboxAlert = {
  alert,
  owner,
  createdAt: '2026-11-20T10:00:00.000Z',
  expiresAt: 1_900_000_000,
  delivery: { status: 'PENDING', since: '2026-11-20T10:00:00.000Z' },
};
const T1 = '2026-11-20T10:00:01.000Z';
const LEASE = '2026-11-20T10:00:55.000Z';

describe('the ALERT item codec', () => {
  test('derives the index keys from the status: PENDING by when it became pending, SENDING by the end of its lease, SENT in no index', () => {
    expect(alertItemCodec.encode(pending)).toMatchObject({ ...keys.alert(alert.id), status: 'PENDING', gsi1pk: GSI1.pendingAlert, gsi1sk: pending.createdAt });
    const sending = alertItemCodec.encode({ ...pending, delivery: { status: 'SENDING', claimedAt: T1, leaseExpiresAt: LEASE } });
    expect(sending).toMatchObject({ status: 'SENDING', claimedAt: T1, leaseExpiresAt: LEASE, gsi1pk: GSI1.sendingAlert, gsi1sk: LEASE });
    const sent = alertItemCodec.encode({ ...pending, delivery: { status: 'SENT', claimedAt: T1, sentAt: T1 } });
    expect(sent.gsi1pk).toBeUndefined();
    expect(sent.gsi1sk).toBeUndefined();
  });

  test('decodes what it encodes, in every state', () => {
    const states: OutboxAlert[] = [
      pending,
      { ...pending, interruptedAt: T1, delivery: { status: 'SENDING', claimedAt: T1, leaseExpiresAt: LEASE } },
      { ...pending, delivery: { status: 'SENT', claimedAt: T1, sentAt: T1 } },
    ];
    for (const value of states) expect(alertItemCodec.decode(alertItemCodec.encode(value))).toEqual(value);
  });

  test('reads items written before claims were confirmed (SENT with claimedAt only)', () => {
    const { sentAt: _s, ...older } = alertItemCodec.encode({ ...pending, delivery: { status: 'SENT', claimedAt: T1, sentAt: T1 } });
    expect(alertItemCodec.decode(older).delivery).toEqual({ status: 'SENT', claimedAt: T1 });
  });

  test('names the item when it is not what this version wrote', () => {
    const item = alertItemCodec.encode(pending);
    const corrupt = [
      { ...item, status: 'SENDING' },
      { ...item, status: 'LOST' },
      { ...item, alert: '{not json' },
      { ...item, alert: JSON.stringify(testAlert('another-id')) },
      { ...item, ownerPk: undefined },
    ];
    for (const c of corrupt) {
      expect(() => alertItemCodec.decode(c)).toThrow(CorruptItemError);
      expect(() => alertItemCodec.decode(c)).toThrow(`alert item ${item.pk} / ALERT is not readable`);
    }
  });

  test('claimable: PENDING always, SENDING only once its lease has run out, SENT never', () => {
    const sending: OutboxAlert = { ...pending, delivery: { status: 'SENDING', claimedAt: T1, leaseExpiresAt: LEASE } };
    expect(claimable(pending, new Date(T1))).toBe(true);
    expect(claimable(sending, new Date(Date.parse(LEASE) - 1))).toBe(false);
    expect(claimable(sending, new Date(LEASE))).toBe(true);
    expect(claimable({ ...pending, delivery: { status: 'SENT' } }, new Date(LEASE))).toBe(false);
  });
});

describe('transitions on DynamoDB Local leave the item exactly as the codec writes the next state', () => {
  async function stored(value: OutboxAlert) {
    const store = await freshStore(() => new Date('2026-11-20T10:00:00.000Z'));
    await store.write([{ kind: 'put', item: alertItemCodec.encode(value) }]);
    return { store, read: async () => (await store.get(keys.alert(alert.id)))! };
  }

  test('claim, then confirm', async () => {
    const { store, read } = await stored(pending);
    const { op, claimed } = claimWrite(pending, T1, LEASE);
    expect(claimed.repeat).toBeUndefined();
    await store.write([op]);
    const sending: OutboxAlert = { ...pending, delivery: { status: 'SENDING', claimedAt: T1, leaseExpiresAt: LEASE } };
    expect(await read()).toEqual(alertItemCodec.encode(sending));
    await store.write([confirmWrite(claimed, LEASE)]);
    expect(await read()).toEqual(alertItemCodec.encode({ ...pending, delivery: { status: 'SENT', claimedAt: T1, sentAt: LEASE } }));
  });

  test('claim, then release: refused (as it was) or uncertain (interrupted at the claim)', async () => {
    for (const uncertain of [false, true]) {
      const { store, read } = await stored(pending);
      const { op, claimed } = claimWrite(pending, T1, LEASE);
      await store.write([op]);
      await store.write([releaseWrite(claimed, LEASE, uncertain)]);
      expect(await read()).toEqual(
        alertItemCodec.encode({ ...pending, ...(uncertain ? { interruptedAt: T1 } : {}), delivery: { status: 'PENDING', since: LEASE } }),
      );
    }
  });

  test('a take-over of an expired claim records that claim as the interruption, and labels the copy with it', async () => {
    const dead: OutboxAlert = { ...pending, delivery: { status: 'SENDING', claimedAt: T1, leaseExpiresAt: LEASE } };
    const { store, read } = await stored(dead);
    const T2 = '2026-11-20T10:01:00.000Z';
    const LEASE2 = '2026-11-20T10:01:54.000Z';
    const { op, claimed } = claimWrite(dead, T2, LEASE2);
    expect(claimed.repeat).toEqual({ interruptedAt: T1 });
    await store.write([op]);
    expect(await read()).toEqual(
      alertItemCodec.encode({ ...pending, interruptedAt: T1, delivery: { status: 'SENDING', claimedAt: T2, leaseExpiresAt: LEASE2 } }),
    );
    // A second take-over decided on the same dead claim loses: it was taken over already.
    await expect(store.write([claimWrite(dead, T2, LEASE2).op])).rejects.toThrow();
  });

  test('a claim loses when the item changed since it was read (claimed, or released as interrupted, meanwhile)', async () => {
    const { store } = await stored(pending);
    const first = claimWrite(pending, T1, LEASE);
    await store.write([first.op]);
    await store.write([releaseWrite(first.claimed, LEASE, true)]);
    // Still PENDING, but now marked interrupted: a claim decided on the unmarked copy would send it unlabelled.
    await expect(store.write([claimWrite(pending, T1, LEASE).op])).rejects.toThrow();
  });
});
