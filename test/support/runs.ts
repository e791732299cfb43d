import type { RunState } from '../../lambda/state/job-items';
import { NO_ACCOUNTS } from '../../lambda/state/run-accounts';

/** A run's state as the job-log room stores it: the given fields, and empty collections for the rest. */
export function testRun(run: Pick<RunState, 'jobId' | 'runDate'> & Partial<RunState>): RunState {
  return {
    jobName: run.jobId,
    adminAccountId: '123456789012',
    region: 'eu-west-1',
    status: 'COMPLETED',
    bucketsMatched: 1,
    errors: {},
    affected: {},
    accounts: NO_ACCOUNTS,
    groups: {},
    statusEvents: [],
    appliedBatches: [],
    ...run,
  };
}
