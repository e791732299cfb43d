import type { RunState } from '../state/job-items';

/** Where a run's log stands at the sweeper's `now`, in Macie's event time, and why. */
export interface LogClock {
  /** Epoch ms, event time. */
  readonly at: number;
  /** How far the run's log reached the pipeline behind Macie's clock. */
  readonly lagMs: number;
  readonly reason: string;
}

/**
 * The run's log clock: the sweeper's clock less how late the run's newest event reached the pipeline, so a run
 * whose completion is queued behind a backlog is not "still running". Pure.
 */
export function logClock(run: Pick<RunState, 'lastEventAt' | 'lastEventArrivedAt'>, now: Date): LogClock {
  const eventAt = Date.parse(run.lastEventAt ?? '');
  const arrivedAt = Date.parse(run.lastEventArrivedAt ?? '');
  if (!Number.isFinite(eventAt) || !Number.isFinite(arrivedAt)) return { at: now.getTime(), lagMs: 0, reason: 'no arrival recorded: the wall clock' };
  // An event stamped after it arrived (clocks that disagree) is taken as on time.
  const lagMs = Math.max(0, arrivedAt - eventAt);
  return {
    at: now.getTime() - lagMs,
    lagMs,
    reason: lagMs === 0 ? 'newest event arrived on time' : `newest event arrived ${Math.round(lagMs / 1000)} s after it occurred`,
  };
}
