import type { RunReduction } from './run-state';
import { runEndedAt, type RunState } from '../state/job-items';

/**
 * When a batch reached the pipeline, kept on the run beside Macie's event times: `lastEventArrivedAt` when the
 * batch holds the run's newest event, `endArrivedAt` when it ended the run (kept from then on). The sweeper
 * judges a run "still running" by how far its log has come, so a backlog of log events ahead of its
 * completion raises nothing (sweep.ts); the daily digest places an end that arrived after the digest covering
 * its time in the next one (runEndReportedAt). `now` is the invocation's clock; a duplicate batch writes
 * nothing, so changes nothing.
 */
export function withArrival(r: RunReduction, read: RunState | undefined, now: Date): RunReduction {
  if (r.duplicate) return r;
  const newest = r.run.lastEventAt !== undefined && r.run.lastEventAt !== read?.lastEventAt;
  const ended = runEndedAt(r.run) !== undefined && (read === undefined || runEndedAt(read) === undefined);
  if (!newest && !ended) return r;
  const at = now.toISOString();
  return { ...r, run: { ...r.run, ...(newest ? { lastEventArrivedAt: at } : {}), ...(ended ? { endArrivedAt: at } : {}) } };
}
