import { CorruptItemError } from '../../lambda/state/codec';
import { JobCodec, RunCodec } from '../../lambda/state/job-items';
import { GSI1, keys } from '../../lambda/state/table';
import { at, jobStream } from '../fixtures/job-log/streams';
import { harness } from '../job-log/helpers';
import { batchKeyOf } from '../../lambda/job-log/pipeline';
import { logEvent } from '../support/cloudwatch';

const RUN = '2024-04-14T17:09:30.574809Z';

describe('run and job items through their codecs', () => {
  test('what the job-log pipeline writes decodes, and encodes back to the same item', async () => {
    const h = await harness();
    const ev = jobStream('job-c', 'Codec_Job', RUN);
    await h.send([
      ev('SCHEDULED_RUN_STARTED', RUN),
      ev('BUCKET_ACCESS_DENIED', at(RUN, 1), { affectedResource: { type: 'S3_BUCKET_NAME', value: 'b1' }, affectedAccount: '111111111111' }),
    ]);
    await h.send([ev('SCHEDULED_RUN_COMPLETED', at(RUN, 2))]);
    const runItem = (await h.run('job-c', RUN))!;
    const jobItem = (await h.job('job-c'))!;
    expect(RunCodec.encode(RunCodec.decode(runItem))).toEqual(runItem);
    expect(JobCodec.encode(JobCodec.decode(jobItem))).toEqual(jobItem);
    expect(RunCodec.decode(runItem)).toMatchObject({ status: 'COMPLETED', errors: { BUCKET_ACCESS_DENIED: 1 }, bucketsMatched: 0 });
  });

  test('index keys are derived from the value: an open run is listed, a closed one is not; a periodic job is listed', () => {
    const base = RunCodec.decode({ ...keys.run('j', RUN), jobId: 'j', runDate: RUN, jobName: 'J', adminAccountId: 'a', region: 'r', status: 'RUNNING' });
    expect(RunCodec.encode(base)).toMatchObject({ gsi1pk: GSI1.openRun, gsi1sk: `j#${RUN}` });
    expect(RunCodec.encode({ ...base, status: 'COMPLETED' })).not.toHaveProperty('gsi1pk');
    const job = JobCodec.decode({ ...keys.job('j'), jobId: 'j', kind: 'SCHEDULED' });
    expect(JobCodec.encode(job)).toMatchObject({ gsi1pk: GSI1.periodicJob, gsi1sk: 'j', recentRunStarts: [], routedBatches: [] });
  });

  test('an item this version did not write is refused with its key and field named, and fails the batch', async () => {
    const h = await harness();
    const bad = {
      ...keys.run('job-x', RUN),
      jobId: 'job-x',
      runDate: RUN,
      jobName: 'X',
      adminAccountId: 'a',
      region: 'r',
      status: 'RUNNING',
      errors: { BUCKET_ACCESS_DENIED: 'many' },
    };
    expect(() => RunCodec.decode(bad)).toThrow(
      new CorruptItemError('run', keys.run('job-x', RUN), 'errors.BUCKET_ACCESS_DENIED: Invalid input: expected number, received string'),
    );
    await h.store.write([{ kind: 'put', item: bad }]);
    const ev = jobStream('job-x', 'X', RUN);
    await expect(h.send([ev('BUCKET_ACCESS_DENIED', RUN)])).rejects.toThrow(/run item JOB#job-x \/ RUN#.* is not readable: errors\.BUCKET_ACCESS_DENIED/);
    expect((await h.run('job-x', RUN))?.errors).toEqual({ BUCKET_ACCESS_DENIED: 'many' });
  });
});

describe('items the earlier version wrote, with its string forms', () => {
  test('a pause told before is not told again, and a retried undated batch goes where its route says', async () => {
    const h = await harness();
    const ev = jobStream('job-old', 'Old', RUN);
    const NEXT = at(RUN, 24 * 60);
    const undated = logEvent(jobStream('job-old', 'Old', undefined)('JOB_RESUMED_BY_USER', at(RUN, 8)), { id: 'undated-1' });
    const common = {
      jobName: 'Old',
      adminAccountId: '123456789012',
      region: 'eu-west-1',
      bucketsMatched: 0,
      errors: {},
      affected: {},
      openAccountErrors: {},
      groups: {},
      version: 1,
    };
    await h.store.write([
      {
        kind: 'put',
        item: {
          ...keys.job('job-old'),
          jobId: 'job-old',
          jobName: 'Old',
          kind: 'SCHEDULED',
          currentRunDate: NEXT,
          recentRunStarts: [RUN, NEXT],
          routedBatches: [`${batchKeyOf(['undated-1'])}=${RUN}`],
          version: 1,
        },
      },
      {
        kind: 'put',
        item: {
          ...keys.run('job-old', RUN),
          jobId: 'job-old',
          runDate: RUN,
          ...common,
          status: 'PAUSED',
          statusAt: at(RUN, 5),
          statusEvent: 'JOB_PAUSED_BY_USER',
          pausedBy: 'USER',
          pausedAt: at(RUN, 5),
          lastEventAt: at(RUN, 5),
          statusEvents: [`JOB_PAUSED_BY_USER@${at(RUN, 5)}`],
          appliedBatches: ['old'],
        },
      },
      {
        kind: 'put',
        item: { ...keys.run('job-old', NEXT), jobId: 'job-old', runDate: NEXT, ...common, status: 'RUNNING', statusEvents: [], appliedBatches: [] },
      },
    ]);
    const again = await h.send([ev('JOB_PAUSED_BY_USER', at(RUN, 5))]);
    expect(again.published).toEqual([]);
    const resumed = await h.send([undated]);
    expect(resumed.published.map((a) => [a.eventType, a.job?.runDate])).toEqual([['JOB_RESUMED_BY_USER', RUN]]);
    expect((await h.run('job-old', RUN))?.statusEvents).toEqual([
      { type: 'JOB_PAUSED_BY_USER', at: at(RUN, 5) },
      { type: 'JOB_RESUMED_BY_USER', at: at(RUN, 8) },
    ]);
    expect((await h.job('job-old'))?.routedBatches).toEqual([{ batch: batchKeyOf(['undated-1']), runDate: RUN }]);
  });
});

describe('event types that are names of Object properties', () => {
  // Counts live in maps keyed by event type; an inherited key ("constructor") must count from zero.
  test.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'])('%s is counted like any unknown type', async (type) => {
    const h = await harness();
    const ev = jobStream('job-p', 'P', RUN);
    const first = await h.send([ev(type, RUN), ev(type, at(RUN, 1))]);
    await h.send([ev(type, at(RUN, 2)), ev('SCHEDULED_RUN_COMPLETED', at(RUN, 3))]);
    expect(first.published.map((a) => [a.category, a.count])).toEqual([['UNKNOWN_EVENT', 2]]);
    const run = RunCodec.decode((await h.run('job-p', RUN))!);
    expect({ ...run.errors }).toEqual({ [type]: 3 });
    expect(run.groups[type]).toMatchObject({ count: 3, alerts: 2 });
    expect(run.affected[type]).toEqual({ buckets: [], accounts: [], total: 3 });
  });
});
