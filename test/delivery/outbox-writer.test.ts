import { packInOrder } from '../../lambda/delivery/outbox-writer';
import type { WriteOp } from '../../lambda/state/store';

const op = (n: number): WriteOp => ({ kind: 'put', item: { pk: `P#${n}`, sk: 'S' } });
/** A unit of `size` operations, numbered from `from`. */
const unit = (from: number, size: number): WriteOp[] => Array.from({ length: size }, (_, i) => op(from + i));
const sizes = (transactions: WriteOp[][]) => transactions.map((t) => t.length);

describe('packInOrder', () => {
  it.each([
    { name: 'nothing to write: no transaction', units: [] as number[], max: 100, want: [] as number[] },
    { name: 'units that fit: one transaction', units: [1, 40, 59], max: 100, want: [100] },
    { name: 'one more operation: the unit that does not fit starts the next', units: [1, 40, 60], max: 100, want: [41, 60] },
    { name: 'a unit never splits, even past the bound alone', units: [3, 120, 2], max: 100, want: [3, 120, 2] },
    { name: 'order kept: a small unit after a full transaction does not go back', units: [60, 50, 30], max: 100, want: [60, 80] },
  ])('$name', ({ units, max, want }) => {
    let n = 0;
    const given = units.map((size) => {
      const u = unit(n, size);
      n += size;
      return u;
    });
    const packed = packInOrder(given, max);
    expect(sizes(packed)).toEqual(want);
    expect(packed.flat()).toEqual(given.flat());
  });
});
