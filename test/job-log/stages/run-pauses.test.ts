import { pausesOf } from '../../../lambda/job-log/run-pauses';
import type { RunPause } from '../../../lambda/job-log/run-summary';
import type { StatusEvent } from '../../../lambda/state/job-items';
import { at, RUN } from './stage-events';

const event = (type: string, minute: number): StatusEvent => ({ type, at: at(RUN, minute) });
const QUOTA = 'JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET';
const LIFTED = 'JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED';

const cases: { name: string; events: StatusEvent[]; want: RunPause[] }[] = [
  { name: 'no pause', events: [event('NO_BUCKETS_MATCHED_THE_CRITERIA', 1), event('JOB_COMPLETED', 9)], want: [] },
  { name: 'a pause and its resumption', events: [event(QUOTA, 10), event(LIFTED, 70)], want: [{ by: 'QUOTA', from: at(RUN, 10), to: at(RUN, 70) }] },
  { name: 'a pause never resumed', events: [event('JOB_PAUSED_BY_USER', 10)], want: [{ by: 'USER', from: at(RUN, 10) }] },
  { name: 'a resumption with no pause before it tells nothing', events: [event('JOB_RESUMED_BY_USER', 10)], want: [] },
  {
    name: 'the same cause again while paused is the same pause',
    events: [event(QUOTA, 10), event(QUOTA, 20), event(LIFTED, 30)],
    want: [{ by: 'QUOTA', from: at(RUN, 10), to: at(RUN, 30) }],
  },
  {
    name: 'a user pausing a run the quota paused starts a second pause; the first has no resumption of its own',
    events: [event(QUOTA, 10), event('JOB_PAUSED_BY_USER', 20), event('JOB_RESUMED_BY_USER', 30)],
    want: [
      { by: 'QUOTA', from: at(RUN, 10) },
      { by: 'USER', from: at(RUN, 20), to: at(RUN, 30) },
    ],
  },
  {
    name: 'two pauses, in any order of arrival',
    events: [event('JOB_RESUMED_BY_USER', 50), event(LIFTED, 20), event('JOB_PAUSED_BY_USER', 40), event(QUOTA, 10)],
    want: [
      { by: 'QUOTA', from: at(RUN, 10), to: at(RUN, 20) },
      { by: 'USER', from: at(RUN, 40), to: at(RUN, 50) },
    ],
  },
  {
    name: 'times compared as instants, whatever the offset they were written in',
    events: [{ type: LIFTED, at: '2024-06-03T04:30:00+02:00' }, event(QUOTA, 10)],
    want: [{ by: 'QUOTA', from: at(RUN, 10), to: '2024-06-03T04:30:00+02:00' }],
  },
];

describe("pauses after the run's end are the job's, not the run's", () => {
  test('a pause and resumption after the end are left out; those before it are told', () => {
    const events = [event(QUOTA, 10), event(LIFTED, 20), event('JOB_PAUSED_BY_USER', 600), event('JOB_RESUMED_BY_USER', 900)];
    expect(pausesOf(events, at(RUN, 40))).toEqual([{ by: 'QUOTA', from: at(RUN, 10), to: at(RUN, 20) }]);
    expect(pausesOf(events)).toHaveLength(2);
  });
});

describe('the pauses of a run, told from its status events', () => {
  test.each(cases)('$name', ({ events, want }) => {
    expect(pausesOf(events)).toEqual(want);
  });
});
