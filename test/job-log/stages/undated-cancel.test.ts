import type { RunStatus } from '../../../lambda/state/job-items';
import { undatedCancel } from '../../../lambda/job-log/undated-cancel';

describe('a cancel without runDate ends its run only while the run is open', () => {
  test.each<[string, RunStatus | undefined, boolean, string]>([
    ['a run not seen before', undefined, true, 'the run it lands on has not ended'],
    ['a running run', 'RUNNING', true, 'the run it lands on has not ended'],
    ['a paused run', 'PAUSED', true, 'the run it lands on has not ended'],
    ['a run that matched no bucket', 'NO_BUCKETS', true, 'the run it lands on has not ended'],
    ['a run of unknown status', 'UNKNOWN', true, 'the run it lands on has not ended'],
    ['a completed run', 'COMPLETED', false, 'the run it lands on had ended: the cancel is about the job'],
    ['a cancelled run', 'CANCELLED', false, 'the run it lands on had ended: the cancel is about the job'],
  ])('%s (%s): ends it: %s', (_name, status, ends, reason) => {
    expect(undatedCancel(status ? { status } : undefined)).toEqual({ ends, reason });
  });
});
