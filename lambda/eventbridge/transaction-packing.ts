// Where one unit of a wave goes: a transaction of the wave, a new one, or the next wave, so that no two
// side-by-side transactions name the same item. Pure.

/** What a unit (or a transaction, the union of its units) names, as keyStrings. */
export interface PackedItems {
  /** Items its own operations write: the aggregate, the markers, the outbox. Never two writers in one transaction. */
  readonly written: ReadonlySet<string>;
  /** Items its guards name: shared by every unit of a transaction that names them, written once. */
  readonly guarded: ReadonlySet<string>;
  /** Operations it holds, its guards counted once. */
  readonly ops: number;
}

export type Placement =
  | { readonly kind: 'join'; readonly index: number; readonly reason: string }
  | { readonly kind: 'new'; readonly reason: string }
  | { readonly kind: 'next-wave'; readonly reason: string };

const shares = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => [...a].some((k) => b.has(k));

/** What the unit adds to the transaction: its operations, and its guards the transaction does not name yet. */
export function costIn(unit: PackedItems, transaction: PackedItems | undefined): number {
  const guards = [...unit.guarded].filter((k) => !transaction?.guarded.has(k)).length;
  return unit.ops - unit.guarded.size + guards;
}

export function placeUnit(unit: PackedItems, transactions: readonly PackedItems[], maxOps: number): Placement {
  const all = (t: PackedItems) => new Set([...t.written, ...t.guarded]);
  const sharing = transactions.map((t, index) => ({ t, index })).filter(({ t }) => shares(all(unit), all(t)));
  if (sharing.length === 0) {
    const index = transactions.findIndex((t) => t.ops + costIn(unit, t) <= maxOps);
    if (index >= 0) return { kind: 'join', index, reason: 'shares no item with the wave: first transaction with room' };
    return { kind: 'new', reason: 'shares no item with the wave, and no transaction has room' };
  }
  if (sharing.length > 1) return { kind: 'next-wave', reason: `shares items with ${sharing.length} transactions of the wave` };
  const [{ t, index }] = sharing;
  if (shares(unit.written, all(t)) || shares(unit.guarded, t.written)) {
    return { kind: 'next-wave', reason: 'writes an item the transaction names (a transaction names an item once)' };
  }
  if (t.ops + costIn(unit, t) > maxOps) return { kind: 'next-wave', reason: 'shares a guard with a transaction that has no room' };
  return { kind: 'join', index, reason: 'shares a guard with the transaction: named once there' };
}
