import { JobCodec, RunCodec } from '../../lambda/state/job-items';
import { keys } from '../../lambda/state/table';

/**
 * Items written by the version deployed before stored shapes were structured: the codecs read them, and
 * write them back structured. Pure codec tests (no DynamoDB): `npm run test:stages` runs them without Java.
 */
const RUN = '2024-06-03T02:00:00.000Z';
const run = (item: Record<string, unknown>) =>
  RunCodec.decode({ ...keys.run('j', RUN), jobId: 'j', runDate: RUN, jobName: 'J', adminAccountId: 'a', region: 'r', status: 'COMPLETED', ...item });
const job = (item: Record<string, unknown>) => JobCodec.decode({ ...keys.job('j'), jobId: 'j', ...item });

describe('stored forms of the earlier version', () => {
  test.each<[string, unknown, { type: string; at: string }[]]>([
    [
      'status events as "TYPE@AT" strings',
      ['JOB_PAUSED_BY_USER@2024-06-03T02:10:00Z', 'JOB_RESUMED_BY_USER@2024-06-03T04:10:00+02:00'],
      [
        { type: 'JOB_PAUSED_BY_USER', at: '2024-06-03T02:10:00Z' },
        { type: 'JOB_RESUMED_BY_USER', at: '2024-06-03T04:10:00+02:00' },
      ],
    ],
    [
      'status events of both forms in one list',
      ['JOB_PAUSED_BY_USER@2024-06-03T02:10:00Z', { type: 'JOB_COMPLETED', at: RUN }],
      [
        { type: 'JOB_PAUSED_BY_USER', at: '2024-06-03T02:10:00Z' },
        { type: 'JOB_COMPLETED', at: RUN },
      ],
    ],
    ['no status events', undefined, []],
  ])('%s', (_name, stored, want) => {
    const decoded = run({ statusEvents: stored });
    expect(decoded.statusEvents).toEqual(want);
    expect(RunCodec.encode(decoded).statusEvents).toEqual(want);
  });

  test.each<[string, unknown, { batch: string; runDate: string }[]]>([
    [
      'routes as "BATCH=RUNDATE" strings',
      ['4f1c2a9e0b7d6c53=2024-06-03T02:00:00.000Z', '0a1b2c3d4e5f6a7b=UNKNOWN'],
      [
        { batch: '4f1c2a9e0b7d6c53', runDate: '2024-06-03T02:00:00.000Z' },
        { batch: '0a1b2c3d4e5f6a7b', runDate: 'UNKNOWN' },
      ],
    ],
    [
      'routes of both forms',
      ['4f1c2a9e0b7d6c53=2024-06-03T02:00:00.000Z', { batch: 'b2', runDate: RUN }],
      [
        { batch: '4f1c2a9e0b7d6c53', runDate: '2024-06-03T02:00:00.000Z' },
        { batch: 'b2', runDate: RUN },
      ],
    ],
  ])('%s', (_name, stored, want) => {
    const decoded = job({ routedBatches: stored });
    expect(decoded.routedBatches).toEqual(want);
    expect(JobCodec.encode(decoded).routedBatches).toEqual(want);
  });

  test('what a summary said: its status, as the earlier version wrote it, is a run status', () => {
    const summarized = { status: 'COMPLETED', bucketsMatched: 3, errors: { BUCKET_ACCESS_DENIED: 2 } };
    expect(run({ summarized }).summarized).toEqual(summarized);
    expect(() => run({ summarized: { ...summarized, status: 'DONE' } })).toThrow(/summarized\.status/);
  });
});
