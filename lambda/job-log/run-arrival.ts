import type { RunReduction } from './run-state';
import { runEndedAt, type RunState } from '../state/job-items';

/**
 * When a batch reached the pipeline, kept on the run beside Macie's event times, so the sweeper judges a run by how
 * far its log has come and the digest places a late end in the next digest. A duplicate batch changes nothing.
 */
export function withArrival(r: RunReduction, read: RunState | undefined, now: Date): RunReduction {
  if (r.duplicate) return r;
  const newest = r.run.lastEventAt !== undefined && r.run.lastEventAt !== read?.lastEventAt;
  const ended = runEndedAt(r.run) !== undefined && (read === undefined || runEndedAt(read) === undefined);
  if (!newest && !ended) return r;
  const at = now.toISOString();
  return { ...r, run: { ...r.run, ...(newest ? { lastEventArrivedAt: at } : {}), ...(ended ? { endArrivedAt: at } : {}) } };
}
