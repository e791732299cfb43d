import { BUCKET_PAGE_CACHE_DIGESTS, BUCKET_PAGE_CACHE_MS, BucketPageCache } from '../../lambda/job-log/bucket-page-cache';
import { keys } from '../../lambda/state/table';
import type { ItemKey } from '../../lambda/state/table';
import { at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { harness } from './helpers';

const page = (digests: number) => new Uint8Array(digests * 8);

describe('a container keeps the bucket pages it last counted with', () => {
  test.each<[string, (c: BucketPageCache) => void, number, number, boolean]>([
    // [case, what the container did, count the run holds now, minutes later, pages served]
    ['the run counts what the container wrote: served', (c) => c.remember('j', 'r', 'T', [page(4096), page(20)], 0), 4116, 1, true],
    ['another container added buckets since: read again', (c) => c.remember('j', 'r', 'T', [page(20)], 0), 25, 1, false],
    ['past the cache age: read again', (c) => c.remember('j', 'r', 'T', [page(20)], 0), 20, BUCKET_PAGE_CACHE_MS / 60_000, false],
    ['another type of the run: nothing to serve', (c) => c.remember('j', 'r', 'U', [page(20)], 0), 20, 1, false],
    [
      'too many digests for one container: not kept',
      (c) => c.remember('j', 'r', 'T', [page(BUCKET_PAGE_CACHE_DIGESTS + 1)], 0),
      BUCKET_PAGE_CACHE_DIGESTS + 1,
      1,
      false,
    ],
    [
      'the oldest entry goes when the container is full',
      (c) => {
        c.remember('j', 'r', 'T', [page(BUCKET_PAGE_CACHE_DIGESTS / 2)], 0);
        c.remember('j', 'r', 'U', [page(BUCKET_PAGE_CACHE_DIGESTS / 2)], 0);
        c.remember('j', 'r', 'V', [page(1)], 0);
      },
      BUCKET_PAGE_CACHE_DIGESTS / 2,
      1,
      false,
    ],
  ])('%s', (_name, did, count, minutes, served) => {
    const cache = new BucketPageCache();
    did(cache);
    expect(cache.pages('j', 'r', 'T', count, minutes * 60_000) !== undefined).toBe(served);
  });
});

describe('bucket pages across containers (DynamoDB Local)', () => {
  const RUN = '2024-04-14T17:09:30.574809Z';
  const TYPE = 'BUCKET_ACCESS_DENIED';
  const buckets = (from: number, n: number) => Array.from({ length: n }, (_, i) => `bucket-${from + i}`);
  const events = (names: readonly string[], minute: number) => {
    const ev = jobStream('job-pages', 'Pages', RUN);
    return names.map((b, i) => ev(TYPE, at(RUN, minute + i / 1_000), bucketError(b, '222233334444')));
  };
  /** The bucket page keys each getMany of this store asked for. */
  const pageReads = (store: { getMany: (keys: readonly ItemKey[]) => Promise<unknown> }) => {
    const read: string[][] = [];
    const getMany = store.getMany.bind(store);
    store.getMany = (ks: readonly ItemKey[]) => {
      read.push(ks.filter((k) => String(k.sk).startsWith('BUCKETS#')).map((k) => String(k.sk)));
      return getMany(ks);
    };
    return read;
  };

  test('a container counts with the pages it wrote, and reads them again when another container wrote since: the count stays exact', async () => {
    const a = await harness();
    // A second container: the same table, a cache of its own.
    const b = await harness({}, Object.create(a.store));
    const readByA = pageReads(a.store);
    await a.send(events(buckets(0, 15), 1));
    // The first batch names more than the list holds: it reads the first page with the run, in the same request.
    readByA.length = 0;
    await a.send(events(buckets(0, 15), 2));
    // The second batch names only counted buckets, and the container holds the page it wrote: no page read.
    expect(readByA.flat()).toEqual([]);
    await b.send(events(buckets(15, 5), 3));
    expect((await a.run('job-pages', RUN))?.bucketCounts).toEqual({ [TYPE]: 20 });
    // A's cached page holds 15: the run counts 20, so A reads the page B wrote, and counts the new ones once.
    await a.send(events([...buckets(10, 10), ...buckets(20, 3)], 4));
    expect(readByA.flat().length).toBeGreaterThan(0);
    const run = await a.run('job-pages', RUN);
    expect(run?.bucketCounts).toEqual({ [TYPE]: 23 });
    const pages = await a.store.listPrefix(keys.run('job-pages', RUN).pk, 'BUCKETS#');
    expect(pages.reduce((n, p) => n + (p.digests as Uint8Array).byteLength / 8, 0)).toBe(23);
  });
});
