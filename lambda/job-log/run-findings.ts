import * as z from 'zod/mini';
import { SilencedEventsSchema, type SilencedEvents } from '../state/codec';
import type { Item } from '../state/store';

/**
 * A run's sensitive-data findings as its summary counts them: the findings groups the findings pipeline
 * writes under the job's partition, added up. Pure.
 */
export interface FindingsSummary {
  readonly total: number;
  readonly bySeverity: Readonly<Record<string, number>>;
  readonly byType: Readonly<Record<string, number>>;
  /** Buckets with the most findings, most first (at most 10). */
  readonly topBuckets: readonly { bucket: string; count: number }[];
  readonly bucketCount: number;
  /** Findings a silence matched (counted in the totals, not alerted), by silence id. */
  readonly silenced?: Readonly<Record<string, SilencedEvents>>;
}

export function summarizeFindings(items: readonly Item[]): FindingsSummary {
  const bySeverity: Record<string, number> = {};
  const byType: Record<string, number> = {};
  const byBucket = new Map<string, number>();
  let total = 0;
  for (const item of items) {
    const count = typeof item.count === 'number' && Number.isFinite(item.count) ? item.count : 0;
    if (count <= 0) continue;
    total += count;
    const type = typeof item.findingType === 'string' ? item.findingType : 'unknown';
    byType[type] = (byType[type] ?? 0) + count;
    const bucket = typeof item.bucket === 'string' ? item.bucket : 'unknown';
    byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + count);
    const sev = item.bySeverity;
    if (sev && typeof sev === 'object') {
      for (const [k, v] of Object.entries(sev as Record<string, unknown>)) {
        if (typeof v === 'number' && Number.isFinite(v)) bySeverity[k] = (bySeverity[k] ?? 0) + v;
      }
    }
  }
  const topBuckets = [...byBucket.entries()]
    .map(([bucket, count]) => ({ bucket, count }))
    .sort((a, b) => b.count - a.count || (a.bucket < b.bucket ? -1 : 1))
    .slice(0, 10);
  const silenced = silencedFindings(items);
  return { total, bySeverity, byType, topBuckets, bucketCount: byBucket.size, ...(silenced ? { silenced } : {}) };
}

/** The groups' silenced findings added up per silence (the groups' own bookkeeping, see lambda/state/codec.ts). */
function silencedFindings(items: readonly Item[]): Record<string, SilencedEvents> | undefined {
  const all: Record<string, SilencedEvents> = Object.create(null);
  for (const item of items) {
    const parsed = z.optional(z.record(z.string(), SilencedEventsSchema)).safeParse(item.silenced);
    if (!parsed.success || !parsed.data) continue;
    for (const [id, s] of Object.entries(parsed.data)) {
      const events: Record<string, number> = Object.assign(Object.create(null), Object.hasOwn(all, id) ? all[id].events : undefined);
      for (const [type, n] of Object.entries(s.events)) events[type] = (Object.hasOwn(events, type) ? events[type] : 0) + n;
      all[id] = { ...s, events };
    }
  }
  return Object.keys(all).length > 0 ? all : undefined;
}
