import { compareInstants, instantOf, type Instant } from '../core/iso-time';
import type { RunState, RunStatus } from '../state/job-items';
import { classify, type EventEffect } from './event-types';

/** The status each status event sets, and its rank among changes at the same instant. */
const STATUS_OF: Partial<Record<EventEffect, { readonly status: RunStatus; readonly rank: number }>> = {
  RUN_STARTED: { status: 'RUNNING', rank: 0 },
  NO_BUCKETS: { status: 'NO_BUCKETS', rank: 1 },
  PAUSED_BY_USER: { status: 'PAUSED', rank: 2 },
  PAUSED_BY_QUOTA: { status: 'PAUSED', rank: 2 },
  RESUMED: { status: 'RUNNING', rank: 3 },
  COMPLETED: { status: 'COMPLETED', rank: 4 },
  CANCELLED: { status: 'CANCELLED', rank: 5 },
};

/** A status change: the status, the event that asks for it and when. */
export interface StatusChange {
  readonly status: RunStatus;
  readonly eventType: string;
  readonly effect: EventEffect;
  readonly at: Instant;
  readonly rank: number;
  /** A cancel without runDate: about the job, so a completion of the run beats it (undated-cancel.ts). */
  readonly undated?: boolean;
}

export function isTerminal(status: RunStatus | undefined): status is 'COMPLETED' | 'CANCELLED' {
  return status === 'COMPLETED' || status === 'CANCELLED';
}

/** Does an event of this effect end the run (its summary is the alert)? */
export function endsRun(effect: EventEffect): boolean {
  return effect === 'COMPLETED' || effect === 'CANCELLED';
}

export function changesStatus(effect: EventEffect): boolean {
  return STATUS_OF[effect] !== undefined;
}

/** The status change an event asks for, if it asks for one. */
export function statusChange(eventType: string, effect: EventEffect, at: Instant, undated = false): StatusChange | undefined {
  const to = STATUS_OF[effect];
  return to && { status: to.status, eventType, effect, at, rank: to.rank, ...(undated && effect === 'CANCELLED' ? { undated } : {}) };
}

/** The change that set the run's status as read. */
export function currentStatusChange(run: RunState | undefined): StatusChange | undefined {
  if (run?.statusAt === undefined || run.statusEvent === undefined) return undefined;
  const effect = classify(run.statusEvent).effect;
  return {
    status: run.status,
    eventType: run.statusEvent,
    effect,
    at: instantOf(run.statusAt),
    rank: STATUS_OF[effect]?.rank ?? 0,
    ...(run.statusUndated ? { undated: true } : {}),
  };
}

/**
 * Total order on status changes: terminal beats non-terminal, a completion beats a cancel without runDate (which
 * only ends a run still open: whichever arrives first, the run completed), then later event time, then rank,
 * then type.
 */
export function statusBeats(a: StatusChange, b: StatusChange | undefined): boolean {
  if (!b) return true;
  if (a.status === 'COMPLETED' && b.undated) return true;
  if (b.status === 'COMPLETED' && a.undated) return false;
  const ta = isTerminal(a.status) ? 1 : 0;
  const tb = isTerminal(b.status) ? 1 : 0;
  if (ta !== tb) return ta > tb;
  const t = compareInstants(a.at, b.at);
  if (t !== 0) return t > 0;
  if (a.rank !== b.rank) return a.rank > b.rank;
  return a.eventType > b.eventType;
}
