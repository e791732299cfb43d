import { ConditionalWriteConflict, withOptimisticRetry } from '../../lambda/state/store';
import { refusingStore } from '../support/clock';
import { freshStore } from '../support/dynamodb';

/**
 * A plain write to an item that a transaction in flight holds fails with TransactionConflictException, which
 * the SDK does not retry: the store reports it as contention, so the writer's optimistic retry handles it as
 * it handles a cancelled transaction. (The error is injected: DynamoDB Local does not time such a race.)
 */
const ongoing = () => Object.assign(new Error('Transaction is ongoing for the item'), { name: 'TransactionConflictException' });

test('a plain write that meets a transaction in flight is contention, and the optimistic retry writes it', async () => {
  const store = await freshStore();
  const item = { pk: 'JOB#j-1', sk: 'JOB', version: 1 };
  const error = await refusingStore(store, ongoing)
    .write([{ kind: 'put', item }])
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConditionalWriteConflict);
  expect((error as ConditionalWriteConflict).contention).toBe(true);

  let first = true;
  const once = refusingStore(store, () => {
    if (!first) return undefined;
    first = false;
    return ongoing();
  });
  await withOptimisticRetry(() => once.write([{ kind: 'put', item }]));
  expect(once.refused).toBe(1);
  expect(await store.get({ pk: 'JOB#j-1', sk: 'JOB' })).toEqual(item);
});
