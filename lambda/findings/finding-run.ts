import { compareIso } from '../core/iso-time';
import { UNKNOWN_RUN } from '../state/table';

/**
 * How long a finding whose run the job log has not shown is held back from its creation; past this the run is not
 * coming, and the finding is counted in run UNKNOWN rather than kept from alerting or dead-lettered.
 */
export const HOLD_FOR_RUN_MINUTES = 30;

/** Which run of its job a sensitive-data finding is counted in, or why it is held back, with the reason. */
export type FindingRun =
  | { readonly run: string; readonly reason: 'the newest run start before the finding was created' }
  | { readonly run: typeof UNKNOWN_RUN; readonly reason: 'created before the job runs the job log keeps' | 'its run not shown by the job log in time' }
  | { readonly held: string };

/** The job's newest run start at or before `createdAt` (run dates and finding times are ISO 8601). */
export function runStartBefore(createdAt: string, starts: readonly string[]): string | undefined {
  // By instant: Macie writes times with and without milliseconds.
  return starts
    .filter((s) => Date.parse(s) <= Date.parse(createdAt))
    .sort(compareIso)
    .at(-1);
}

/**
 * Decided from the finding's creation time, the job's recent run starts (with its current run), when the
 * newest run started before it ended (its findings ledger keeps that once the run is summarised), and the
 * wall clock. A finding created after that run ended belongs to a run the job log has not shown yet.
 */
export function findingRun(input: {
  readonly createdAt: string;
  readonly starts: readonly string[];
  readonly candidateEndedAt?: string;
  readonly now: Date;
}): FindingRun {
  const { createdAt, starts, candidateEndedAt, now } = input;
  const candidate = runStartBefore(createdAt, starts);
  if (candidate && !(candidateEndedAt && Date.parse(createdAt) > Date.parse(candidateEndedAt)))
    return { run: candidate, reason: 'the newest run start before the finding was created' };
  if (!candidate && starts.length > 0) return { run: UNKNOWN_RUN, reason: 'created before the job runs the job log keeps' };
  if (now.getTime() - Date.parse(createdAt) >= HOLD_FOR_RUN_MINUTES * 60_000) return { run: UNKNOWN_RUN, reason: 'its run not shown by the job log in time' };
  return {
    held: candidate
      ? `created at ${createdAt}, after run ${candidate} ended (${candidateEndedAt}): its run is not in the job log yet`
      : `created at ${createdAt}; the job log has shown no run of this job yet`,
  };
}
