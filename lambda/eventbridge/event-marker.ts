import * as z from 'zod/mini';
import { bookkeepingItem, bookkeepingShape, compact, itemCodec, type Bookkeeping } from '../state/codec';
import type { ItemKey } from '../state/table';

/**
 * EVENT#<event key> / EVENT: an event already applied, written in the same transaction as its aggregate. The key
 * names the event's effect, not its delivery; `owner` is where its alerts wait in the outbox.
 */
export interface EventMarker extends Bookkeeping {
  readonly pk: string;
  readonly sk: string;
  /** The pipeline that applied it: finding, api-call. */
  readonly kind: string;
  /** The EventBridge event id of the delivery that applied it. */
  readonly eventId?: string;
  readonly appliedAt: string;
  readonly owner?: ItemKey;
}

export const EventMarkerCodec = itemCodec(
  'event marker',
  z.object({
    ...bookkeepingShape,
    kind: z.string(),
    eventId: z.optional(z.string()),
    appliedAt: z.string(),
    ownerPk: z.optional(z.string()),
    ownerSk: z.optional(z.string()),
  }),
  (m: EventMarker) =>
    compact({
      pk: m.pk,
      sk: m.sk,
      kind: m.kind,
      eventId: m.eventId,
      appliedAt: m.appliedAt,
      ownerPk: m.owner?.pk,
      ownerSk: m.owner?.sk,
      ...bookkeepingItem(m),
    }),
  ({ ownerPk, ownerSk, ...rest }): EventMarker => ({
    ...rest,
    owner: ownerPk !== undefined && ownerSk !== undefined ? { pk: ownerPk, sk: ownerSk } : undefined,
  }),
);
