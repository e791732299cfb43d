import { BUCKET_DIGEST_BYTES, BucketPageCodec } from '../state/bucket-pages';
import type { RunState } from '../state/job-items';
import type { Item, StateStore } from '../state/store';
import { keys, type ItemKey } from '../state/table';
import { bucketPageCache, type BucketPageCache } from './bucket-page-cache';
import { bucketPagesToRead, namedBuckets, namedBucketsByRun, type NamedInRun, type PagesRead } from './bucket-counts';
import { AFFECTED_CAP } from './capped-list';
import { isJobOnlyEvent } from './job-reducer';
import type { LogEvent } from './log-events';
import type { RunReduction } from './run-state';
import { own } from './type-maps';

type NamedByType = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * The bucket pages one job batch counts its buckets with (bucket-counts.ts): planned before the read, read
 * (or taken from the container's cache) once the runs are read, and kept in the cache once the write landed.
 */
export class BucketPageReads {
  private readonly cache: BucketPageCache;
  /** The events that name their run, by run: known before the job is read. */
  private readonly explicit: ReadonlyMap<string, NamedInRun>;
  private named = new Map<string, NamedByType>();
  private pages = new Map<string, Map<string, PagesRead>>();

  constructor(
    private readonly jobId: string,
    records: readonly LogEvent[],
    private readonly store: StateStore,
    private readonly nowMs: number,
  ) {
    this.cache = bucketPageCache(store);
    this.explicit = namedBucketsByRun(records, (r) => (isJobOnlyEvent(r) ? undefined : r.event.runDate));
  }

  /**
   * The first page of each type a run's events name more than AFFECTED_CAP buckets of: paged whatever the run
   * holds, so read with the run in the same request, unless the container keeps the type's pages.
   */
  firstPages(): ItemKey[] {
    return [...this.explicit].flatMap(([runDate, run]) =>
      [...run.named]
        .filter(([type, buckets]) => buckets.size > AFFECTED_CAP && !this.cache.has(this.jobId, runDate, type, this.nowMs))
        .map(([type]) => keys.runBucketPage(this.jobId, runDate, type, 0)),
    );
  }

  /** The pages each run's types must be counted with (bucketPagesToRead): those not read with the runs, in one request. */
  async read(byRun: ReadonlyMap<string, readonly LogEvent[]>, runs: ReadonlyMap<string, RunState | undefined>, found: Map<string, Item>): Promise<void> {
    this.named = new Map(
      [...byRun].map(([d, events]) => [d, this.explicit.get(d)?.events === events.length ? this.explicit.get(d)!.named : namedBuckets(events)]),
    );
    this.pages = new Map();
    const wanted: { runDate: string; type: string; pages: ItemKey[] }[] = [];
    for (const [runDate, namedByType] of this.named) {
      for (const [type, named] of namedByType) {
        const plan = bucketPagesToRead(runs.get(runDate), type, named);
        if (plan.reason !== 'paged') continue;
        const cached = this.cache.pages(this.jobId, runDate, type, bucketCountOf(runs.get(runDate), type), this.nowMs);
        if (cached) this.set(runDate, type, cached);
        else wanted.push({ runDate, type, pages: Array.from({ length: plan.pages }, (_, n) => keys.runBucketPage(this.jobId, runDate, type, n)) });
      }
    }
    // A page not found with the run may have been read before the write that made it: read again.
    const unread = wanted.flatMap((w) => w.pages).filter((k) => !this.store.lookup(found, k));
    if (unread.length > 0) for (const [k, v] of await this.store.getMany(unread)) found.set(k, v);
    for (const { runDate, type, pages } of wanted) {
      const read = pages.map((k) => {
        const item = this.store.lookup(found, k);
        return item && BucketPageCodec.decode(item).digests;
      });
      this.set(runDate, type, read);
    }
  }

  /** What the run's reducer counts with. */
  of(runDate: string): { bucketPages?: ReadonlyMap<string, PagesRead>; namedBuckets?: NamedByType } {
    return { bucketPages: this.pages.get(runDate), namedBuckets: this.named.get(runDate) };
  }

  /** After the write landed: each type's pages as the table now holds them, the read ones with the written ones over them. */
  remember(written: readonly { readonly runDate: string; readonly r: RunReduction }[]): void {
    for (const { runDate, r } of written) {
      const read = this.pages.get(runDate);
      const types = new Set([...(read?.keys() ?? []), ...(r.bucketPages ?? []).map((p) => p.errorType)]);
      for (const type of types) {
        const pages = [...(read?.get(type) ?? [])];
        for (const p of r.bucketPages ?? []) if (p.errorType === type) pages[p.n] = p.digests;
        const count = r.run.bucketCounts && own(r.run.bucketCounts, type);
        // Only a whole set that matches the run's count: anything else is read again next time.
        if (count === undefined || Array.from(pages).some((p) => p === undefined)) continue;
        const complete = pages as Uint8Array[];
        if (complete.reduce((n, p) => n + p.byteLength, 0) !== count * BUCKET_DIGEST_BYTES) continue;
        this.cache.remember(this.jobId, runDate, type, complete, this.nowMs);
      }
    }
  }

  private set(runDate: string, type: string, pages: PagesRead): void {
    let byType = this.pages.get(runDate);
    if (!byType) {
      byType = new Map();
      this.pages.set(runDate, byType);
    }
    byType.set(type, pages);
  }
}

function bucketCountOf(run: RunState | undefined, type: string): number {
  return (run?.bucketCounts && own(run.bucketCounts, type)) ?? -1;
}
