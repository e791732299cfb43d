import * as z from 'zod/mini';
import { bookkeepingItem, bookkeepingShape, compact, CorruptItemError, decodeOptional, itemCodec, stringSet, toStringSet } from '../../lambda/state/codec';

const Counter = itemCodec(
  'counter',
  z.object({ ...bookkeepingShape, count: z.number(), names: z.optional(stringSet) }),
  (v: { pk: string; sk: string; count: number; names?: string[]; version?: number }) =>
    compact({ pk: v.pk, sk: v.sk, count: v.count, names: toStringSet(v.names), ...bookkeepingItem(v) }),
);

describe('itemCodec', () => {
  it('decodes string sets as sorted arrays and encodes them back as sets, leaving out empty ones', () => {
    const value = Counter.decode({ pk: 'C#1', sk: 'C', count: 2, names: new Set(['b', 'a']), version: 3 });
    expect(value.names).toEqual(['a', 'b']);
    expect(Counter.encode(value)).toEqual({ pk: 'C#1', sk: 'C', count: 2, names: new Set(['a', 'b']), version: 3 });
    expect(Counter.encode({ ...value, names: [] })).toEqual({ pk: 'C#1', sk: 'C', count: 2, version: 3 });
  });

  it('names the item and the field when the item is not what this version wrote', () => {
    const decode = () => Counter.decode({ pk: 'C#1', sk: 'C', count: 'two' });
    expect(decode).toThrow(CorruptItemError);
    expect(decode).toThrow(/^counter item C#1 \/ C is not readable: count: /);
  });

  it('treats an absent item as absent, not as corrupt', () => {
    expect(decodeOptional(Counter, undefined)).toBeUndefined();
  });
});
