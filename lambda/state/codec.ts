import * as z from 'zod/mini';
import { describeIssues } from '../core/event-report';
import type { Item } from './store';
import type { ItemKey } from './table';

/**
 * Typed state: the only code that knows an aggregate's item layout. `decode` validates and names an item this
 * version did not write; `encode` writes the whole item, with its keys and index keys derived here.
 */
export interface ItemCodec<T> {
  /** What the item is, for error messages and logs ("run", "job", "findings group"). */
  readonly aggregate: string;
  /** A stored item -> its typed value. Throws CorruptItemError naming the item and the field. */
  decode(item: Item): T;
  /** A typed value -> the whole item to put. */
  encode(value: T): Item;
}

/**
 * An item that is not what this version wrote (edited by hand, or by a version that laid it out
 * differently). Deciding from a half-understood item would send wrong alerts, so the batch fails instead:
 * Lambda retries it, then it lands in the failure queue, and the log line names the item to look at.
 */
export class CorruptItemError extends Error {
  constructor(
    readonly aggregate: string,
    readonly key: ItemKey | undefined,
    readonly reason: string,
  ) {
    super(`${aggregate} item ${key ? `${key.pk} / ${key.sk}` : '(no key)'} is not readable: ${reason}`);
    this.name = 'CorruptItemError';
  }
}

function keyOf(item: Item): ItemKey | undefined {
  return typeof item.pk === 'string' && typeof item.sk === 'string' ? { pk: item.pk, sk: item.sk } : undefined;
}

/** A codec from a zod/mini schema of the item (unknown attributes are dropped) and the inverse mapping. */
export function itemCodec<S extends z.ZodMiniType, T = z.output<S>>(
  aggregate: string,
  schema: S,
  encode: (value: T) => Item,
  fromItem: (parsed: z.output<S>) => T = (parsed) => parsed as unknown as T,
): ItemCodec<T> {
  return {
    aggregate,
    decode(item: Item): T {
      const parsed = schema.safeParse(item);
      if (!parsed.success) throw new CorruptItemError(aggregate, keyOf(item), describeIssues(parsed.error.issues, { rootLabel: '(item)' }));
      return fromItem(parsed.data);
    },
    encode,
  };
}

/** Decodes an item that may be absent (not found, or past its TTL). */
export function decodeOptional<T>(codec: ItemCodec<T>, item: Item | undefined): T | undefined {
  return item === undefined ? undefined : codec.decode(item);
}

// ---------------------------------------------------------------------------------------------------------
// Pieces every codec uses.

/** A DynamoDB string set as the document client returns it; read as a sorted array. */
export const stringSet = z.pipe(
  z.union([z.set(z.string()), z.array(z.string())]),
  z.transform((v: Set<string> | string[]) => [...v].sort()),
);

/** Ids of a string set after adding some: sorted, without repeats; undefined when empty (no empty sets). */
export function withIds(current: readonly string[] | undefined, added: readonly string[]): string[] | undefined {
  const ids = [...new Set([...(current ?? []), ...added])].sort();
  return ids.length > 0 ? ids : undefined;
}

/** A string set to write: DynamoDB cannot store an empty set, so an empty one is left out. */
export function toStringSet(values: readonly string[] | undefined): Set<string> | undefined {
  return values && values.length > 0 ? new Set(values) : undefined;
}

/** Events of an aggregate a silence matched (counted, not alerted): the silence as it read, and counts per type. */
export interface SilencedEvents {
  readonly author: string;
  readonly reason: string;
  readonly endsAt: string;
  /** By event type, finding type or API call name. */
  readonly events: Readonly<Record<string, number>>;
}

/** A map read into an object with no prototype, so no key is inherited ("constructor" is a type like any other). */
const ownMap = <T extends z.ZodMiniType>(value: T) =>
  z.pipe(
    z.record(z.string(), value),
    z.transform((v: Record<string, z.output<T>>) => Object.assign(Object.create(null) as Record<string, z.output<T>>, v)),
  );

export const SilencedEventsSchema = z.object({ author: z.string(), reason: z.string(), endsAt: z.string(), events: ownMap(z.number()) });

/**
 * What the batch engine (and every other writer of an aggregate) keeps on the item besides the aggregate's
 * own state: the optimistic-concurrency version, the ids of alerts still in the outbox, the TTL, and what
 * silences kept from alerting.
 */
export const bookkeepingShape = {
  pk: z.string(),
  sk: z.string(),
  version: z.optional(z.number()),
  pendingAlerts: z.optional(stringSet),
  expiresAt: z.optional(z.number()),
  silenced: z.optional(ownMap(SilencedEventsSchema)),
};

export interface Bookkeeping {
  /** Version as read; undefined for an item not written yet. */
  readonly version?: number;
  /** Alert ids in the outbox, not yet published, that this aggregate owns. */
  readonly pendingAlerts?: readonly string[];
  readonly expiresAt?: number;
  /** Events counted but not alerted because a silence matched them, by silence id. */
  readonly silenced?: Readonly<Record<string, SilencedEvents>>;
}

/** The bookkeeping attributes of an item to write. */
export function bookkeepingItem(b: Bookkeeping): Item {
  const silenced = b.silenced && Object.fromEntries(Object.entries(b.silenced).map(([id, s]) => [id, { ...s, events: { ...s.events } }]));
  return { version: b.version, pendingAlerts: toStringSet(b.pendingAlerts), expiresAt: b.expiresAt, silenced };
}

/** Drops undefined attributes (the document client is told to remove them too, but tests compare items). */
export function compact(item: Item): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) if (v !== undefined) out[k] = v;
  return out;
}
