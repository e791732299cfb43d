import * as crypto from 'node:crypto';

/**
 * Which log events a run has already counted, so an event that comes back inside a differently composed
 * batch (CloudWatch Logs retrying part of a delivery, a redrive, a replay of overlapping exports) counts once.
 *
 * A run keeps an 8-byte digest of each applied log event id (SHA-1, first 8 bytes), newest last, in one
 * binary attribute of the run item. The newest APPLIED_EVENTS_CAP are kept: 160 KB, well inside DynamoDB's
 * 400 KB item limit. Up to the cap the dedupe is exact but for a digest collision (about 1 in 10^10 for a
 * full set). Past it the oldest digests are dropped, and a re-sent event older than the newest 20,000 of its
 * run would count again; a batch redelivered whole is still recognised by its batch key (appliedBatches).
 */
export const APPLIED_EVENTS_CAP = 20_000;
const DIGEST_BYTES = 8;

// crypto.hash (Node 20.12+) is the one-shot form: about half the cost of createHash per id.
const sha1: (id: string) => Buffer =
  typeof crypto.hash === 'function' ? (id) => crypto.hash('sha1', id, 'buffer') : (id) => crypto.createHash('sha1').update(id).digest();

export function digestOf(logEventId: string): Buffer {
  return sha1(logEventId).subarray(0, DIGEST_BYTES);
}

/** The digests as strings (one per event), for lookups. */
export function appliedSet(stored: Uint8Array | undefined): Set<string> {
  const set = new Set<string>();
  if (!stored) return set;
  const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  for (let i = 0; i + DIGEST_BYTES <= buf.length; i += DIGEST_BYTES) set.add(buf.toString('latin1', i, i + DIGEST_BYTES));
  return set;
}

export function digestKey(digest: Buffer): string {
  return digest.toString('latin1');
}

/** The stored digests with the new ones appended, the oldest dropped past the cap. */
export function withApplied(stored: Uint8Array | undefined, added: readonly Buffer[]): Uint8Array {
  const all = Buffer.concat([stored ?? Buffer.alloc(0), ...added]);
  const max = APPLIED_EVENTS_CAP * DIGEST_BYTES;
  return all.length > max ? all.subarray(all.length - max) : all;
}
