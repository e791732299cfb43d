import type { StatusChange } from './run-status';
import { isTerminal } from './run-status';

/**
 * A JOB_CANCELLED without a runDate is about the job (Macie cancels every idle periodic job when it is suspended,
 * say): it goes to the job's current run, and ends that run only if it is still open. A run that had completed
 * (or was cancelled already) keeps its status and end time.
 */
export type UndatedCancel =
  | { readonly ends: true; readonly reason: 'the run it lands on has not ended' }
  | { readonly ends: false; readonly reason: 'the run it lands on had ended: the cancel is about the job' };

/** Does a cancel without runDate end the run whose status so far is `winner`? */
export function undatedCancel(winner: Pick<StatusChange, 'status'> | undefined): UndatedCancel {
  if (isTerminal(winner?.status)) return { ends: false, reason: 'the run it lands on had ended: the cancel is about the job' };
  return { ends: true, reason: 'the run it lands on has not ended' };
}
