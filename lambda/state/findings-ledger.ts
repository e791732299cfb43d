import type { Condition, Item, WriteOp } from './store';
import { keys } from './table';

/**
 * A job run's findings ledger: makes "counted before the summary" and "counted after it" exclusive (the
 * protocol: docs/design-notes.md).
 */
export interface FindingsLedger {
  /** Findings writes counted into the run before its summary (absent: none yet). */
  readonly version?: number;
  /** When the run's summary was saved: from then on the run's findings are late. */
  readonly summarizedAt?: string;
  /** When the run ended (Macie's time), saved with the summary: a finding created after it is of a later run. */
  readonly endedAt?: string;
}

const VERSION = 'findingsVersion';
const SUMMARIZED = 'summarizedAt';
const ENDED = 'endedAt';

/** The ledger as read (absent, or past its TTL: nothing counted, not summarised). */
export function readLedger(item: Item | undefined): FindingsLedger {
  const version = item?.[VERSION];
  const text = (name: string) => (typeof item?.[name] === 'string' ? (item[name] as string) : undefined);
  return { version: typeof version === 'number' ? version : undefined, summarizedAt: text(SUMMARIZED), endedAt: text(ENDED) };
}

/**
 * The findings write's part: one more write counted before the summary, only while there is none. An expired
 * ledger reads as absent, so it is taken as absent here too, its old mark dropped (REMOVE is a no-op otherwise).
 */
export function countBeforeSummary(jobId: string, runDate: string, expiresAt: number): Extract<WriteOp, { kind: 'update' }> {
  return {
    kind: 'update',
    key: keys.runFindingsLedger(jobId, runDate),
    expression: 'SET #ttl = :ttl REMOVE #summarized, #ended ADD #version :one',
    names: { '#ttl': 'expiresAt', '#summarized': SUMMARIZED, '#ended': ENDED, '#version': VERSION },
    values: { ':ttl': expiresAt, ':one': 1 },
    condition: { expression: 'attribute_not_exists(#summarized)', names: { '#summarized': SUMMARIZED }, orExpired: true },
  };
}

/** The summary's part: the run is summarised, if no findings write was counted since the ledger was read. */
export function markSummarized(
  jobId: string,
  runDate: string,
  read: FindingsLedger,
  at: { readonly summarizedAt: string; readonly endedAt?: string },
  expiresAt: number,
): Extract<WriteOp, { kind: 'update' }> {
  const unchanged: Condition =
    read.version === undefined
      ? { expression: 'attribute_not_exists(#version)', names: { '#version': VERSION }, orExpired: true }
      : { expression: '#version = :version', names: { '#version': VERSION }, values: { ':version': read.version } };
  return {
    kind: 'update',
    key: keys.runFindingsLedger(jobId, runDate),
    expression: `SET #summarized = :at, #ttl = :ttl${at.endedAt ? ', #ended = :ended' : ''}`,
    names: { '#summarized': SUMMARIZED, '#ttl': 'expiresAt', ...(at.endedAt ? { '#ended': ENDED } : {}) },
    values: { ':at': at.summarizedAt, ':ttl': expiresAt, ...(at.endedAt ? { ':ended': at.endedAt } : {}) },
    condition: unchanged,
  };
}
