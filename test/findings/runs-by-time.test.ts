import { resolveSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { HOLD_FOR_RUN_MINUTES } from '../../lambda/findings/finding-run';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { keys, UNKNOWN_RUN } from '../../lambda/state/table';
import { sweep } from '../../lambda/sweeper/sweep';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { TestClock } from '../support/clock';
import { freshStore } from '../support/dynamodb';
import { minutesAfter, SENSITIVE_JOB_ID, sensitiveFinding, sqsBatch } from './kit';

/**
 * Findings find their run by time: a finding is counted in the job's run that started last before Macie
 * created it, not in the run that is current when it arrives; one created after that run ended (its run not
 * in the job log yet) is held back, left for SQS to deliver again, until the job log shows its run. On
 * DynamoDB Local with the real job-log, findings and sweeper pipelines; the clock is the test's.
 */
const JOB = SENSITIVE_JOB_ID;
const RUN1 = '2024-04-14T17:00:00.000Z';
const RUN2 = '2024-04-15T17:00:00.000Z';
const TYPE = 'SensitiveData:S3Object/Financial';
const MINUTE = 60_000;

async function setup(start: string) {
  const clock = new TestClock(new Date(start));
  const store = await freshStore(clock.now);
  const publisher = new RecordingPublisher();
  const deps: PipelineDeps = {
    store,
    publisher,
    telemetry: new RecordingTelemetry(),
    settings: resolveSettings({ repeatIntervalMinutes: 60 }),
    region: 'us-east-1',
    now: clock.now,
  };
  return { clock, store, publisher, deps };
}

const jobEvent = (eventType: string, runDate: string, minute: number) => ({
  adminAccountId: '123456789012',
  jobId: JOB,
  eventType,
  occurredAt: minutesAfter(runDate, minute),
  description: eventType,
  jobName: 'Nightly',
  runDate,
});
const jobLog = (deps: PipelineDeps, events: Record<string, unknown>[]) => processLogsPayload(logsPayload(events.map((e) => logEvent(e))), deps);
const findingsOf = (deps: PipelineDeps, ns: number[], at: string) => processFindingBatch(sqsBatch(ns.map((n) => sensitiveFinding(n, { at }))), deps);
const summaryFindings = (publisher: RecordingPublisher, run: string) =>
  publisher.alerts.find((a) => a.id === `run:${JOB}:${run}:summary`)?.details.find((d) => d.label === 'Findings')?.value;

test("a backlog: run 1's findings arriving after run 2 started are run 1's (its summary is updated), not run 2's", async () => {
  const { clock, store, publisher, deps } = await setup(minutesAfter(RUN2, 10));
  await jobLog(deps, [jobEvent('SCHEDULED_RUN_STARTED', RUN1, 0), jobEvent('SCHEDULED_RUN_COMPLETED', RUN1, 30), jobEvent('SCHEDULED_RUN_STARTED', RUN2, 0)]);
  expect(summaryFindings(publisher, RUN1)).toBe('0');

  const report = await findingsOf(deps, [1, 2], minutesAfter(RUN1, 10));
  expect(report.records.map((r) => r.outcome)).toEqual(['alerted', 'grouped']);
  expect(publisher.alerts.at(-1)?.job).toEqual({ id: JOB, name: 'Nightly', runDate: RUN1 });
  expect((await store.get(keys.findingGroup(JOB, RUN1, 'bucket-a', TYPE)))?.count).toBe(2);
  expect(await store.get(keys.findingGroup(JOB, RUN2, 'bucket-a', TYPE))).toBeUndefined();

  clock.advance(MINUTE);
  expect((await sweep(deps)).raised).toEqual([`run:${JOB}:${RUN1}:findings-update:1`]);
  expect(publisher.alerts.at(-1)?.whatHappened).toContain('Sensitive data findings: 2 more (2 in all).');
  await jobLog(deps, [jobEvent('SCHEDULED_RUN_COMPLETED', RUN2, 30)]);
  expect(summaryFindings(publisher, RUN2)).toBe('0');
});

test('a finding created after its run ended, before the job log shows the next run: held, then counted in the next run and its summary', async () => {
  const { clock, store, publisher, deps } = await setup(minutesAfter(RUN2, 2));
  await jobLog(deps, [jobEvent('SCHEDULED_RUN_STARTED', RUN1, 0), jobEvent('SCHEDULED_RUN_COMPLETED', RUN1, 30)]);

  const held = await findingsOf(deps, [1], minutesAfter(RUN2, 1));
  expect(held.records.map((r) => r.outcome)).toEqual(['held']);
  expect(held.batchItemFailures).toEqual([{ itemIdentifier: held.records[0].messageId }]);
  expect(held.created).toEqual([]);
  expect(await store.get(keys.event(`finding:finding-1:1`))).toBeUndefined();

  await jobLog(deps, [jobEvent('SCHEDULED_RUN_STARTED', RUN2, 0)]);
  clock.advance(12 * MINUTE);
  const again = await findingsOf(deps, [1], minutesAfter(RUN2, 1));
  expect(again.records.map((r) => r.outcome)).toEqual(['alerted']);
  expect(again.batchItemFailures).toEqual([]);
  expect(publisher.alerts.at(-1)?.job).toEqual({ id: JOB, name: 'Nightly', runDate: RUN2 });

  await jobLog(deps, [jobEvent('SCHEDULED_RUN_COMPLETED', RUN2, 30)]);
  expect(summaryFindings(publisher, RUN2)).toBe('1');
  expect(summaryFindings(publisher, RUN1)).toBe('0');
  clock.advance(MINUTE);
  expect((await sweep(deps)).raised).toEqual([]);
});

test("a finding of a job the log has not shown is held until its run's start arrives", async () => {
  const { clock, publisher, deps } = await setup(minutesAfter(RUN1, 3));
  expect((await findingsOf(deps, [1], minutesAfter(RUN1, 2))).records.map((r) => r.outcome)).toEqual(['held']);
  await jobLog(deps, [jobEvent('SCHEDULED_RUN_STARTED', RUN1, 0)]);
  clock.advance(12 * MINUTE);
  expect((await findingsOf(deps, [1], minutesAfter(RUN1, 2))).records.map((r) => r.outcome)).toEqual(['alerted']);
  await jobLog(deps, [jobEvent('SCHEDULED_RUN_COMPLETED', RUN1, 30)]);
  expect(summaryFindings(publisher, RUN1)).toBe('1');
});

test(`a finding whose run the job log does not show within ${HOLD_FOR_RUN_MINUTES} minutes is counted in run UNKNOWN, not held for ever`, async () => {
  const { clock, store, deps } = await setup(minutesAfter(RUN2, 2));
  await jobLog(deps, [jobEvent('SCHEDULED_RUN_STARTED', RUN1, 0), jobEvent('SCHEDULED_RUN_COMPLETED', RUN1, 30)]);
  expect((await findingsOf(deps, [1], minutesAfter(RUN2, 1))).records.map((r) => r.outcome)).toEqual(['held']);
  clock.advance(HOLD_FOR_RUN_MINUTES * MINUTE);
  expect((await findingsOf(deps, [1], minutesAfter(RUN2, 1))).records.map((r) => r.outcome)).toEqual(['alerted']);
  expect((await store.get(keys.findingGroup(JOB, UNKNOWN_RUN, 'bucket-a', TYPE)))?.count).toBe(1);
  expect(await store.get(keys.findingGroup(JOB, RUN1, 'bucket-a', TYPE))).toBeUndefined();
});
