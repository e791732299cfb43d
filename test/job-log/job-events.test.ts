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
    // Told as what it is: the job was cancelled after its run completed.
    expect(ids(cancel.published)).toEqual([`run:${JOB}:${RUN}:JOB_CANCELLED:${at(RUN, 600)}`]);
    expect(cancel.published[0]).toMatchObject({ severity: 'HIGH', headline: 'Macie job Nightly: job cancelled', job: { id: JOB, name: 'Nightly' } });
    expect(cancel.published[0].whatHappened).toContain(`between runs: its last run, of ${RUN}, completed at ${at(RUN, 40)}. It will run no more`);
    const run = await h.run(JOB, RUN);
    expect(run).toMatchObject({ status: 'COMPLETED', endedAt: at(RUN, 40), statusEvent: 'SCHEDULED_RUN_COMPLETED' });
    expect(await h.job(JOB)).toMatchObject({ jobStatus: 'CANCELLED', jobStatusAt: at(RUN, 600) });
  });

  test('the run ends the same whichever of the completion and a later cancel without runDate arrives first', async () => {
    const inOrder = await completedNight();
    await inOrder.send([undated('JOB_CANCELLED', at(RUN, 600))]);
    const reversed = await harness({}, undefined, { silences: noSilences });
    await reversed.send([dated('SCHEDULED_RUN_STARTED', RUN)]);
    await reversed.send([undated('JOB_CANCELLED', at(RUN, 600))]);
    const late = await reversed.send([dated('SCHEDULED_RUN_COMPLETED', at(RUN, 40))]);
    expect(late.published.map((a) => a.whatHappened).join('\n')).toContain('Status changed from CANCELLED to COMPLETED.');
    const facts = (run: Record<string, unknown> | undefined) =>
      run && { status: run.status, endedAt: run.endedAt, statusEvent: run.statusEvent, statusAt: run.statusAt };
    expect(facts(await reversed.run(JOB, RUN))).toEqual(facts(await inOrder.run(JOB, RUN)));
    expect(facts(await inOrder.run(JOB, RUN))).toMatchObject({ status: 'COMPLETED', endedAt: at(RUN, 40) });
  });

  test('it still ends the open current run: a cancelled run and its summary', async () => {
    const h = await harness({}, undefined, { silences: noSilences });
    await h.send([dated('SCHEDULED_RUN_STARTED', RUN)]);
    const cancel = await h.send([undated('JOB_CANCELLED', at(RUN, 30))]);
    expect(ids(cancel.published)).toEqual([`run:${JOB}:${RUN}:summary`]);
    expect(await h.run(JOB, RUN)).toMatchObject({ status: 'CANCELLED', endedAt: at(RUN, 30) });
  });
});

describe('a paused job is a story of its own, whatever run the pause lands on', () => {
  test.each([
    ['with the runDate of its last run', dated],
    ['without a runDate', undated],
  ])('a user pause after the last run completed alerts once (LOW), %s; its resumption alerts too', async (_name, stream) => {
    const h = await completedNight();
    const pause = stream('JOB_PAUSED_BY_USER', at(RUN, 600));
    const paused = await h.send([pause]);
    expect(ids(paused.published)).toEqual([`run:${JOB}:${RUN}:JOB_PAUSED_BY_USER:${at(RUN, 600)}`]);
    expect(paused.published[0]).toMatchObject({ severity: 'LOW', category: 'JOB_STATUS', headline: 'Macie job Nightly: job paused by a user' });
    expect(paused.published[0].whatHappened).toContain(
      `between runs: its last run, of ${RUN}, completed at ${at(RUN, 40)}. While it is paused its scheduled runs do not start`,
    );
    // The run's summary is not rewritten, and the job knows it is paused.
    expect(await h.run(JOB, RUN)).toMatchObject({ status: 'COMPLETED', summaryVersion: 1 });
    expect(await h.job(JOB)).toMatchObject({ jobStatus: 'USER_PAUSED', jobStatusAt: at(RUN, 600) });

    // The same pause again (redelivered in another batch): no second alert.
    const again = await h.send([pause]);
    expect(again.published).toEqual([]);

    const resumed = await h.send([stream('JOB_RESUMED_BY_USER', at(RUN, 3 * 24 * 60))]);
    expect(ids(resumed.published)).toEqual([`run:${JOB}:${RUN}:JOB_RESUMED_BY_USER:${at(RUN, 3 * 24 * 60)}`]);
    expect(resumed.published[0].whatHappened).toContain('Its scheduled runs start again.');
    expect(await h.job(JOB)).toMatchObject({ jobStatus: 'ACTIVE' });
  });

  test('a quota pause after the run was summarised alerts once, HIGH', async () => {
    const h = await completedNight();
    const paused = await h.send([undated('JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', at(RUN, 600))]);
    expect(paused.published.map((a) => [a.id, a.severity])).toEqual([[`run:${JOB}:${RUN}:JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET:${at(RUN, 600)}`, 'HIGH']]);
  });

  test('a pause of the current, running run alerts as before: as a change of that run', async () => {
    const h = await harness({}, undefined, { silences: noSilences });
    await h.send([dated('SCHEDULED_RUN_STARTED', RUN)]);
    const paused = await h.send([undated('JOB_PAUSED_BY_USER', at(RUN, 10))]);
    expect(ids(paused.published)).toEqual([`run:${JOB}:${RUN}:JOB_PAUSED_BY_USER:${at(RUN, 10)}`]);
    expect(paused.published[0].whatHappened).toContain(`run of ${RUN}: job paused by a user`);
    expect(await h.run(JOB, RUN)).toMatchObject({ status: 'PAUSED', pausedBy: 'USER' });
  });

  test('a pause of a job with no run known yet alerts once', async () => {
    const h = await harness({}, undefined, { silences: noSilences });
    const paused = await h.send([undated('JOB_PAUSED_BY_USER', at(RUN, 10))]);
    expect(paused.published.map((a) => [a.eventType, a.severity])).toEqual([['JOB_PAUSED_BY_USER', 'LOW']]);
  });
});
