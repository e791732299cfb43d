import * as z from 'zod/mini';
import { itemCodec } from './codec';
import { keys } from './table';

/** The size of one log event digest (job-log/applied-events.ts). */
export const DIGEST_BYTES = 8;

const text = z.string();
const count = z.number();

/** The digests of the log events one batch applied to a run (the n-th batch applied to it). */
export interface AppliedEvents {
  readonly jobId: string;
  readonly runDate: string;
  readonly n: number;
  /** 8 bytes per log event id (job-log/applied-events.ts). */
  readonly digests: Uint8Array;
  readonly expiresAt: number;
}

const AppliedEventsSchema = z.object({
  pk: text,
  sk: text,
  jobId: text,
  runDate: text,
  n: count,
  digests: z.instanceof(Uint8Array).check(z.refine((d) => d.byteLength % DIGEST_BYTES === 0, `not a whole number of ${DIGEST_BYTES}-byte digests`)),
  expiresAt: count,
});

/** An applied-events item: written once, with the run's write, and never changed (it expires with the run). */
export const AppliedEventsCodec = itemCodec(
  'applied events',
  AppliedEventsSchema,
  (a: AppliedEvents) => ({
    ...keys.runAppliedEvents(a.jobId, a.runDate, a.n),
    jobId: a.jobId,
    runDate: a.runDate,
    n: a.n,
    digests: a.digests,
    expiresAt: a.expiresAt,
  }),
  ({ pk: _pk, sk: _sk, ...applied }): AppliedEvents => applied,
);
