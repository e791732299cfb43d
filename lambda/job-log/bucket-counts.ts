import { BUCKET_DIGEST_BYTES, BUCKET_PAGE_DIGESTS, pageCount } from '../state/bucket-pages';
import type { RunState } from '../state/job-items';
import { digestOf } from './applied-events';
import { AFFECTED_CAP, unionTotal, type NameTotal } from './capped-list';
import { isErrorEffect } from './event-types';
import type { LogEvent } from './log-events';
import { own } from './type-maps';

/**
 * Exact distinct buckets per error type of a run. Up to AFFECTED_CAP buckets the run's capped list holds them
 * all and the count is its length: no other item, no other read (a fleet of small runs pays nothing). Past it,
 * every bucket's digest is in the type's bucket pages (state/bucket-pages.ts); a batch that names a bucket not in
 * the list reads them (read-plan: bucketPagesToRead), adds the new digests to the last page and the count, in the
 * run's transaction, under its version condition and applied-events markers. A type of a run written before
 * the counts (buckets, no count) keeps its capped list and its "at least".
 */

/** The distinct buckets each error type of these events names. Pure. */
export function namedBuckets(events: readonly LogEvent[]): Map<string, Set<string>> {
  const named = new Map<string, Set<string>>();
  for (const e of events) addNamed(named, e);
  return named;
}

/** namedBuckets of each run's events, `runOf` naming the run (undefined: none), in one pass. Pure. */
export function namedBucketsByRun(events: readonly LogEvent[], runOf: (e: LogEvent) => string | undefined): Map<string, NamedInRun> {
  const byRun = new Map<string, NamedInRun>();
  for (const e of events) {
    const runDate = runOf(e);
    if (runDate === undefined) continue;
    let run = byRun.get(runDate);
    if (!run) {
      run = { events: 0, named: new Map() };
      byRun.set(runDate, run);
    }
    run.events++;
    addNamed(run.named, e);
  }
  return byRun;
}

/** A run's named buckets, and how many of the batch's events they were counted from. */
export interface NamedInRun {
  events: number;
  readonly named: Map<string, Set<string>>;
}

function addNamed(named: Map<string, Set<string>>, { event, kind }: LogEvent): void {
  if (!isErrorEffect(kind.effect)) return;
  const bucket = event.affectedResource?.value;
  if (!bucket) return;
  let set = named.get(event.eventType);
  if (!set) {
    set = new Set<string>();
    named.set(event.eventType, set);
  }
  set.add(bucket);
}

/** Why a type's pages are read or not. */
export type PagesToRead =
  | { readonly reason: 'untracked' | 'in-list' | 'list-holds-all'; readonly pages: 0 }
  | { readonly reason: 'paged'; readonly pages: number };

/**
 * Must this batch read the type's bucket pages, and how many? Only when the type is paged (past the list) and
 * the batch names a bucket its list does not hold. Pure.
 */
export function bucketPagesToRead(run: Pick<RunState, 'affected' | 'bucketCounts'> | undefined, type: string, named: ReadonlySet<string>): PagesToRead {
  const count = run?.bucketCounts && own(run.bucketCounts, type);
  const list = run ? (own(run.affected, type)?.buckets ?? []) : [];
  if (count === undefined && list.length >= AFFECTED_CAP) return { reason: 'untracked', pages: 0 };
  if (allListed(list, named)) return { reason: 'in-list', pages: 0 };
  if (count === undefined || count <= AFFECTED_CAP) return { reason: 'list-holds-all', pages: 0 };
  return { reason: 'paged', pages: pageCount(count) };
}

/** The type's pages as read, oldest first: their digests (absent: a page the read did not find). */
export type PagesRead = readonly (Uint8Array | undefined)[];

