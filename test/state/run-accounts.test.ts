import {
  accountCount,
  firstAccounts,
  NO_ACCOUNTS,
  OTHER_ACCOUNTS_CAP,
  packAccounts,
  flagBytes,
  RunAccountsBuilder,
  TOLD,
  toldAccountSet,
  TYPE_BITS,
  unpackAccounts,
  type RunAccounts,
} from '../../lambda/state/run-accounts';

/** A run's accounts: exact counts per error type and in all, a told flag, and a stored form bounded by Macie's 10,000 accounts. */
const id = (n: number) => String(n).padStart(12, '0');

function build(adds: readonly [string, string | undefined, boolean?][], from: RunAccounts = NO_ACCOUNTS): RunAccounts {
  const b = new RunAccountsBuilder(from);
  for (const [account, type, told] of adds) b.add(account, type, told);
  return b.result;
}

describe('counts', () => {
  const accounts = build([
    [id(3), 'BUCKET_ACCESS_DENIED'],
    [id(1), 'ACCOUNT_ACCESS_DENIED', true],
    [id(3), 'ACCOUNT_ACCESS_DENIED'],
    [id(2), 'BUCKET_ACCESS_DENIED'],
    [id(2), 'BUCKET_ACCESS_DENIED'],
  ]);
  test.each([
    { type: undefined, count: 3, first: [id(1), id(2), id(3)] },
    { type: 'BUCKET_ACCESS_DENIED', count: 2, first: [id(2), id(3)] },
    { type: 'ACCOUNT_ACCESS_DENIED', count: 2, first: [id(1), id(3)] },
  ])('$type: $count', ({ type, count, first }) => {
    expect(accountCount(accounts, type)).toEqual({ count, exact: true });
    expect(firstAccounts(accounts, 10, type)).toEqual(first);
  });
  test('an untracked type has no exact count', () => expect(accountCount(accounts, 'KMS_ACCESS_DENIED')).toEqual({ count: 0, exact: false }));
  test('told accounts', () => expect([...toldAccountSet(accounts)]).toEqual([id(1)]));
});

test('the same adds in any order give the same accounts (types by name)', () => {
  const adds: [string, string][] = [
    [id(5), 'C'],
    [id(6), 'A'],
    [id(5), 'B'],
    [id(7), 'A'],
    [id(6), 'C'],
  ];
  const want = build(adds);
  expect(build([...adds].reverse())).toEqual(want);
  expect(build(adds.slice(2), build(adds.slice(0, 2)))).toEqual(want);
  expect(want.types).toEqual(['A', 'B', 'C']);
});

test(`types past the first ${TYPE_BITS} still count the account in all, without a count of their own`, () => {
  const types = Array.from({ length: TYPE_BITS + 1 }, (_, i) => `T${i}`);
  const accounts = build(types.map((t, i) => [id(i), t]));
  expect(accountCount(accounts)).toEqual({ count: TYPE_BITS + 1, exact: true });
  expect(accountCount(accounts, types[TYPE_BITS]).exact).toBe(false);
});

test(`ids that are not 12 digits: kept by name up to ${OTHER_ACCOUNTS_CAP}, then counted as dropped (counts say at least)`, () => {
  const accounts = build(Array.from({ length: OTHER_ACCOUNTS_CAP + 5 }, (_, i) => [`acct-${i}`, 'X']));
  expect(accounts.flags.size).toBe(OTHER_ACCOUNTS_CAP);
  expect(accounts.dropped).toBe(5);
  expect(accountCount(accounts)).toEqual({ count: OTHER_ACCOUNTS_CAP, exact: false });
});

test('the stored form reads back the same, and an account told in the layout before stays told', () => {
  const accounts = build([
    [id(999_999_999_999), 'A', true],
    [id(0), 'B'],
    ['not-an-id', 'A'],
  ]);
  expect(unpackAccounts(packAccounts(accounts))).toEqual(accounts);
  expect(unpackAccounts({}, [id(4)]).flags.get(id(4))).toBe(TOLD);
});

test("10,000 accounts (Macie's most per administrator) store in 60,000 bytes", () => {
  const accounts = build(Array.from({ length: 10_000 }, (_, i) => [id(100_000_000_000 + i * 7919), i % 2 ? 'A' : 'B', i % 3 === 0]));
  const stored = packAccounts(accounts);
  expect(stored.accountIds?.byteLength).toBe(60_000);
  expect(unpackAccounts(stored)).toEqual(accounts);
});

test.each<[number, number, number]>([
  // [error types that named accounts, flag bytes per record, bytes per account]
  [0, 1, 6],
  [7, 1, 6],
  [8, 2, 7],
  [15, 2, 7],
  [16, 3, 8],
  [TYPE_BITS, 4, 9],
])('%d types: %d flag byte(s), %d bytes per account', (types, bytes, perAccount) => {
  expect(flagBytes(types)).toBe(bytes);
  const accounts = build(
    Array.from({ length: Math.max(1, types) }, (_, i) => [id(i), types === 0 ? undefined : `T${String(i).padStart(2, '0')}`, i % 2 === 0]),
  );
  const stored = packAccounts(accounts);
  expect(stored.accountIds!.byteLength / accounts.flags.size).toBe(perAccount);
  expect(unpackAccounts(stored)).toEqual(accounts);
});

test('an eighth type gets an exact count of its own, and which types count does not depend on arrival order', () => {
  const types = Array.from({ length: 9 }, (_, i) => `T${i}`);
  const adds: [string, string, boolean][] = types.flatMap(
    (t, i) =>
      [
        [id(i), t, i === 8],
        [id(100 + i), t, false],
      ] as [string, string, boolean][],
  );
  const forward = build(adds);
  const backward = build([...adds].reverse());
  expect(backward).toEqual(forward);
  for (const t of types) expect(accountCount(forward, t)).toEqual({ count: 2, exact: true });
  expect(unpackAccounts(packAccounts(forward))).toEqual(forward);
  expect([...toldAccountSet(forward)]).toEqual([id(8)]);
});

test('a run stored before the wider flags (one byte, told in bit 7) reads the same', () => {
  const before = new Uint8Array([0, 0, 0, 0, 1, 0x81, 0, 0, 0, 0, 2, 0x02]);
  const accounts = unpackAccounts({ accountIds: before, accountTypes: ['A', 'B'], otherAccounts: { 'not-an-id': 0x81 } });
  expect([accountCount(accounts, 'A').count, accountCount(accounts, 'B').count, [...toldAccountSet(accounts)]]).toEqual([2, 1, [id(1), 'not-an-id']]);
});
