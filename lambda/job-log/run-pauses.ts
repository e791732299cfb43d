import { compareInstants, instantOf } from '../core/iso-time';
import type { StatusEvent } from '../state/job-items';
import { classify, type EventEffect } from './event-types';
import type { RunPause } from './run-summary';

const PAUSE_CAUSE: Partial<Record<EventEffect, RunPause['by']>> = { PAUSED_BY_QUOTA: 'QUOTA', PAUSED_BY_USER: 'USER' };

/**
 * The run's pauses, from its status events (a set, so the story is the same whatever order the events
 * arrived in): each pause lasts until the next resumption. A pause of another cause while one is open (a
 * user pausing a run the quota paused) starts a new pause; the first then has no resumption of its own.
 */
export function pausesOf(statusEvents: readonly StatusEvent[], endedAt?: string): RunPause[] {
  // A pause or resumption after the run ended is the job's, between runs (job-events.ts), not the run's.
  const end = endedAt === undefined ? undefined : instantOf(endedAt);
  const events = statusEvents
    .map((e) => ({ effect: classify(e.type).effect, at: instantOf(e.at) }))
    .filter((e) => (PAUSE_CAUSE[e.effect] || e.effect === 'RESUMED') && !(end && compareInstants(e.at, end) > 0))
    .sort((a, b) => compareInstants(a.at, b.at) || (a.effect < b.effect ? -1 : a.effect > b.effect ? 1 : 0));
  const pauses: RunPause[] = [];
  let open: RunPause | undefined;
  for (const e of events) {
    const cause = PAUSE_CAUSE[e.effect];
    if (cause) {
      if (open?.by === cause) continue;
      if (open) pauses.push(open);
      open = { by: cause, from: e.at.iso };
    } else if (open) {
      pauses.push({ ...open, to: e.at.iso });
      open = undefined;
    }
  }
  if (open) pauses.push(open);
  return pauses;
}