/** A type's new count and the pages to write; `reason` says how it was counted. */
export interface BucketCount {
  readonly reason: 'untracked' | 'in-list' | 'list-holds-all' | 'paged' | 'pages-lost';
  /** Absent: not exact (a run written before the counts, or its pages lost). */
  readonly count?: number;
  /** Pages to write, by number: the last page as read with the new digests, and new pages. */
  readonly pages: ReadonlyMap<number, Uint8Array>;
}

const NO_PAGES: ReadonlyMap<number, Uint8Array> = new Map();

/**
 * One type's count after a batch: `list` and `count` as read, `named` the batch's buckets of the type, `read`
 * the type's pages when bucketPagesToRead asked for them. Pure. Throws PagesBehindRun when the pages read hold
 * fewer digests than the count (a page read before the write the run was read after): read again.
 */
export function countBuckets(
  { list, count }: { readonly list: readonly string[]; readonly count: number | undefined },
  named: ReadonlySet<string>,
  read?: PagesRead,
): BucketCount {
  if (count === undefined && list.length >= AFFECTED_CAP) return { reason: 'untracked', pages: NO_PAGES };
  const known = count ?? list.length;
  if (allListed(list, named)) return { reason: 'in-list', count: known, pages: NO_PAGES };
  if (known <= AFFECTED_CAP) {
    const all = new Set([...list, ...named]);
    if (all.size <= AFFECTED_CAP) return { reason: 'list-holds-all', count: all.size, pages: NO_PAGES };
    return { reason: 'list-holds-all', count: all.size, pages: appendDigests([], [...new Set([...all].map(bucketDigest))]) };
  }
  if (!read || read.length < pageCount(known)) throw new Error(`countBuckets: ${pageCount(known)} bucket pages needed, ${read?.length ?? 0} read`);
  if (read.some((p) => p === undefined)) return { reason: 'pages-lost', pages: NO_PAGES };
  const pages = read as readonly Uint8Array[];
  const held = pages.reduce((n, p) => n + p.byteLength / BUCKET_DIGEST_BYTES, 0);
  if (held !== known) throw new PagesBehindRun(held, known);
  const have = digestSet(pages);
  const listed = new Set(list);
  const fresh = new Set<string>();
  for (const b of named) {
    if (listed.has(b)) continue;
    const d = bucketDigest(b);
    if (!have.has(d)) fresh.add(d);
  }
  if (fresh.size === 0) return { reason: 'paged', count: known, pages: NO_PAGES };
  return { reason: 'paged', count: known + fresh.size, pages: appendDigests(pages, [...fresh]) };
}

function allListed(list: readonly string[], named: ReadonlySet<string>): boolean {
  if (named.size > list.length) return false;
  const listed = new Set(list);
  for (const b of named) if (!listed.has(b)) return false;
  return true;
}

/** The pages read disagree with the run read with them: a write landed between the two reads. */
export class PagesBehindRun extends Error {
  constructor(held: number, count: number) {
    super(`bucket pages hold ${held} digests, the run counts ${count}`);
    this.name = 'PagesBehindRun';
  }
}

/** New digests after the pages' last digest: the last page filled up to BUCKET_PAGE_DIGESTS, then new pages. Pure. */
export function appendDigests(pages: readonly Uint8Array[], digests: readonly string[]): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  let n = Math.max(0, pages.length - 1);
  let current = pages.length > 0 ? hexDigests(pages[n]) : [];
  // A page is written only when it gains digests: a full page read is never rewritten.
  let gained = false;
  for (const d of digests) {
    if (current.length >= BUCKET_PAGE_DIGESTS) {
      if (gained) out.set(n, Buffer.from(current.join(''), 'hex'));
      n++;
      current = [];
    }
    current.push(d);
    gained = true;
  }
  if (gained) out.set(n, Buffer.from(current.join(''), 'hex'));
  return out;
}

// Memos, not state: a container's next batch of the run counts with the same pages (bucket-page-cache.ts) and names the same buckets.
const digestSets = new WeakMap<readonly Uint8Array[], ReadonlySet<string>>();
const bucketDigests = new Map<string, string>();
const BUCKET_DIGEST_MEMO = 65_536;

