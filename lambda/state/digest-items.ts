import * as z from 'zod/mini';
import { bookkeepingItem, bookkeepingShape, compact, itemCodec, type Bookkeeping } from './codec';
import { keys } from './table';

/**
 * The sweeper's daily digest (lambda/sweeper/digest.ts) records each digest it raised in one item,
 * DIGEST / <window end>, written in the same conditional write as the digest's alert: the item existing and
 * the alert being in the outbox are one fact, so two sweeps racing for the same day raise it once. The item
 * owns its alert in the outbox (pendingAlerts) until it is delivered, like every aggregate.
 */
export interface DigestMark extends Bookkeeping {
  /** The window the digest covers: [windowStart, windowEnd), ISO 8601 in UTC. */
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly alertId: string;
  /** When the sweep raised it. */
  readonly createdAt: string;
}

const text = z.string();

export const DigestCodec = itemCodec(
  'digest',
  z.object({ ...bookkeepingShape, windowStart: text, windowEnd: text, alertId: text, createdAt: text }),
  (d: DigestMark) =>
    compact({
      ...keys.digest(d.windowEnd),
      windowStart: d.windowStart,
      windowEnd: d.windowEnd,
      alertId: d.alertId,
      createdAt: d.createdAt,
      ...bookkeepingItem(d),
    }),
  ({ pk: _pk, sk: _sk, ...rest }): DigestMark => rest,
);
