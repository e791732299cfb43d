import { isJobOnlyEvent, RECENT_RUN_STARTS_CAP, reduceJob, ROUTED_BATCHES_CAP, type JobReduction } from '../../../lambda/job-log/job-reducer';
import type { LogEvent } from '../../../lambda/job-log/log-events';
import type { JobState } from '../../../lambda/state/job-items';
import { expiresAt, UNKNOWN_RUN } from '../../../lambda/state/table';
import { at, ev, JOB, RUN, settings } from './stage-events';

const NOW = new Date('2024-06-03T12:00:00.000Z');
const NEXT = at(RUN, 24 * 60);
const reduce = (current: JobState | undefined, events: LogEvent[], undatedKey?: string) => reduceJob(current, JOB, events, { settings, now: NOW }, undatedKey);
const job = (j: Partial<JobState> = {}): JobState => ({
  jobId: JOB,
  recentRunStarts: [RUN],
  routedBatches: [],
  currentRunDate: RUN,
  expiresAt: expiresAt(NOW, settings.stateRetentionDays),
  version: 1,
  ...j,
});

interface Case {
  readonly name: string;
  readonly current?: JobState;
  readonly events: LogEvent[];
  readonly undatedKey?: string;
  readonly want: Partial<JobState> & { readonly changed?: boolean; readonly undatedRun?: string };
}

const cases: Case[] = [
  {
    name: 'a new job: named by its newest event, its kind from the table, its run recorded',
    events: [ev('SCHEDULED_RUN_STARTED', 0), ev('BUCKET_MATCHED_THE_CRITERIA', 1, { jobName: 'Renamed' })],
    want: { jobName: 'Renamed', kind: 'SCHEDULED', currentRunDate: RUN, recentRunStarts: [RUN], jobStatus: 'ACTIVE', jobStatusAt: at(RUN, 0), changed: true },
  },
  {
    name: 'an older event does not rename the job',
    current: job({ jobName: 'Nightly', nameAt: at(RUN, 5), adminAccountId: '123456789012' }),
    events: [ev('BUCKET_MATCHED_THE_CRITERIA', 1, { jobName: 'Old name' })],
    want: { jobName: 'Nightly', nameAt: at(RUN, 5), changed: false },
  },
  {
    name: 'the job creation is remembered at its earliest time',
    events: [ev('JOB_CREATED', 3, { runDate: null }), ev('JOB_CREATED', 2, { runDate: null })],
    want: { createdAt: at(RUN, 2), currentRunDate: undefined, recentRunStarts: [] },
  },
  {
    name: 'a newer run becomes the current one; the run dates stay sorted',
    current: job(),
    events: [ev('SCHEDULED_RUN_STARTED', 24 * 60, { runDate: NEXT })],
    want: { currentRunDate: NEXT, recentRunStarts: [RUN, NEXT], changed: true },
  },
  {
    name: 'a user pause then a later resume: active; a cancel is final whatever comes after',
    events: [ev('JOB_PAUSED_BY_USER', 5), ev('JOB_RESUMED_BY_USER', 6), ev('JOB_CANCELLED', 7), ev('JOB_RESUMED_BY_USER', 8)],
    want: { jobStatus: 'CANCELLED', jobStatusAt: at(RUN, 7) },
  },
  {
    name: 'events without runDate go to the current run, and the route is recorded under the batch key',
    current: job(),
    events: [ev('JOB_PAUSED_BY_USER', 5, { runDate: null })],
    undatedKey: 'batch-1',
    want: { undatedRun: RUN, routedBatches: [{ batch: 'batch-1', runDate: RUN }], changed: true },
  },
  {
    name: 'a retry of that batch goes where it went, though a newer run started since',
    current: job({ currentRunDate: NEXT, recentRunStarts: [RUN, NEXT], routedBatches: [{ batch: 'batch-1', runDate: RUN }] }),
    events: [ev('JOB_PAUSED_BY_USER', 5, { runDate: null })],
    undatedKey: 'batch-1',
    want: { undatedRun: RUN, routedBatches: [{ batch: 'batch-1', runDate: RUN }] },
  },
  {
    name: 'undated events of a job that has no run yet go to the unknown run',
    events: [ev('JOB_PAUSED_BY_USER', 5, { runDate: null })],
    undatedKey: 'batch-2',
    want: { undatedRun: UNKNOWN_RUN, routedBatches: [{ batch: 'batch-2', runDate: UNKNOWN_RUN }] },
  },
  {
    name: 'nothing new and a fresh TTL: no write',
    current: job({ jobName: 'Nightly', adminAccountId: '123456789012', nameAt: at(RUN, 0), kind: 'SCHEDULED' }),
    events: [ev('BUCKET_MATCHED_THE_CRITERIA', 3)],
    want: { changed: false, version: 1 },
  },
  {
    name: 'nothing new but a TTL a day old: written, to refresh it',
    current: job({
      jobName: 'Nightly',
      adminAccountId: '123456789012',
      nameAt: at(RUN, 0),
      kind: 'SCHEDULED',
      expiresAt: expiresAt(NOW, settings.stateRetentionDays) - 86401,
    }),
    events: [ev('BUCKET_MATCHED_THE_CRITERIA', 3)],
    want: { changed: true, version: 2, expiresAt: expiresAt(NOW, settings.stateRetentionDays) },
  },
];

describe('the job reducer', () => {
  test.each(cases)('$name', ({ current, events, undatedKey, want }) => {
    const { job: reduced, changed, undatedRun }: JobReduction = reduce(current, events, undatedKey);
    expect({ ...reduced, changed, undatedRun }).toMatchObject(want);
  });

  test('it keeps the newest run dates and routes only', () => {
    const starts = Array.from({ length: RECENT_RUN_STARTS_CAP + 2 }, (_, i) => ev('SCHEDULED_RUN_STARTED', i * 60 * 24, { runDate: at(RUN, i * 60 * 24) }));
    expect(reduce(undefined, starts).job.recentRunStarts).toEqual(starts.slice(2).map((e) => e.event.runDate));
    const routes = Array.from({ length: ROUTED_BATCHES_CAP }, (_, i) => ({ batch: `b${i}`, runDate: RUN }));
    const { job: next } = reduce(job({ routedBatches: routes }), [ev('JOB_PAUSED_BY_USER', 5, { runDate: null })], 'newest');
    expect(next.routedBatches).toEqual([...routes.slice(1), { batch: 'newest', runDate: RUN }]);
  });

  test('the same events give the same job in any order', () => {
    const events = [
      ev('SCHEDULED_RUN_STARTED', 0),
      ev('JOB_PAUSED_BY_USER', 5),
      ev('JOB_RESUMED_BY_USER', 6),
      ev('SCHEDULED_RUN_STARTED', 60, { runDate: NEXT }),
    ];
    const forward = reduce(undefined, events).job;
    expect(reduce(undefined, [...events].reverse()).job).toEqual(forward);
  });

  test('only a job creation concerns the job alone', () => {
    expect([ev('JOB_CREATED', 0), ev('SCHEDULED_RUN_STARTED', 0), ev('JOB_CANCELLED', 0)].map(isJobOnlyEvent)).toEqual([true, false, false]);
  });
});
