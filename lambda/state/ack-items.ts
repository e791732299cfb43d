import * as z from 'zod/mini';
import { compact, itemCodec } from './codec';
import { keys } from './table';

/**
 * One item per acknowledgement, SILENCE / <ackId>, in the silences' partition, so the pipelines' one Query for the
 * silences reads them too.
 */
export interface Ack {
  /** `A-` and a few letters and digits (lambda/silences/ack.ts makes them). */
  readonly id: string;
  /** The `alertId` attribute of the alert acknowledged. */
  readonly alertId: string;
  /** The repeats and reminders are held from startsAt until endsAt (excluded). */
  readonly startsAt: string;
  readonly endsAt: string;
  readonly author: string;
  readonly reason: string;
  readonly createdAt: string;
  /** Version as read (optimistic concurrency for `ack expire`); undefined for one not written yet. */
  readonly version?: number;
}

/** An acknowledgement is kept this many days after it ends (`ack list --all`), then DynamoDB's TTL deletes it. */
export const ACK_RECORD_DAYS = 7;

const text = z.string();

const AckItemSchema = z.object({
  pk: text,
  sk: text,
  id: text,
  alertId: text,
  startsAt: text,
  endsAt: text,
  author: text,
  reason: text,
  createdAt: text,
  version: z.optional(z.number()),
  expiresAt: z.optional(z.number()),
});

export const AckCodec = itemCodec(
  'acknowledgement',
  AckItemSchema,
  (a: Ack) =>
    compact({
      ...keys.ack(a.id),
      id: a.id,
      alertId: a.alertId,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      author: a.author,
      reason: a.reason,
      createdAt: a.createdAt,
      version: a.version,
      expiresAt: Math.floor(Date.parse(a.endsAt) / 1000) + ACK_RECORD_DAYS * 86400,
    }),
  ({ pk: _pk, sk: _sk, expiresAt: _ttl, ...rest }): Ack => compact({ ...rest }) as unknown as Ack,
);
