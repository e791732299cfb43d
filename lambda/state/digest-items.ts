import * as z from 'zod/mini';
import { bookkeepingItem, bookkeepingShape, compact, itemCodec, type Bookkeeping } from './codec';
import { keys } from './table';

/**
 * One item per daily digest raised, DIGEST / <window end>, written with the digest's alert: two sweeps racing for
 * the same day raise it once. It owns its alert in the outbox until delivered.
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
