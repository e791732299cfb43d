import { ConditionalWriteConflict, unchangedSince, writeChanges, type Item } from '../../lambda/state/store';
import { freshStore } from '../support/dynamodb';

/**
 * writeChanges sends only what changed, so the item it leaves must be exactly the item a whole-item put of
 * `after` would leave, on DynamoDB Local: every attribute kind the state items use, attributes removed, and
 * the condition kept.
 */
const key = { pk: 'JOB#j1', sk: 'RUN#2024-04-14T17:09:30Z' };
const before: Item = {
  ...key,
  version: 3,
  status: 'RUNNING',
  errors: { BUCKET_ACCESS_DENIED: 10, ACCOUNT_DISABLED: 1 },
  affected: { BUCKET_ACCESS_DENIED: { buckets: ['a', 'b'], accounts: ['111122223333'], total: 10 } },
  fingerprint: JSON.stringify({ resources: { BUCKET_ACCESS_DENIED: ['a', 'b'] }, partial: [] }),
  appliedBatches: ['k1', 'k2'],
  pendingAlerts: new Set(['x1']),
  digests: new Uint8Array([1, 2, 3, 4]),
  noBucketsAt: '2024-04-14T17:10:00Z',
  expiresAt: 1_900_000_000,
};

/** A seeded sequence of edits of every kind: change, add, remove, same value again. */
function variants(): Item[] {
  return [
    { ...before, version: 4, errors: { ...(before.errors as object), BUCKET_ACCESS_DENIED: 11 } },
    { ...before, version: 4, noBucketsAt: undefined, pendingAlerts: undefined },
    { ...before, version: 4, appliedBatches: ['k1', 'k2', 'k3'], summarySentAt: '2024-04-14T18:00:00Z' },
    { ...before, version: 4, digests: new Uint8Array([1, 2, 3, 5]), pendingAlerts: new Set(['x1', 'x2']) },
    { ...before, version: 4, affected: { BUCKET_ACCESS_DENIED: { buckets: ['a', 'b', 'c'], accounts: ['111122223333'], total: 11 } } },
    { ...before, version: 4 },
  ];
}

test.each(variants().map((v, i) => [i, v] as const))('variant %i: the item after the update equals a whole-item put of it', async (_i, after) => {
  const [viaPut, viaChanges] = [await freshStore(), await freshStore()];
  for (const s of [viaPut, viaChanges]) await s.write([{ kind: 'put', item: before }]);
  const read = await viaChanges.get(key);
  await viaPut.write([{ kind: 'put', item: after, condition: unchangedSince(read) }]);
  const op = writeChanges(after, read, unchangedSince(read));
  expect(op.kind).toBe('update');
  await viaChanges.write([op]);
  expect(await viaChanges.get(key)).toEqual(await viaPut.get(key));
});

test('only the changed attributes travel: an unchanged fingerprint is not in the update', () => {
  const op = writeChanges({ ...before, version: 4 }, before, unchangedSince(before));
  expect(op).toMatchObject({ kind: 'update', expression: 'SET #s0 = :s0' });
  expect(op.kind === 'update' && Object.values(op.names ?? {})).toEqual(['version']);
});

test('nothing read: a put; the condition is kept either way, so a concurrent writer still loses its race', async () => {
  expect(writeChanges(before, undefined)).toEqual({ kind: 'put', item: before });
  const store = await freshStore();
  await store.write([{ kind: 'put', item: before }]);
  const read = await store.get(key);
  await store.write([{ kind: 'put', item: { ...before, version: 4 } }]);
  await expect(store.write([writeChanges({ ...before, version: 4, status: 'COMPLETED' }, read, unchangedSince(read))])).rejects.toBeInstanceOf(
    ConditionalWriteConflict,
  );
  expect((await store.get(key))?.status).toBe('RUNNING');
});

test('an unchanged item with a condition is a condition check (the write still fails if the item moved)', () => {
  expect(writeChanges(before, before, unchangedSince(before))).toEqual({ kind: 'condition-check', key, condition: unchangedSince(before) });
  expect(writeChanges(before, before)).toEqual({ kind: 'put', item: before });
});