function digestSet(pages: readonly Uint8Array[]): ReadonlySet<string> {
  let set = digestSets.get(pages);
  if (!set) {
    set = new Set(pages.flatMap((p) => hexDigests(p)));
    digestSets.set(pages, set);
  }
  return set;
}

/** digestOf a bucket name. */
function bucketDigest(bucket: string): string {
  let digest = bucketDigests.get(bucket);
  if (digest === undefined) {
    if (bucketDigests.size >= BUCKET_DIGEST_MEMO) bucketDigests.clear();
    digest = digestOf(bucket);
    bucketDigests.set(bucket, digest);
  }
  return digest;
}

function hexDigests(page: Uint8Array): string[] {
  const hex = Buffer.from(page.buffer, page.byteOffset, page.byteLength).toString('hex');
  const width = BUCKET_DIGEST_BYTES * 2;
  const out: string[] = [];
  for (let i = 0; i + width <= hex.length; i += width) out.push(hex.slice(i, i + width));
  return out;
}

/** A page to write, of one error type. */
export interface PageWrite {
  readonly errorType: string;
  readonly n: number;
  readonly digests: Uint8Array;
}

/**
 * The run's counts after a batch's fresh events, and the pages to write. `pagesRead`: the pages of each type
 * bucketPagesToRead asked for, by type. Pure.
 */
export function runBucketCounts(
  current: Pick<RunState, 'affected' | 'bucketCounts'> | undefined,
  events: readonly LogEvent[],
  pagesRead: ReadonlyMap<string, PagesRead> = new Map(),
  named: ReadonlyMap<string, ReadonlySet<string>> = namedBuckets(events),
): { counts: Record<string, number> | undefined; pages: PageWrite[] } {
  if (named.size === 0) return { counts: current?.bucketCounts, pages: [] };
  const counts: Record<string, number> = Object.assign(Object.create(null), current?.bucketCounts);
  const pages: PageWrite[] = [];
  for (const [type, buckets] of named) {
    const read = { list: (current && own(current.affected, type)?.buckets) ?? [], count: current?.bucketCounts && own(current.bucketCounts, type) };
    const counted = countBuckets(read, buckets, pagesRead.get(type));
    if (counted.count === undefined) delete counts[type];
    else counts[type] = counted.count;
    for (const [n, digests] of counted.pages) pages.push({ errorType: type, n, digests });
  }
  return { counts: Object.keys(counts).length > 0 ? counts : undefined, pages };
}

type CountedRun = {
  readonly affected: Readonly<Record<string, { readonly buckets: readonly string[] }>>;
  readonly bucketCounts?: Readonly<Record<string, number>>;
};

/** The distinct buckets of one error type: exact when counted, else its capped list's length, exact only below the cap. Pure. */
export function bucketsOfType(run: CountedRun, type: string): NameTotal {
  const list = own(run.affected, type)?.buckets ?? [];
  const count = run.bucketCounts && own(run.bucketCounts, type);
  if (count !== undefined) return { count, exact: true };
  return { count: list.length, exact: list.length < AFFECTED_CAP };
}

/** The distinct buckets any error of the run named (unionTotal of its types), with the names kept. Pure. */
export function bucketsOfRun(run: CountedRun): NameTotal & { readonly names: string[] } {
  const types = Object.keys(run.affected).filter((t) => (own(run.affected, t)?.buckets.length ?? 0) > 0);
  const names = [...new Set(types.flatMap((t) => own(run.affected, t)!.buckets))].sort();
  if (types.length === 0) return { names, count: 0, exact: true };
  return {
    names,
    ...unionTotal(
      types.map((t) => ({ total: bucketsOfType(run, t), listed: own(run.affected, t)!.buckets.length })),
      names.length,
    ),
  };
}
