import type { Alert } from '../../lambda/core/alert';
import { resolveSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import type { StateStore } from '../../lambda/state/store';
import { GSI1, keys } from '../../lambda/state/table';
import { sweep } from '../../lambda/sweeper/sweep';
import { deliverBatches, eventMessages, mappingBatches } from '../../src/local/sqs-queue';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { refusingStore, TestClock } from '../support/clock';
import { freshStore } from '../support/dynamodb';
import { minutesAfter, SENSITIVE_JOB_ID, sensitiveFinding, sqsBatch } from '../findings/kit';

/**
 * A job run's findings rolled up per type (findingAlertsPer: type, the default): the first bucket of a type
 * alerts at once, the sweeper names the others in one alert per type per repeat interval, and the summary
 * has the full counts. On DynamoDB Local with the real findings and job-log pipelines and the sweeper; the
 * clock (the roll-up's window) is the test's.
 */
const MINUTE = 60_000;
const JOB = SENSITIVE_JOB_ID;
const RUN = '2024-04-14T17:09:30.000Z';
const FINANCIAL = 'SensitiveData:S3Object/Financial';
const PERSONAL = 'SensitiveData:S3Object/Personal';
const bucket = (i: number) => `org-bucket-${String(i).padStart(4, '0')}`;

async function setup(store?: (s: StateStore) => StateStore) {
  const clock = new TestClock(new Date());
  const base = await freshStore(clock.now);
  const publisher = new RecordingPublisher();
  const deps: PipelineDeps = {
    store: store ? store(base) : base,
    publisher,
    telemetry: new RecordingTelemetry(),
    settings: resolveSettings({ repeatIntervalMinutes: 60 }),
    region: 'us-east-1',
    now: clock.now,
  };
  return { clock, base, publisher, deps };
}

function jobEvent(eventType: string, minute: number) {
  return {
    adminAccountId: '123456789012',
    jobId: JOB,
    eventType,
    occurredAt: minutesAfter(RUN, minute),
    description: `Macie reported ${eventType}.`,
    jobName: 'Org_PII_scan',
    runDate: RUN,
  };
}
const jobLog = (deps: PipelineDeps, events: readonly Record<string, unknown>[]) => processLogsPayload(logsPayload(events.map((e) => logEvent(e))), deps);

let numbered = 0;
const finding = (b: string, type: string, minute = 5) => sensitiveFinding(++numbered, { bucket: b, type, at: minutesAfter(RUN, minute) });

async function deliver(deps: PipelineDeps, events: readonly unknown[]) {
  const run = await deliverBatches(mappingBatches(eventMessages(events), 100), (batch) => processFindingBatch(batch, deps), { batchSize: 100, concurrency: 2 });
  expect(run.deadLettered).toEqual([]);
  return run;
}

const rollups = (alerts: readonly Alert[]) => alerts.filter((a) => a.id.includes(':rollup:'));
const named = (alerts: readonly Alert[]) => new Set(alerts.flatMap((a) => a.affected.filter((r) => r.kind === 'bucket').flatMap((r) => r.items)));

test('an org-wide run with findings in 400 buckets: one alert per type at once, one roll-up per type per interval, every bucket named, every finding counted', async () => {
  const { clock, base, publisher, deps } = await setup();
  await jobLog(deps, [jobEvent('ONE_TIME_JOB_STARTED', 0)]);
  // Personal data in 400 buckets (3 findings each, interleaved as a job scanning many buckets at once), financial in 50.
  const events = [
    ...Array.from({ length: 3 }, () => Array.from({ length: 400 }, (_, i) => finding(bucket(i), PERSONAL))).flat(),
    ...Array.from({ length: 2 }, () => Array.from({ length: 50 }, (_, i) => finding(bucket(i * 8), FINANCIAL))).flat(),
  ];
  await deliver(deps, events);
  // Two batches at a time: the first bucket of a type is whichever batch wrote first, one per type.
  expect(publisher.alerts.map((a) => [a.eventType, a.id.endsWith(':first')]).sort()).toEqual([
    [FINANCIAL, true],
    [PERSONAL, true],
  ]);
  expect(await base.listIndex(GSI1.heldRollup)).toHaveLength(399 + 49);

  // Inside the window: nothing is due.
  clock.advance(30 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([]);
  clock.advance(31 * MINUTE);
  const first = await sweep(deps);
  expect(first.failures).toEqual([]);
  expect([...first.raised].sort()).toEqual([`sd:${JOB}:${RUN}:${FINANCIAL}:rollup:1`, `sd:${JOB}:${RUN}:${PERSONAL}:rollup:1`]);
  const personal = publisher.alerts.find((a) => a.id === `sd:${JOB}:${RUN}:${PERSONAL}:rollup:1`);
  expect(personal?.headline).toBe('Macie found personal data in 399 more buckets (job Org_PII_scan)');
  expect(personal?.affected[0]).toMatchObject({ kind: 'bucket', total: 399 });
  expect(personal?.count).toBe(399 * 3);
  expect(await base.listIndex(GSI1.heldRollup)).toEqual([]);

  // More buckets later in the run: a new window, one more roll-up once it has passed, none before.
  await deliver(deps, [...Array.from({ length: 10 }, (_, i) => finding(bucket(400 + i), PERSONAL, 40)), finding(bucket(7), PERSONAL, 40)]);
  expect((await sweep(deps)).raised).toEqual([]);
  clock.advance(61 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([`sd:${JOB}:${RUN}:${PERSONAL}:rollup:2`]);
  expect(publisher.alerts.at(-1)?.affected[0]).toEqual({ kind: 'bucket', items: Array.from({ length: 10 }, (_, i) => bucket(400 + i)), total: 10 });
  expect((await sweep(deps)).raised).toEqual([]);

  await jobLog(deps, [jobEvent('JOB_COMPLETED', 90)]);
  const summary = publisher.alerts.find((a) => a.id === `run:${JOB}:${RUN}:summary`);
  expect(summary?.details.find((d) => d.label === 'Findings')?.value).toBe('1,311');

  // At most 25 alerts for the run, summary included; every bucket with a finding named by an alert.
  const forRun = publisher.alerts.filter((a) => a.job?.id === JOB);
  expect(forRun.length).toBeLessThanOrEqual(25);
  expect(forRun).toHaveLength(2 + 3 + 1);
  const personalNamed = named(forRun.filter((a) => a.eventType === PERSONAL));
  expect(Array.from({ length: 410 }, (_, i) => bucket(i)).every((b) => personalNamed.has(b))).toBe(true);
  expect(named(forRun.filter((a) => a.eventType === FINANCIAL)).size).toBe(50);
  expect(rollups(forRun).every((a) => a.affected[0].items.length === a.affected[0].total)).toBe(true);
  // Every finding counted once.
  const groups = await base.listPrefix(keys.run(JOB, RUN).pk, keys.runFindingsPrefix(RUN));
  expect(groups).toHaveLength(410 + 50);
  expect(groups.reduce((n, g) => n + (g.count as number), 0)).toBe(1311);
  expect(groups.filter((g) => (g.alerts as number) > 0)).toHaveLength(2);
}, 600_000);

test('findingAlertsPer bucket: one alert per bucket, nothing rolled up', async () => {
  const { publisher, deps, base } = await setup();
  const perBucket = { ...deps, settings: resolveSettings({ repeatIntervalMinutes: 60, findingAlertsPer: 'bucket' }) };
  await jobLog(perBucket, [jobEvent('ONE_TIME_JOB_STARTED', 0)]);
  await processFindingBatch(sqsBatch(Array.from({ length: 5 }, (_, i) => finding(bucket(i), PERSONAL))), perBucket);
  expect(publisher.alerts).toHaveLength(5);
  expect(await base.listIndex(GSI1.heldRollup)).toEqual([]);
  expect(await base.get(keys.findingRollup(JOB, RUN, PERSONAL))).toBeUndefined();
});

test('a bucket written after the flush closed its roll-up joins the next one: named once, not lost', async () => {
  let race: (() => Promise<unknown>) | undefined;
  const { clock, publisher, deps } = await setup((store) => {
    const racing = Object.create(store) as StateStore;
    racing.listPrefix = async (pk, prefix) => {
      const run = race;
      race = undefined;
      if (run) await run();
      return store.listPrefix(pk, prefix);
    };
    return racing;
  });
  await jobLog(deps, [jobEvent('ONE_TIME_JOB_STARTED', 0)]);
  await processFindingBatch(sqsBatch([finding(bucket(0), PERSONAL), finding(bucket(1), PERSONAL)]), deps);
  clock.advance(61 * MINUTE);
  // Between the close and the read of the groups, a new bucket arrives.
  race = () => processFindingBatch(sqsBatch([finding(bucket(2), PERSONAL)]), deps);
  expect((await sweep(deps)).raised).toEqual([`sd:${JOB}:${RUN}:${PERSONAL}:rollup:1`]);
  expect(publisher.alerts.at(-1)?.affected[0].items).toEqual([bucket(1)]);
  expect((await sweep(deps)).raised).toEqual([]);
  clock.advance(61 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([`sd:${JOB}:${RUN}:${PERSONAL}:rollup:2`]);
  expect(publisher.alerts.at(-1)?.affected[0].items).toEqual([bucket(2)]);
});

test('a sweep that fails after closing the roll-up, or while unmarking the groups beyond one write: the next sweep names each bucket once', async () => {
  let failWrites = 0;
  let failWhen: (input: Record<string, unknown>) => boolean = () => false;
  const { clock, publisher, deps, base } = await setup((store) =>
    refusingStore(store, (input) => {
      if (failWrites > 0 && failWhen(input)) {
        failWrites--;
        return Object.assign(new Error('connection reset'), { name: 'TimeoutError' });
      }
      return undefined;
    }),
  );
  await jobLog(deps, [jobEvent('ONE_TIME_JOB_STARTED', 0)]);
  await deliver(
    deps,
    Array.from({ length: 150 }, (_, i) => finding(bucket(i), PERSONAL)),
  );
  clock.advance(61 * MINUTE);
  const items = (input: Record<string, unknown>) => (input.TransactItems as unknown[] | undefined)?.length ?? 0;
  // The write that names the buckets (the roll-up, the alert and 98 groups) fails after the close.
  failWhen = (input) => items(input) === 100;
  failWrites = 1;
  const failed = await sweep(deps);
  expect(failed.raised).toEqual([]);
  expect(failed.failures).toHaveLength(1);
  // The next sweep names them; then its unmarking of the rest fails.
  failWhen = (input) => items(input) > 0 && items(input) < 100;
  failWrites = 1;
  const named1 = await sweep(deps);
  expect(named1.raised).toEqual([`sd:${JOB}:${RUN}:${PERSONAL}:rollup:1`]);
  expect(publisher.alerts.at(-1)?.affected[0].total).toBe(149);
  expect((await base.listIndex(GSI1.heldRollup)).length).toBe(149 - 98);
  // Left marked: only unmarked, never named again.
  clock.advance(61 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([]);
  expect(await base.listIndex(GSI1.heldRollup)).toEqual([]);
  expect(rollups(publisher.alerts)).toHaveLength(1);
}, 300_000);

test('a new bucket counted after the summary: named by its roll-up, then told by the "run summary updated" with the corrected totals', async () => {
  const { clock, publisher, deps, base } = await setup();
  await jobLog(deps, [jobEvent('ONE_TIME_JOB_STARTED', 0)]);
  await processFindingBatch(sqsBatch([finding(bucket(0), PERSONAL), finding(bucket(1), PERSONAL)]), deps);
  await jobLog(deps, [jobEvent('JOB_COMPLETED', 30)]);
  // Created before the run ended (a finding created after it belongs to a later run), delivered after its summary.
  await processFindingBatch(sqsBatch([finding(bucket(2), PERSONAL, 25)]), deps);
  expect((await base.listIndex(GSI1.heldRollup)).map((g) => g.bucket).sort()).toEqual([bucket(1), bucket(2)]);
  clock.advance(61 * MINUTE);
  const report = await sweep(deps);
  expect(report.raised).toEqual([`sd:${JOB}:${RUN}:${PERSONAL}:rollup:1`, `run:${JOB}:${RUN}:findings-update:1`]);
  expect(publisher.alerts.find((a) => a.id.endsWith(':rollup:1'))?.affected[0].items).toEqual([bucket(1), bucket(2)]);
  expect(publisher.alerts.at(-1)?.whatHappened).toContain('Sensitive data findings: 1 more (3 in all).');
  expect(await base.listIndex(GSI1.heldRollup)).toEqual([]);
  expect(await base.listIndex(GSI1.lateFindings)).toEqual([]);
});

test('a job item this version cannot read costs the roll-up only the job name: it goes out, naming the job by id', async () => {
  const { clock, publisher, deps, base } = await setup();
  await jobLog(deps, [jobEvent('ONE_TIME_JOB_STARTED', 0)]);
  await deliver(
    deps,
    [0, 1, 2].map((i) => finding(bucket(i), PERSONAL)),
  );
  // A job item without the attributes this version reads (written by hand, or by a version to come).
  await base.write([{ kind: 'put', item: { ...keys.job(JOB), currentRunDate: RUN } }]);
  clock.set(new Date(clock.now().getTime() + 61 * MINUTE).toISOString());
  const swept = await sweep(deps);
  expect(swept.failures).toEqual([]);
  expect(rollups(publisher.alerts).map((a) => a.headline)).toEqual([`Macie found personal data in 2 more buckets (job ${JOB})`]);
});
