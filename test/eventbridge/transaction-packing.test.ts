import { costIn, placeUnit, type PackedItems, type Placement } from '../../lambda/eventbridge/transaction-packing';

/** Where a unit of a wave goes: transactions written side by side never name the same item. */
const items = (written: string[], guarded: string[] = [], ops = written.length + guarded.length): PackedItems => ({
  written: new Set(written),
  guarded: new Set(guarded),
  ops,
});

const cases: { name: string; unit: PackedItems; wave: PackedItems[]; max?: number; expected: Placement['kind']; index?: number }[] = [
  { name: 'first unit of a wave', unit: items(['g1', 'm1']), wave: [], expected: 'new' },
  { name: 'no shared item: first transaction with room', unit: items(['g2', 'm2']), wave: [items(['g1', 'm1'])], expected: 'join', index: 0 },
  { name: 'no shared item, no room', unit: items(['g2', 'm2']), wave: [items(['g1', 'm1'], [], 99)], expected: 'new' },
  { name: 'no shared item: skips a full transaction', unit: items(['g3']), wave: [items(['g1'], [], 100), items(['g2'])], expected: 'join', index: 1 },
  {
    name: 'same ledger guard: joins its transaction, even past one with room',
    unit: items(['g3', 'm3'], ['ledger']),
    wave: [items(['g1'], [], 2), items(['g2', 'm2'], ['ledger'])],
    expected: 'join',
    index: 1,
  },
  {
    name: 'same roll-up (claimed there): joins',
    unit: items(['g2', 'm2'], ['rollup', 'ledger']),
    wave: [items(['g1', 'm1'], ['rollup', 'ledger'])],
    expected: 'join',
    index: 0,
  },
  { name: 'same guard, no room: next wave', unit: items(['g2', 'm2'], ['ledger']), wave: [items(['g1'], ['ledger'], 99)], expected: 'next-wave' },
  {
    name: 'guards in two transactions: next wave',
    unit: items(['g3'], ['ledger', 'rollup']),
    wave: [items(['g1'], ['ledger']), items(['g2'], ['rollup'])],
    expected: 'next-wave',
  },
  { name: 'writes an item the transaction writes: next wave', unit: items(['alert-1']), wave: [items(['g1', 'alert-1'])], expected: 'next-wave' },
  { name: 'writes an item the transaction guards: next wave', unit: items(['ledger']), wave: [items(['g1'], ['ledger'])], expected: 'next-wave' },
  { name: 'guards an item the transaction writes: next wave', unit: items(['g2'], ['g1']), wave: [items(['g1'])], expected: 'next-wave' },
];

describe('placeUnit', () => {
  test.each(cases)('$name: $expected', ({ unit, wave, max, expected, index }) => {
    const placed = placeUnit(unit, wave, max ?? 100);
    expect(placed.kind).toBe(expected);
    expect(placed.reason).toEqual(expect.any(String));
    if (placed.kind === 'join') expect(placed.index).toBe(index);
  });
});

describe('costIn', () => {
  test.each([
    { name: 'a new transaction counts every guard', unit: items(['g', 'm'], ['ledger', 'rollup']), t: undefined, expected: 4 },
    { name: 'a guard the transaction names is free', unit: items(['g', 'm'], ['ledger', 'rollup']), t: items(['g1'], ['ledger']), expected: 3 },
    { name: 'no guards', unit: items(['g', 'm', 'a']), t: items(['g1'], ['ledger']), expected: 3 },
  ])('$name: $expected', ({ unit, t, expected }) => expect(costIn(unit, t)).toBe(expected));
});
