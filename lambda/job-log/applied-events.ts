import * as crypto from 'node:crypto';
import { compareIso } from '../core/iso-time';
import { DIGEST_BYTES } from '../state/job-items';

/**
 * Which log events a run has already counted, so an event that comes back inside a differently composed
 * batch (CloudWatch Logs retrying part of a delivery, a redrive, a replay of overlapping exports) counts once.
 *
 * A run keeps an 8-byte digest of each applied log event id (SHA-1, first 8 bytes). They live outside the run
 * item, which every batch reads and writes whole: each batch that applies events to a run writes one
 * applied-events item with that batch's digests (JOB#<jobId> / APPLIED#<runDate>#<n>, n counting the run's
 * batches), in the same atomic write as the run. Those items are read only when a batch needs them: when it
 * holds an event that is not newer than every event the run has applied (the run's lastEventAt). An event
 * newer than all of them cannot be one of them, since a log event re-sent is the same message, with the same
 * time. Macie logs a run's events in time order and CloudWatch Logs delivers them in order, so most batches
 * need no read; a batch redelivered whole is recognised by its batch key (appliedBatches) before any of this.
 *
 * The read takes the run's newest items until they hold APPLIED_EVENTS_CAP digests. Up to that bound the
 * dedupe is exact but for a digest collision (about 1 in 10^10 for a full set); an event older than the
 * run's newest 20,000 that is re-sent in a new batch would count again.
 *
 * Runs written before this layout keep their digests in the run item (`appliedEvents`); the next batch
 * applied to such a run moves them into its applied-events item.
 */
export const APPLIED_EVENTS_CAP = 20_000;

// crypto.hash (Node 20.12+) is the one-shot form: about half the cost of createHash per id.
const sha1: (id: string) => Buffer =
  typeof crypto.hash === 'function' ? (id) => crypto.hash('sha1', id, 'buffer') : (id) => crypto.createHash('sha1').update(id).digest();

export function digestOf(logEventId: string): Buffer {
  return sha1(logEventId).subarray(0, DIGEST_BYTES);
}

/** The digests of these log event ids, one after the other in one buffer. */
export function digestsOf(logEventIds: readonly string[]): Buffer {
  const out = Buffer.allocUnsafe(logEventIds.length * DIGEST_BYTES);
  logEventIds.forEach((id, i) => sha1(id).copy(out, i * DIGEST_BYTES, 0, DIGEST_BYTES));
  return out;
}

/**
 * Must the run's applied digests be read to apply these events? Only if the run has applied events and one of
 * these is not newer than all of them (events newer than the run's newest are new).
 */
export function mayHaveApplied(run: { readonly lastEventAt?: string } | undefined, events: readonly { readonly occurredAt: string }[]): boolean {
  const newest = run?.lastEventAt;
  return newest !== undefined && events.some((e) => compareIso(e.occurredAt, newest) <= 0);
}

/** A set of digests, for lookups: built from stored digest buffers (DynamoDB returns Uint8Array views). */
export class DigestSet {
  private readonly keys = new Set<string>();

  constructor(stored: Iterable<Uint8Array> = []) {
    for (const chunk of stored) {
      const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (let i = 0; i + DIGEST_BYTES <= buf.length; i += DIGEST_BYTES) this.keys.add(buf.toString('latin1', i, i + DIGEST_BYTES));
    }
  }

  get size(): number {
    return this.keys.size;
  }

  /** The digest at `offset` of `digests` (a buffer of digestsOf). */
  has(digests: Buffer, offset: number): boolean {
    return this.keys.has(digests.toString('latin1', offset, offset + DIGEST_BYTES));
  }
}

/**
 * The newest digests of a run, newest last, from its applied-events items (oldest first) read newest first:
 * items are taken until they hold `cap` digests, then cut to exactly `cap`.
 */
export function newestDigests(itemsNewestFirst: readonly Uint8Array[], cap = APPLIED_EVENTS_CAP): Uint8Array[] {
  const taken: Uint8Array[] = [];
  let bytes = 0;
  for (const digests of itemsNewestFirst) {
    if (bytes >= cap * DIGEST_BYTES) break;
    taken.push(digests);
    bytes += digests.byteLength;
  }
  const excess = Math.max(0, bytes - cap * DIGEST_BYTES);
  if (excess > 0) {
    const oldest = taken[taken.length - 1];
    taken[taken.length - 1] = oldest.subarray(excess);
  }
  return taken.reverse();
}
