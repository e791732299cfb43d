import { jobEventTelling } from '../../../lambda/job-log/job-events';
import { ev } from './stage-events';

describe("after its run's summary, which events are about the job", () => {
  test.each([
    ['a pause by a user', ev('JOB_PAUSED_BY_USER', 90), true, 'the job was paused or resumed after its run was summarised'],
    ['a pause by the quota', ev('JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', 90), true, 'the job was paused or resumed after its run was summarised'],
    ['a resumption by a user', ev('JOB_RESUMED_BY_USER', 90), true, 'the job was paused or resumed after its run was summarised'],
    ['a pause without runDate', ev('JOB_PAUSED_BY_USER', 90, { runDate: null }), true, 'the job was paused or resumed after its run was summarised'],
    ['a cancel without runDate', ev('JOB_CANCELLED', 90, { runDate: null }), true, 'the job was cancelled after its run ended'],
    ['a cancel naming the run', ev('JOB_CANCELLED', 90), false, 'an event of the run: its summary or correction tells it'],
    ['a late error', ev('BUCKET_ACCESS_DENIED', 90), false, 'an event of the run: its summary or correction tells it'],
    ['a late completion', ev('SCHEDULED_RUN_COMPLETED', 90), false, 'an event of the run: its summary or correction tells it'],
    ['no buckets matched', ev('NO_BUCKETS_MATCHED_THE_CRITERIA', 90), false, 'an event of the run: its summary or correction tells it'],
  ])('%s: about the job %s', (_name, event, tell, reason) => {
    expect(jobEventTelling(event)).toEqual({ tell, reason });
  });
});
