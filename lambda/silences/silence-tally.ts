import type { SilencedEvents } from '../state/codec';
import { SilenceTallyCodec, TALLY_DAYS_AFTER_END, type SilenceTally } from '../state/silence-tally-items';
import type { WriteOp } from '../state/store';
import { epochSeconds, expiresAt, keys, type ItemKey } from '../state/table';

type SilencedMap = Readonly<Record<string, SilencedEvents>> | undefined;

/** Why an aggregate's write carries (or not) a tally for one silence. */
export type TallyReason = 'first-hidden' | 'more-hidden' | 'unchanged';

/** Whether one silence's entry on an aggregate changed between the read and the write. Pure. */
export function tallyChange(before: SilencedEvents | undefined, after: SilencedEvents): TallyReason {
  if (!before) return 'first-hidden';
  const types = new Set([...Object.keys(before.events), ...Object.keys(after.events)]);
  for (const type of types) if (before.events[type] !== after.events[type]) return 'more-hidden';
  return 'unchanged';
}

/**
 * The tally puts an aggregate's write carries: one per silence whose count on it changed, holding that
 * silence's whole entry (a put, not an add), so a retried or concurrent write can only write the same value
 * as the aggregate it goes with.
 */
export function silenceTallyWrites(before: SilencedMap, after: SilencedMap, aggregate: ItemKey, now: Date, retentionDays: number): WriteOp[] {
  if (!after) return [];
  const ops: WriteOp[] = [];
  for (const [silenceId, entry] of Object.entries(after)) {
    const was = before && Object.hasOwn(before, silenceId) ? before[silenceId] : undefined;
    if (tallyChange(was, entry) === 'unchanged') continue;
    const pastEnd = epochSeconds(new Date(entry.endsAt)) + TALLY_DAYS_AFTER_END * 86400;
    const tally: SilenceTally = {
      silenceId,
      aggregate: keys.silenceTally(silenceId, aggregate).sk,
      events: { ...entry.events },
      expiresAt: Math.max(pastEnd, expiresAt(now, retentionDays)),
    };
    ops.push({ kind: 'put', item: SilenceTallyCodec.encode(tally) });
  }
  return ops;
}

/** How many silences' tallies a write of `after` would carry (its transaction's room for them). */
export function silenceTallyCount(before: SilencedMap, after: SilencedMap): number {
  if (!after) return 0;
  return Object.entries(after).filter(([id, entry]) => tallyChange(before && Object.hasOwn(before, id) ? before[id] : undefined, entry) !== 'unchanged').length;
}

export interface HiddenTotal {
  readonly events: number;
  /** Event or finding type and count, most first (then by name). */
  readonly byType: readonly (readonly [string, number])[];
  /** Aggregates it hid something in. */
  readonly aggregates: number;
}

/** What a silence hid in its life, from its tallies. Pure. */
export function totalHidden(tallies: readonly SilenceTally[]): HiddenTotal {
  const byType = new Map<string, number>();
  for (const t of tallies) for (const [type, n] of Object.entries(t.events)) byType.set(type, (byType.get(type) ?? 0) + n);
  const sorted = [...byType].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  return { events: sorted.reduce((sum, [, n]) => sum + n, 0), byType: sorted, aggregates: tallies.length };
}
