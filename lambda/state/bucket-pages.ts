import * as z from 'zod/mini';
import { itemCodec } from './codec';
import { keys } from './table';

/**
 * The distinct buckets one error type of a run named, exactly, once the run's capped list (10 names) can no
 * longer hold them all: 8-byte digests of the bucket names (SHA-1, first 8 bytes), in pages of at most
 * BUCKET_PAGE_DIGESTS (32 KB). Pages fill in order and only the last one is ever rewritten, so no item grows with
 * the number of buckets: 1,000,000 buckets of one type are 245 pages of 32 KB (docs/scale.md). Every page is
 * written in the run's transaction, and the run item holds the exact count (`bucketCounts`): a consistent read
 * of the run and its pages has as many digests as that count.
 */
export interface BucketPage {
  readonly jobId: string;
  readonly runDate: string;
  readonly errorType: string;
  readonly n: number;
  /** BUCKET_DIGEST_BYTES per bucket, one after the other. */
  readonly digests: Uint8Array;
  readonly expiresAt: number;
}

export const BUCKET_DIGEST_BYTES = 8;
export const BUCKET_PAGE_DIGESTS = 4096;

/** How many pages hold `count` digests. */
export function pageCount(count: number): number {
  return Math.ceil(count / BUCKET_PAGE_DIGESTS);
}

const BucketPageSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  jobId: z.string(),
  runDate: z.string(),
  errorType: z.string(),
  n: z.number(),
  digests: z
    .instanceof(Uint8Array)
    .check(z.refine((d) => d.byteLength % BUCKET_DIGEST_BYTES === 0, `not a whole number of ${BUCKET_DIGEST_BYTES}-byte digests`)),
  expiresAt: z.number(),
});

export const BucketPageCodec = itemCodec(
  'bucket page',
  BucketPageSchema,
  (p: BucketPage) => ({
    ...keys.runBucketPage(p.jobId, p.runDate, p.errorType, p.n),
    jobId: p.jobId,
    runDate: p.runDate,
    errorType: p.errorType,
    n: p.n,
    digests: p.digests,
    expiresAt: p.expiresAt,
  }),
  ({ pk: _pk, sk: _sk, ...page }): BucketPage => page,
);
