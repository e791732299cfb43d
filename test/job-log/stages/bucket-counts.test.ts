import { digestOf } from '../../../lambda/job-log/applied-events';
import {
  appendDigests,
  bucketPagesToRead,
  bucketsOfRun,
  bucketsOfType,
  countBuckets,
  PagesBehindRun,
  runBucketCounts,
  type BucketCount,
} from '../../../lambda/job-log/bucket-counts';
import { AFFECTED_CAP } from '../../../lambda/job-log/capped-list';
import { BUCKET_PAGE_DIGESTS } from '../../../lambda/state/bucket-pages';
import { bucket, ev } from './stage-events';

const names = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `bucket-${String(from + i).padStart(5, '0')}`);
const pageOf = (buckets: readonly string[]) => Buffer.from(buckets.map(digestOf).join(''), 'hex');
const digestsIn = (pages: ReadonlyMap<number, Uint8Array>) => [...pages.values()].reduce((n, p) => n + p.byteLength / 8, 0);
const ten = names(AFFECTED_CAP);

describe('how a run counts the distinct buckets of an error type', () => {
  test.each<[string, { list: string[]; count: number | undefined }, string[], Uint8Array[] | undefined, BucketCount['reason'], number | undefined, number]>([
    // [case, as read, named by the batch, pages read, reason, count after, digests written]
    ['a first bucket: the list holds it, nothing else is written', { list: [], count: undefined }, ['b-1'], undefined, 'list-holds-all', 1, 0],
    ['ten buckets: still the list alone', { list: names(9), count: 9 }, names(1, 9), undefined, 'list-holds-all', 10, 0],
    ['the eleventh: every bucket moves to the first page', { list: ten, count: 10 }, names(1, 10), undefined, 'list-holds-all', 11, 11],
    ['a bucket the list holds: no page read, no write', { list: ten, count: 500 }, [ten[3]], undefined, 'in-list', 500, 0],
    ['paged, a known bucket: counted once', { list: ten, count: 12 }, ['bucket-00011'], [pageOf(names(12))], 'paged', 12, 0],
    ['paged, a new bucket: added to the last page', { list: ten, count: 12 }, ['zzz'], [pageOf(names(12))], 'paged', 13, 13],
    ['a run written before the counts, list capped: "at least" as before', { list: ten, count: undefined }, ['zzz'], undefined, 'untracked', undefined, 0],
    ['a run written before the counts, list not capped: counted from now', { list: names(3), count: undefined }, ['zzz'], undefined, 'list-holds-all', 4, 0],
    ['a page past its TTL: the count is no longer exact', { list: ten, count: 12 }, ['zzz'], [undefined as unknown as Uint8Array], 'pages-lost', undefined, 0],
  ])('%s', (_name, read, named, pages, reason, count, written) => {
    const got = countBuckets(read, new Set(named), pages);
    expect({ reason: got.reason, count: got.count, written: digestsIn(got.pages) }).toEqual({ reason, count, written });
  });

  test('pages that disagree with the count were read around a write: read again', () => {
    expect(() => countBuckets({ list: ten, count: 13 }, new Set(['zzz']), [pageOf(names(12))])).toThrow(PagesBehindRun);
    expect(() => countBuckets({ list: ten, count: 11 }, new Set(['zzz']), [pageOf(names(12))])).toThrow(PagesBehindRun);
  });

  test('5,000 new buckets in one batch: two pages written, the first full, the count exact', () => {
    const got = countBuckets({ list: ten, count: 10 }, new Set(names(5_000)), undefined);
    expect([got.count, [...got.pages.keys()], got.pages.get(0)!.byteLength / 8]).toEqual([5_000, [0, 1], BUCKET_PAGE_DIGESTS]);
  });

  test('a full last page is left as is: the new digests start the next page', () => {
    const full = pageOf(names(BUCKET_PAGE_DIGESTS));
    const got = appendDigests([full], [digestOf('zzz')]);
    expect([...got.keys()]).toEqual([1]);
  });
});

describe('which pages a batch reads', () => {
  const run = (list: string[], count?: number) => ({
    affected: { BUCKET_ACCESS_DENIED: { buckets: list, accounts: [], total: 1 } },
    bucketCounts: count === undefined ? undefined : { BUCKET_ACCESS_DENIED: count },
  });
  test.each<[string, ReturnType<typeof run> | undefined, string[], ReturnType<typeof bucketPagesToRead>]>([
    ['a new run', undefined, names(20), { reason: 'list-holds-all', pages: 0 }],
    ['buckets the list holds', run(ten, 9_000), [ten[0]], { reason: 'in-list', pages: 0 }],
    ['a small type', run(names(4), 4), ['zzz'], { reason: 'list-holds-all', pages: 0 }],
    ['9,000 buckets: three pages', run(ten, 9_000), ['zzz'], { reason: 'paged', pages: 3 }],
    ['a run written before the counts', run(ten), ['zzz'], { reason: 'untracked', pages: 0 }],
  ])('%s', (_name, read, named, want) => {
    expect(bucketPagesToRead(read, 'BUCKET_ACCESS_DENIED', new Set(named))).toEqual(want);
  });
});

describe("a run's bucket totals", () => {
  const A = 'BUCKET_ACCESS_DENIED';
  const B = 'BUCKET_DOES_NOT_EXIST';
  const set = (buckets: string[]) => ({ buckets, accounts: [], total: buckets.length });
  test.each<[string, Parameters<typeof bucketsOfRun>[0], { count: number; exact: boolean }]>([
    ['one type, counted', { affected: { [A]: set(ten) }, bucketCounts: { [A]: 6_000 } }, { count: 6_000, exact: true }],
    ['one type, a run written before the counts', { affected: { [A]: set(ten) } }, { count: 10, exact: false }],
    [
      'two small types sharing a bucket: the union',
      { affected: { [A]: set(['a', 'b']), [B]: set(['b', 'c']) }, bucketCounts: { [A]: 2, [B]: 2 } },
      { count: 3, exact: true },
    ],
    [
      'two types, one paged: the larger count, at least',
      { affected: { [A]: set(ten), [B]: set(['zz']) }, bucketCounts: { [A]: 40, [B]: 1 } },
      { count: 40, exact: false },
    ],
  ])('%s', (_name, run, want) => {
    const { count, exact } = bucketsOfRun(run);
    expect({ count, exact }).toEqual(want);
  });

  test('a type below the cap is exact without a count (its list holds every bucket)', () => {
    expect(bucketsOfType({ affected: { [A]: set(['a', 'b']) } }, A)).toEqual({ count: 2, exact: true });
  });
});

describe('a batch of events', () => {
  test('counts its distinct buckets per type and names the pages to write', () => {
    const events = names(12).flatMap((b, i) => [ev('BUCKET_ACCESS_DENIED', i, bucket(b)), ev('BUCKET_ACCESS_DENIED', i, bucket(b))]);
    const got = runBucketCounts(undefined, events);
    expect([got.counts, got.pages.map((p) => [p.errorType, p.n, p.digests.byteLength])]).toEqual([
      { BUCKET_ACCESS_DENIED: 12 },
      [['BUCKET_ACCESS_DENIED', 0, 96]],
    ]);
  });
});
