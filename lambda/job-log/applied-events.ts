import * as crypto from 'node:crypto';
import { compareInstants, instantOf, type Instant } from '../core/iso-time';
import { DIGEST_BYTES } from '../state/applied-events-items';
import type { RunState } from '../state/job-items';
import type { LogEvent } from './log-events';

/**
 * Which log events a run has already counted, so an event that comes back in a differently composed batch counts
 * once: 8-byte digests in applied-events items beside the run, read only for an event not newer than the run's newest.
 */
export const APPLIED_EVENTS_CAP = 20_000;

// crypto.hash (Node 20.12+) is the one-shot form. Hex text, not a Buffer per id, which cost more than the hash;
// the batch's digests become bytes in one call.
const sha1Hex: (id: string) => string =
  typeof crypto.hash === 'function' ? (id) => crypto.hash('sha1', id, 'hex') : (id) => crypto.createHash('sha1').update(id).digest('hex');

/** The digest of a log event id, as 16 hex digits (DIGEST_BYTES bytes). */
export function digestOf(logEventId: string): string {
  return sha1Hex(logEventId).slice(0, DIGEST_BYTES * 2);
}

/** Digests (digestOf) as stored: one after the other in one buffer. */
export function digestBytes(digests: readonly string[]): Buffer {
  return Buffer.from(digests.join(''), 'hex');
}

/**
 * Must the run's applied digests be read to apply these events? Only if the run has applied events and one of
 * these is not newer than all of them (events newer than the run's newest are new).
 */
export function mayHaveApplied(run: { readonly lastEventAt?: string } | undefined, events: readonly { readonly at: Instant }[]): boolean {
  if (run?.lastEventAt === undefined) return false;
  const newest = instantOf(run.lastEventAt);
  return events.some((e) => compareInstants(e.at, newest) <= 0);
}

/**
 * The events not applied to the run before (nor earlier in the same list), in their order, and their digests.
 * Only an event no newer than the run's newest can have been applied: those are looked up in the run's
 * digests, which the pipeline read for such a batch (`applied`, see mayHaveApplied).
 */
export function freshEvents(
  current: RunState | undefined,
  events: readonly LogEvent[],
  applied: DigestSet | undefined,
): { fresh: LogEvent[]; digests: Buffer } {
  const newest = current?.lastEventAt === undefined ? undefined : instantOf(current.lastEventAt);
  let known: DigestSet | undefined;
  const knownDigests = () => {
    if (!known) {
      if (!applied && current?.appliedEventItems)
        throw new Error(`freshEvents: run ${current.jobId} ${current.runDate} may hold events of this batch, and its applied events were not read`);
      known = applied ?? new DigestSet(current?.appliedEvents ? [current.appliedEvents] : []);
    }
    return known;
  };
  const seen = new Set<string>();
  const fresh: LogEvent[] = [];
  const digests: string[] = [];
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    const digest = digestOf(e.id);
    if (newest !== undefined && compareInstants(e.at, newest) <= 0 && knownDigests().has(digest)) continue;
    digests.push(digest);
    fresh.push(e);
  }
  return { fresh, digests: digestBytes(digests) };
}

/** A set of digests, for lookups: built from stored digest buffers (DynamoDB returns Uint8Array views). */
export class DigestSet {
  private readonly digests = new Set<string>();

  constructor(stored: Iterable<Uint8Array> = []) {
    const width = DIGEST_BYTES * 2;
    for (const chunk of stored) {
      const hex = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('hex');
      for (let i = 0; i + width <= hex.length; i += width) this.digests.add(hex.slice(i, i + width));
    }
  }

  get size(): number {
    return this.digests.size;
  }

  has(digest: string): boolean {
    return this.digests.has(digest);
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
