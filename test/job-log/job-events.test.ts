import type { Alert } from '../../lambda/core/alert';
import type { SilenceSource } from '../../lambda/silences/cache';
import { at, jobStream } from '../fixtures/job-log/streams';
import { harness } from './helpers';

/**
 * Events about the job rather than one run (a pause, a resumption or a cancel between runs): DynamoDB Local,
 * the job-log pipeline, a nightly job whose last run completed.
 */
const JOB = 'job-nightly';
const RUN = '2024-06-03T02:00:00.000417Z';
const noSilences: SilenceSource = { list: async () => [] };
const dated = jobStream(JOB, 'Nightly', RUN);
const undated = jobStream(JOB, 'Nightly', undefined);
const ids = (alerts: readonly Alert[]) => alerts.map((a) => a.id);

async function completedNight() {
  const h = await harness({}, undefined, { silences: noSilences });
  await h.send([dated('SCHEDULED_RUN_STARTED', RUN)]);
  const done = await h.send([dated('SCHEDULED_RUN_COMPLETED', at(RUN, 40))]);
  expect(ids(done.published)).toEqual([`run:${JOB}:${RUN}:summary`]);
  return h;
}

describe('a cancel without runDate is a job event', () => {
  test("it never rewrites the completed run's status or end time, nor sends a correction about it", async () => {
    const h = await completedNight();
    const cancel = await h.send([undated('JOB_CANCELLED', at(RUN, 600))]);
    expect(cancel.published.filter((a) => a.id.includes('summary-update'))).toEqual([]);
    const run = await h.run(JOB, RUN);
    expect(run).toMatchObject({ status: 'COMPLETED', endedAt: at(RUN, 40), statusEvent: 'SCHEDULED_RUN_COMPLETED' });
    expect(await h.job(JOB)).toMatchObject({ jobStatus: 'CANCELLED', jobStatusAt: at(RUN, 600) });
  });

  test('it still ends the open current run: a cancelled run and its summary', async () => {
    const h = await harness({}, undefined, { silences: noSilences });
    await h.send([dated('SCHEDULED_RUN_STARTED', RUN)]);
    const cancel = await h.send([undated('JOB_CANCELLED', at(RUN, 30))]);
    expect(ids(cancel.published)).toEqual([`run:${JOB}:${RUN}:summary`]);
    expect(await h.run(JOB, RUN)).toMatchObject({ status: 'CANCELLED', endedAt: at(RUN, 30) });
  });
});
