import type { StateStore } from '../state/store';
import { BUCKET_DIGEST_BYTES } from '../state/bucket-pages';
import type { PagesRead } from './bucket-counts';

/**
 * The bucket pages a container last read or wrote, per run and error type. Pages only grow, each growth under
 * the run's version condition, so while the run counts as many digests as an entry holds, the entry is what the
 * table holds: a run's next batch in the same container counts its buckets without reading them again.
 */
export interface CachedPages {
  readonly count: number;
  readonly pages: readonly Uint8Array[];
}

/** Older entries are dropped: far shorter than any run's TTL, so a run deleted and made again is never mistaken for the one cached. */
export const BUCKET_PAGE_CACHE_MS = 15 * 60_000;
/** A container holds at most this many digests (8 bytes each): past it, the oldest entries go. */
export const BUCKET_PAGE_CACHE_DIGESTS = 262_144;

const entryKey = (jobId: string, runDate: string, type: string) => `${jobId}\u0000${runDate}\u0000${type}`;

export class BucketPageCache {
  private readonly entries = new Map<string, CachedPages & { readonly at: number }>();
  private digests = 0;

  /** Whether an entry exists for the type, whatever its count: its first page need not be read speculatively. */
  has(jobId: string, runDate: string, type: string, nowMs: number): boolean {
    const entry = this.entries.get(entryKey(jobId, runDate, type));
    return entry !== undefined && nowMs - entry.at < BUCKET_PAGE_CACHE_MS;
  }

  /** The pages, if the entry holds exactly `count` digests (the run as read now) and is fresh. */
  pages(jobId: string, runDate: string, type: string, count: number, nowMs: number): PagesRead | undefined {
    const entry = this.entries.get(entryKey(jobId, runDate, type));
    if (!entry || entry.count !== count || nowMs - entry.at >= BUCKET_PAGE_CACHE_MS) return undefined;
    return entry.pages;
  }

  /** After a read the run's count checked, or a write that landed: the pages as the table now holds them. */
  remember(jobId: string, runDate: string, type: string, pages: readonly Uint8Array[], nowMs: number): void {
    const key = entryKey(jobId, runDate, type);
    this.forget(key);
    const count = pages.reduce((n, p) => n + p.byteLength / BUCKET_DIGEST_BYTES, 0);
    if (count > BUCKET_PAGE_CACHE_DIGESTS) return;
    for (const [oldest] of this.entries) {
      if (this.digests + count <= BUCKET_PAGE_CACHE_DIGESTS) break;
      this.forget(oldest);
    }
    this.entries.set(key, { count, pages, at: nowMs });
    this.digests += count;
  }

  private forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.digests -= entry.count;
  }
}

const perStore = new WeakMap<StateStore, BucketPageCache>();

/** One cache per store, as the silences have (silences/cache.ts). */
export function bucketPageCache(store: StateStore): BucketPageCache {
  let cache = perStore.get(store);
  if (!cache) {
    cache = new BucketPageCache();
    perStore.set(store, cache);
  }
  return cache;
}
