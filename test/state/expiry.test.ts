import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  atVersion,
  conditionAsSent,
  ConditionalWriteConflict,
  isExpired,
  notExists,
  unchangedSince,
  type Condition,
  type WriteOp,
} from '../../lambda/state/store';
import { TestClock } from '../support/clock';
import { freshStore } from '../support/dynamodb';

/**
 * One rule for "past its TTL", shared by reads (isExpired) and write conditions (conditionAsSent): an item
 * whose expiresAt (epoch seconds) is before the current second is absent for both, so a write never disagrees
 * with the read it was decided on.
 */
const NOW = new Date('2026-03-01T12:00:00.250Z');
const SECOND = Math.floor(NOW.getTime() / 1000);

describe('isExpired', () => {
  test.each([
    ['no TTL', {}, false],
    ['TTL in the future', { expiresAt: SECOND + 1 }, false],
    ['TTL in the current second', { expiresAt: SECOND }, false],
    ['TTL one second ago', { expiresAt: SECOND - 1 }, true],
    ['TTL not a number', { expiresAt: String(SECOND - 100) }, false],
  ])('%s', (_name, item, expired) => {
    expect(isExpired(item, NOW)).toBe(expired);
  });
});

describe('conditionAsSent', () => {
  const versioned = atVersion(3);
  const guard: Condition = { expression: 'NOT contains(#s, :d)', names: { '#s': 'summarizedRuns' }, values: { ':d': 'R' }, orExpired: true };
  test.each<[string, Condition, Condition]>([
    [
      'absent: or expired, at the current second',
      notExists,
      { expression: '(attribute_not_exists(pk)) OR #ttl < :now', names: { '#ttl': 'expiresAt' }, values: { ':now': SECOND } },
    ],
    ['unchanged since an absent read: the same', unchangedSince(undefined), conditionAsSent(notExists, NOW)],
    ['at a version read: as written (the item was live when read)', versioned, versioned],
    [
      "a condition on an item the write reads (a guard): the caller's names and values kept",
      guard,
      { expression: '(NOT contains(#s, :d)) OR #ttl < :now', names: { '#s': 'summarizedRuns', '#ttl': 'expiresAt' }, values: { ':d': 'R', ':now': SECOND } },
    ],
  ])('%s', (_name, condition, sent) => {
    expect(conditionAsSent(condition, NOW)).toEqual(sent);
  });
});

describe('on DynamoDB Local', () => {
  const key = { pk: 'P#1', sk: 'S' };
  /** A put if absent, alive for 60 s from `clock`. */
  const put = (clock: TestClock, n: number): WriteOp => ({
    kind: 'put',
    item: { ...key, n, expiresAt: Math.floor(clock.at.getTime() / 1000) + 60 },
    condition: notExists,
  });

  test('a put if absent lands on an expired item and not on a live one, from the store clock', async () => {
    const clock = new TestClock(NOW);
    const store = await freshStore(clock.now);
    await store.write([put(clock, 1)]);
    await expect(store.write([put(clock, 2)])).rejects.toBeInstanceOf(ConditionalWriteConflict);
    clock.advance(60_000);
    // Its last second: still live for reads and writes alike.
    expect(await store.get(key)).toMatchObject({ n: 1 });
    await expect(store.write([put(clock, 2)])).rejects.toBeInstanceOf(ConditionalWriteConflict);
    clock.advance(1000);
    expect(await store.get(key)).toBeUndefined();
    await store.write([put(clock, 2)]);
    expect(await store.get(key)).toMatchObject({ n: 2 });
  });

  test('an update and a condition check carry it too, with names and values of their own', async () => {
    const clock = new TestClock(NOW);
    const store = await freshStore(clock.now);
    await store.write([
      { kind: 'put', item: { ...key, n: 1, expiresAt: SECOND - 1 } },
      { kind: 'put', item: { pk: 'P#2', sk: 'S', expiresAt: SECOND - 1 } },
    ]);
    await store.write([
      { kind: 'update', key, expression: 'SET #n = :n', names: { '#n': 'n' }, values: { ':n': 5 }, condition: notExists },
      { kind: 'condition-check', key: { pk: 'P#2', sk: 'S' }, condition: { expression: 'attribute_not_exists(pk)', orExpired: true } },
    ]);
    expect((await store.doc.send(new GetCommand({ TableName: store.tableName, Key: key }))).Item).toMatchObject({ n: 5 });
  });
});
