import * as z from 'zod/mini';
import { compact, itemCodec } from './codec';
import { SILENCE_TALLY_PREFIX } from './table';

/**
 * What one silence hid in one aggregate (a job run, a findings group, a policy finding, a reveal window, a
 * Health event): SILENCED#<silenceId> / <aggregate key>. Written in the aggregate's own transaction whenever
 * its count for that silence changes, so the tally is exactly the aggregate's `silenced` entry, and the
 * silence's end announcement totals them with one Query of one partition.
 */
export interface SilenceTally {
  readonly silenceId: string;
  /** The tally's sort key: `IN#` and the aggregate's `pk|sk` (keys.silenceTally). */
  readonly aggregate: string;
  /** Events hidden, by event or finding type. */
  readonly events: Readonly<Record<string, number>>;
  /** Epoch seconds: past the silence's end and the aggregate's own retention, whichever is later. */
  readonly expiresAt: number;
}

/** Kept this long after the silence ends, so the sweep after its end (within a day) still reads every tally. */
export const TALLY_DAYS_AFTER_END = 3;

const TallyItemSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  silenceId: z.string(),
  events: z.record(z.string(), z.number()),
  expiresAt: z.number(),
});

export const SilenceTallyCodec = itemCodec(
  'silence tally',
  TallyItemSchema,
  (t: SilenceTally) =>
    compact({ pk: `${SILENCE_TALLY_PREFIX}${t.silenceId}`, sk: t.aggregate, silenceId: t.silenceId, events: { ...t.events }, expiresAt: t.expiresAt }),
  ({ sk, silenceId, events, expiresAt }): SilenceTally => ({ silenceId, aggregate: sk, events, expiresAt }),
);
