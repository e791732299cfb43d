import { needsFindings, needsPrevious, previousRunDate } from '../../../lambda/job-log/read-plan';
import type { LogEvent } from '../../../lambda/job-log/log-events';
import type { JobState, RunState } from '../../../lambda/state/job-items';
import { testRun } from '../../support/runs';
import { at, bucket, ev, JOB, RUN, settings } from './stage-events';

const BEFORE = at(RUN, -24 * 60);
const periodic: JobState = { jobId: JOB, kind: 'SCHEDULED', recentRunStarts: [at(RUN, -48 * 60), BEFORE, RUN, at(RUN, 24 * 60)], routedBatches: [] };
const oneTime: JobState = { ...periodic, kind: 'ONE_TIME' };
const open = (r: Partial<RunState> = {}) => testRun({ jobId: JOB, runDate: RUN, status: 'RUNNING', ...r });

describe('what a batch must read besides its run', () => {
  test.each<[string, RunState | undefined, LogEvent[], boolean]>([
    ['progress only: no findings', open(), [ev('BUCKET_MATCHED_THE_CRITERIA', 1)], false],
    ['the run ends now: its findings', open(), [ev('SCHEDULED_RUN_COMPLETED', 40)], true],
    ['a cancellation ends it too', undefined, [ev('JOB_CANCELLED', 40)], true],
    ['after the summary any batch may correct it: its findings', open({ summarySentAt: at(RUN, 40) }), [ev('BUCKET_MATCHED_THE_CRITERIA', 41)], true],
  ])('findings: %s', (_name, run, events, want) => {
    expect(needsFindings(run, events)).toBe(want);
  });

  test.each<[string, JobState, string, string | undefined]>([
    ['a periodic job: the run started before', periodic, RUN, BEFORE],
    ['its first run has none', periodic, at(RUN, -48 * 60), undefined],
    ['a one-time job has one run', oneTime, RUN, undefined],
  ])('previous run date: %s', (_name, job, runDate, want) => {
    expect(previousRunDate(job, runDate)).toBe(want);
  });

  test.each<[string, JobState, RunState | undefined, LogEvent[], Partial<typeof settings>, boolean]>([
    ['no previous run: never', oneTime, undefined, [ev('SCHEDULED_RUN_COMPLETED', 40)], {}, false],
    ['the summary compares with it', periodic, open(), [ev('SCHEDULED_RUN_COMPLETED', 40)], {}, true],
    ['a first error may be known', periodic, open(), [ev('BUCKET_ACCESS_DENIED', 1, bucket('b1'))], { knownErrors: 'summary' }, true],
    [
      'a group that alerted already cannot be',
      periodic,
      open({ groups: { BUCKET_ACCESS_DENIED: { count: 1, firstAt: RUN, lastAt: RUN, alerts: 1 } } }),
      [ev('BUCKET_ACCESS_DENIED', 1, bucket('b1'))],
      { knownErrors: 'summary' },
      false,
    ],
    ['with knownErrors: alert, errors need no previous run', periodic, open(), [ev('BUCKET_ACCESS_DENIED', 1, bucket('b1'))], { knownErrors: 'alert' }, false],
    ['progress needs none', periodic, open(), [ev('BUCKET_MATCHED_THE_CRITERIA', 1)], { knownErrors: 'summary' }, false],
  ])('previous run: %s', (_name, job, run, events, overrides, want) => {
    expect(needsPrevious(job, RUN, run, events, { ...settings, ...overrides })).toBe(want);
  });
});
