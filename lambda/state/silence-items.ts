import * as z from 'zod/mini';
import { compact, itemCodec, stringSet, toStringSet } from './codec';
import { keys } from './table';

/**
 * The silences room's stored aggregate: one item per silence, SILENCE / <silenceId>, in one partition so that
 * one Query lists them all (why that is enough: docs/design-notes.md).
 */

/** What a silence matches. Each given matcher must match; at least one is given. */
export interface SilenceMatchers {
  readonly jobId?: string;
  /** A bucket name, or a prefix followed by `*` (`logs-*`). */
  readonly bucket?: string;
  readonly accountId?: string;
  /** A Macie job event type, finding type or API call name. */
  readonly type?: string;
}

/** A weekly window (`sat,sun 00:00-06:00`): weekdays (`mon`..`sun`) and UTC times HH:MM (lambda/silences/weekly-window.ts). */
export interface WeeklyWindowSpec {
  readonly days: readonly string[];
  readonly from: string;
  readonly to: string;
}

export interface Silence {
  /** `S-` and a few letters and digits (lambda/silences/silence.ts makes them). */
  readonly id: string;
  readonly match: SilenceMatchers;
  /** Events whose time is in [startsAt, endsAt) are silenced. */
  readonly startsAt: string;
  readonly endsAt: string;
  /** A recurring silence: within [startsAt, endsAt), only the events inside one of these weekly windows. */
  readonly every?: WeeklyWindowSpec;
  readonly author: string;
  readonly reason: string;
  readonly createdAt: string;
  /** Version as read (optimistic concurrency for `silence expire`); undefined for a silence not written yet. */
  readonly version?: number;
  /** The end it was made with, kept when `silence expire` ended it early. */
  readonly plannedEndsAt?: string;
  /** When the sweeper announced it (lambda/sweeper/silence-announcements.ts): made, and ended. */
  readonly announced?: SilenceAnnounced;
  /** Ids of its announcements still in the outbox (the sweeper's, as on every alert owner). */
  readonly pendingAlerts?: readonly string[];
}

export interface SilenceAnnounced {
  readonly made?: string;
  readonly ended?: string;
}

/**
 * A silence is kept this many days after it ends, then DynamoDB's TTL deletes it: `silence list --all` shows
 * what was silenced recently, and an event delivered late is still judged against the silence that covered
 * its time.
 */
export const SILENCE_RECORD_DAYS = 7;

const text = z.string();

const SilenceItemSchema = z.object({
  pk: text,
  sk: text,
  id: text,
  match: z.object({ jobId: z.optional(text), bucket: z.optional(text), accountId: z.optional(text), type: z.optional(text) }),
  startsAt: text,
  endsAt: text,
  every: z.optional(z.object({ days: z.array(text), from: text, to: text })),
  author: text,
  reason: text,
  createdAt: text,
  version: z.optional(z.number()),
  plannedEndsAt: z.optional(text),
  announced: z.optional(z.object({ made: z.optional(text), ended: z.optional(text) })),
  pendingAlerts: z.optional(stringSet),
  expiresAt: z.optional(z.number()),
});

/** The silence item. Its TTL follows from its end: SILENCE_RECORD_DAYS later. */
export const SilenceCodec = itemCodec(
  'silence',
  SilenceItemSchema,
  (s: Silence) =>
    compact({
      ...keys.silence(s.id),
      id: s.id,
      match: compact({ ...s.match }),
      startsAt: s.startsAt,
      endsAt: s.endsAt,
      every: s.every && { days: [...s.every.days], from: s.every.from, to: s.every.to },
      author: s.author,
      reason: s.reason,
      createdAt: s.createdAt,
      version: s.version,
      plannedEndsAt: s.plannedEndsAt,
      announced: s.announced && compact({ ...s.announced }),
      pendingAlerts: toStringSet(s.pendingAlerts),
      expiresAt: Math.floor(Date.parse(s.endsAt) / 1000) + SILENCE_RECORD_DAYS * 86400,
    }),
  ({ pk: _pk, sk: _sk, expiresAt: _ttl, ...rest }): Silence =>
    compact({ ...rest, match: compact({ ...rest.match }), announced: rest.announced && compact({ ...rest.announced }) }) as unknown as Silence,
);
