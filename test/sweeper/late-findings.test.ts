import { decodeOptional } from '../../lambda/state/codec';
import { JobCodec } from '../../lambda/state/job-items';
import { resolveSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { pendingIds } from '../../lambda/delivery/outbox';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import type { WriteOp } from '../../lambda/state/store';
import { GSI1, keys } from '../../lambda/state/table';
import { sweep } from '../../lambda/sweeper/sweep';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { racingStore, refusingStore, TestClock } from '../support/clock';
import { freshStore } from '../support/dynamodb';
import { minutesAfter, SENSITIVE_JOB_ID, sensitiveFinding, sqsBatch } from '../findings/kit';

/**
 * Findings that arrive after their run's summary: the findings pipeline marks their groups, and the sweeper
 * sends one "run summary updated" per run per repeat interval with what changed and the corrected totals,
 * until nothing is left marked. On DynamoDB Local with the real job-log and findings pipelines; the clock
 * (wall clock: the marks and the interval) is the test's.
 */
const MINUTE = 60_000;
const JOB = SENSITIVE_JOB_ID;
const RUN = '2024-04-14T17:09:30.000Z';
const FINANCIAL = 'SensitiveData:S3Object/Financial';
const PERSONAL = 'SensitiveData:S3Object/Personal';
const SUMMARY = `run:${JOB}:${RUN}:summary`;
const update = (n: number) => `run:${JOB}:${RUN}:findings-update:${n}`;

async function setup() {
  const clock = new TestClock(new Date());
  const store = await freshStore(clock.now);
  const publisher = new RecordingPublisher();
  // One alert per bucket: a new bucket's group is listed for its late findings at once (a run's roll-up per type
  // lists it for the roll-up first: finding-rollups.test.ts).
  const deps: PipelineDeps = {
    store,
    publisher,
    telemetry: new RecordingTelemetry(),
    settings: resolveSettings({ repeatIntervalMinutes: 60, findingAlertsPer: 'bucket' }),
    region: 'us-east-1',
    now: clock.now,
  };
  return { clock, store, publisher, deps };
}

function jobEvent(eventType: string, minute: number) {
  return {
    adminAccountId: '123456789012',
    jobId: JOB,
    eventType,
    occurredAt: minutesAfter(RUN, minute),
    description: `Macie reported ${eventType}.`,
    jobName: 'Nightly_PII_scan',
    runDate: RUN,
  };
}

const jobLog = (deps: PipelineDeps, events: readonly Record<string, unknown>[]) => processLogsPayload(logsPayload(events.map((e) => logEvent(e))), deps);

let numbered = 0;
/** `n` new findings (fresh ids) of one bucket and type. */
function findings(n: number, bucket: string, type = FINANCIAL) {
  return Array.from({ length: n }, () => sensitiveFinding(++numbered, { bucket, type, at: minutesAfter(RUN, 5) }));
}
const count = (deps: PipelineDeps, events: readonly unknown[]) => processFindingBatch(sqsBatch(events), deps);

/** A run started, 10 findings counted, then completed: its summary says 10. */
async function summarizedRun(deps: PipelineDeps, publisher: RecordingPublisher) {
  await jobLog(deps, [jobEvent('ONE_TIME_JOB_STARTED', 0)]);
  await count(deps, findings(10, 'bucket-a'));
  await jobLog(deps, [jobEvent('JOB_COMPLETED', 30)]);
  const summary = publisher.alerts.find((a) => a.id === SUMMARY);
  expect(summary?.details.find((d) => d.label === 'Findings')?.value).toBe('10');
  return summary;
}

const detail = (alert: { details: readonly { label: string; value: string }[] } | undefined, label: string) =>
  alert?.details.find((d) => d.label === label)?.value;

test("findings before the summary mark nothing; the run's findings ledger counts their write and says the summary was saved", async () => {
  const { clock, store, publisher, deps } = await setup();
  await summarizedRun(deps, publisher);
  expect(await store.get(keys.runFindingsLedger(JOB, RUN))).toMatchObject({ findingsVersion: 1, summarizedAt: clock.at.toISOString() });
  expect(await store.listIndex(GSI1.lateFindings)).toEqual([]);
  expect((await sweep(deps)).raised).toEqual([]);
});

test('late findings: one update per interval with exact counts, a burst inside the interval reported once it has passed, nothing left after', async () => {
  const { clock, store, publisher, deps } = await setup();
  await summarizedRun(deps, publisher);

  // 3 more in bucket-a, and a new group (bucket-b, Personal) whose first finding alerts at once as always.
  await count(deps, [...findings(3, 'bucket-a'), ...findings(2, 'bucket-b', PERSONAL)]);
  expect(publisher.alerts.at(-1)?.id).toBe(`sd:${JOB}:${RUN}:bucket-b:${PERSONAL}:first`);
  expect((await store.listIndex(GSI1.lateFindings)).map((g) => g.sk).sort()).toEqual([
    keys.findingGroup(JOB, RUN, 'bucket-a', FINANCIAL).sk,
    keys.findingGroup(JOB, RUN, 'bucket-b', PERSONAL).sk,
  ]);

  clock.advance(10 * MINUTE);
  const first = await sweep(deps);
  expect(first.raised).toEqual([update(1)]);
  const alert = publisher.alerts.at(-1)!;
  expect(alert.id).toBe(update(1));
  expect(alert.headline).toBe('Summary updated (run of 2024-04-14 17:09 UTC, now 15 findings): Macie job Nightly_PII_scan');
  expect(alert.whatHappened).toContain(
    `Events arrived after the summary of this run was sent. Sensitive data findings: 5 more (15 in all). ${FINANCIAL}: 3 more (13 in all). ${PERSONAL}: 2 more (2 in all). Corrected totals follow.`,
  );
  expect(alert.whatHappened).toContain('It produced 15 sensitive data findings (15 HIGH) in 2 buckets.');
  expect(detail(alert, 'Findings')).toBe('15');
  expect(alert).toMatchObject({ category: 'JOB_RUN_SUMMARY', eventType: 'JOB_COMPLETED', job: { id: JOB, runDate: RUN }, threadId: JOB });
  expect(await store.listIndex(GSI1.lateFindings)).toEqual([]);
  const run = await store.get(keys.run(JOB, RUN));
  expect(run?.sweeper).toMatchObject({
    lateFindings: { updates: 1, lastAt: clock.at.toISOString(), reported: { total: 15, byType: { [FINANCIAL]: 13, [PERSONAL]: 2 } } },
  });
  expect(pendingIds(run)).toEqual([]);

  // A burst inside the interval: held until the interval has passed, then reported once, with no later event.
  await count(deps, findings(4, 'bucket-a'));
  await count(deps, findings(1, 'bucket-c'));
  clock.advance(30 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([]);
  expect((await store.listIndex(GSI1.lateFindings)).length).toBe(2);
  clock.advance(31 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([update(2)]);
  expect(publisher.alerts.at(-1)?.whatHappened).toContain(
    `Sensitive data findings: 5 more (20 in all). ${FINANCIAL}: 5 more (18 in all). Corrected totals follow.`,
  );
  expect(detail(publisher.alerts.at(-1), 'Findings by type')).toBe(`${FINANCIAL} 18, ${PERSONAL} 2`);
  expect(await store.listIndex(GSI1.lateFindings)).toEqual([]);

  clock.advance(120 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([]);
  const updates = publisher.alerts.filter((a) => a.id.includes(':findings-update:')).map((a) => a.id);
  expect(updates).toEqual([update(1), update(2)]);
});

test("late findings a silence matches (their bucket) send no update; they count in the next update's totals", async () => {
  const { clock, publisher, deps } = await setup();
  await summarizedRun(deps, publisher);
  const silence = {
    id: 'S-7KQ2',
    match: { bucket: 'bucket-m*' },
    startsAt: RUN,
    endsAt: minutesAfter(RUN, 24 * 60),
    author: 'alice',
    reason: 'bucket migration',
    createdAt: RUN,
  };
  const silenced = { ...deps, silences: { list: async () => [silence] } };
  await count(silenced, findings(3, 'bucket-migrating'));
  clock.advance(10 * MINUTE);
  expect((await sweep(silenced)).raised).toEqual([]);
  expect(await deps.store.listIndex(GSI1.lateFindings)).toEqual([]);
  // An unsilenced late finding later: its update tells it, with the silenced ones in the corrected totals.
  await count(silenced, findings(2, 'bucket-a'));
  clock.advance(61 * MINUTE);
  expect((await sweep(silenced)).raised).toEqual([update(1)]);
  expect(publisher.alerts.at(-1)?.whatHappened).toContain(
    `Sensitive data findings: 2 more (15 in all). ${FINANCIAL}: 2 more (15 in all). Corrected totals follow.`,
  );
});

test("late findings a late job event's own summary update already told are not told again by the sweeper", async () => {
  const { clock, store, publisher, deps } = await setup();
  await summarizedRun(deps, publisher);
  await count(deps, findings(3, 'bucket-a'));
  // A bucket error logged after the completion: the job-log sends its own "run summary updated", with 13 findings.
  await jobLog(deps, [{ ...jobEvent('BUCKET_ACCESS_DENIED', 31), affectedResource: { type: 'S3_BUCKET', value: 'bucket-x' }, operation: 'ListObjectsV2' }]);
  const told = publisher.alerts.at(-1)!;
  expect(told.id).toBe(`run:${JOB}:${RUN}:summary-update:1`);
  expect(detail(told, 'Findings')).toBe('13');
  clock.advance(61 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([]);
  expect(await store.listIndex(GSI1.lateFindings)).toEqual([]);
  // A later late finding is told from there: 1 more, 14 in all.
  await count(deps, findings(1, 'bucket-a'));
  clock.advance(61 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([update(1)]);
  expect(publisher.alerts.at(-1)?.whatHappened).toContain('Sensitive data findings: 1 more (14 in all).');
});

test('two sweeps at once send the update once', async () => {
  const { clock, publisher, deps } = await setup();
  await summarizedRun(deps, publisher);
  await count(deps, findings(2, 'bucket-a'));
  clock.advance(MINUTE);
  const [a, b] = await Promise.all([sweep(deps), sweep(deps)]);
  expect([...a.raised, ...b.raised]).toEqual([update(1)]);
  expect([...a.failures, ...b.failures]).toEqual([]);
  expect(publisher.alerts.filter((x) => x.id === update(1))).toHaveLength(1);
});

test('a late finding counted while the sweep decides is in that update (the write starts over), not lost or counted twice', async () => {
  const { clock, store, publisher, deps } = await setup();
  await summarizedRun(deps, publisher);
  await count(deps, findings(2, 'bucket-a'));
  clock.advance(MINUTE);
  const writesRun = (ops: readonly WriteOp[]) => ops.some((op) => op.kind === 'update' && op.key.sk === keys.run(JOB, RUN).sk);
  const racing = racingStore(store, writesRun, () => count(deps, findings(1, 'bucket-a')));
  expect((await sweep({ ...deps, store: racing })).raised).toEqual([update(1)]);
  expect(racing.raced).toBe(true);
  expect(publisher.alerts.at(-1)?.whatHappened).toContain('Sensitive data findings: 3 more (13 in all).');
  expect(await store.listIndex(GSI1.lateFindings)).toEqual([]);
  clock.advance(120 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([]);
});

test('late findings in more groups than one transaction holds: one update, every group unmarked', async () => {
  const { clock, store, publisher, deps } = await setup();
  await summarizedRun(deps, publisher);
  const buckets = Array.from({ length: 120 }, (_, i) => `late-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < buckets.length; i += 40)
    await count(
      deps,
      buckets.slice(i, i + 40).flatMap((b) => findings(1, b)),
    );
  expect((await store.listIndex(GSI1.lateFindings)).length).toBe(120);
  clock.advance(MINUTE);
  expect((await sweep(deps)).raised).toEqual([update(1)]);
  expect(publisher.alerts.at(-1)?.whatHappened).toContain('Sensitive data findings: 120 more (130 in all).');
  expect(await store.listIndex(GSI1.lateFindings)).toEqual([]);
  clock.advance(120 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([]);
});

test('a group left marked after its update (a crash before it was unmarked) is unmarked by the next sweep, with no alert', async () => {
  const { clock, store, publisher, deps } = await setup();
  await summarizedRun(deps, publisher);
  await count(deps, findings(2, 'bucket-a'));
  const marked = await store.get(keys.findingGroup(JOB, RUN, 'bucket-a', FINANCIAL));
  clock.advance(MINUTE);
  await sweep(deps);
  // Put the mark back, as if the unmarking had never landed.
  await store.write([
    {
      kind: 'put',
      item: { ...(await store.get(keys.findingGroup(JOB, RUN, 'bucket-a', FINANCIAL))), late: marked?.late, gsi1pk: marked?.gsi1pk, gsi1sk: marked?.gsi1sk },
    },
  ]);
  clock.advance(61 * MINUTE);
  expect((await sweep(deps)).raised).toEqual([]);
  expect(await store.listIndex(GSI1.lateFindings)).toEqual([]);
  expect(publisher.alerts.filter((a) => a.id.includes(':findings-update:'))).toHaveLength(1);
});

test("a finding counted while the run's summary is written (the summary lands between the finding's read and its write) is reported by the next update", async () => {
  const { clock, store, publisher, deps } = await setup();
  await jobLog(deps, [jobEvent('ONE_TIME_JOB_STARTED', 0)]);
  await count(deps, findings(10, 'bucket-a'));
  const writesGroup = (ops: readonly WriteOp[]) => ops.some((op) => op.kind === 'put' && op.item.sk === keys.findingGroup(JOB, RUN, 'bucket-a', FINANCIAL).sk);
  const racing = racingStore(store, writesGroup, () => jobLog(deps, [jobEvent('JOB_COMPLETED', 30)]));
  await count({ ...deps, store: racing }, findings(1, 'bucket-a'));
  expect(racing.raced).toBe(true);
  expect(
    detail(
      publisher.alerts.find((a) => a.id === SUMMARY),
      'Findings',
    ),
  ).toBe('10');
  expect((await store.get(keys.findingGroup(JOB, RUN, 'bucket-a', FINANCIAL)))?.count).toBe(11);

  clock.advance(MINUTE);
  expect((await sweep(deps)).raised).toEqual([update(1)]);
  expect(publisher.alerts.at(-1)?.whatHappened).toContain(
    `Sensitive data findings: 1 more (11 in all). ${FINANCIAL}: 1 more (11 in all). Corrected totals follow.`,
  );
  expect(await store.listIndex(GSI1.lateFindings)).toEqual([]);
});

test("a finding counted after the completing batch listed the run's findings and before it saved the summary is in the summary (its write fails and lists again)", async () => {
  const { clock, store, publisher, deps } = await setup();
  await jobLog(deps, [jobEvent('ONE_TIME_JOB_STARTED', 0)]);
  await count(deps, findings(10, 'bucket-a'));
  // The write that saves the summary, whatever item carries the mark: the run with its summarySentAt.
  const savesSummary = (ops: readonly WriteOp[]) =>
    ops.some(
      (op) => (op.kind === 'update' && Object.values(op.names ?? {}).includes('summarySentAt')) || (op.kind === 'put' && op.item.summarySentAt !== undefined),
    );
  const racing = racingStore(store, savesSummary, () => count(deps, findings(1, 'bucket-a')));
  await jobLog({ ...deps, store: racing }, [jobEvent('JOB_COMPLETED', 30)]);
  expect(racing.raced).toBe(true);
  expect((await store.get(keys.findingGroup(JOB, RUN, 'bucket-a', FINANCIAL)))?.count).toBe(11);
  expect(
    detail(
      publisher.alerts.find((a) => a.id === SUMMARY),
      'Findings',
    ),
  ).toBe('11');

  clock.advance(MINUTE);
  expect((await sweep(deps)).raised).toEqual([]);
  expect(await store.listIndex(GSI1.lateFindings)).toEqual([]);
});

test("a findings transaction cancelled by a concurrent write of the run's findings ledger (TransactionConflict, injected) is retried, not failed", async () => {
  const { store, deps } = await setup();
  await jobLog(deps, [jobEvent('ONE_TIME_JOB_STARTED', 0)]);
  // DynamoDB cancels a transaction that names an item another transaction is writing.
  const ledger = keys.runFindingsLedger(JOB, RUN).sk;
  const conflicting = refusingStore(store, (input) => {
    const items = input.TransactItems as { Update?: { Key?: { sk?: string } } }[] | undefined;
    if (conflicting.refused > 0 || !items?.some((i) => i.Update?.Key?.sk === ledger)) return undefined;
    const reasons = items.map((i) => ({ Code: i.Update?.Key?.sk === ledger ? 'TransactionConflict' : 'None' }));
    return Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: reasons });
  });
  const report = await count({ ...deps, store: conflicting }, findings(3, 'bucket-a'));
  expect(conflicting.refused).toBe(1);
  expect(report.batchItemFailures).toEqual([]);
  expect((await store.get(keys.findingGroup(JOB, RUN, 'bucket-a', FINANCIAL)))?.count).toBe(3);
});

test('a run summarised by the version before the findings ledgers (listed on its job item, no ledger): its late findings are told as late, and the job keeps the list', async () => {
  const { clock, store, publisher, deps } = await setup();
  await summarizedRun(deps, publisher);
  // What that version left: no ledger for the run, and the run in the job item's summarizedRuns.
  await store.write([
    {
      kind: 'update',
      key: keys.runFindingsLedger(JOB, RUN),
      expression: 'REMOVE #s, #v, #e',
      names: { '#s': 'summarizedAt', '#v': 'findingsVersion', '#e': 'endedAt' },
    },
    { kind: 'update', key: keys.job(JOB), expression: 'SET #r = :r', names: { '#r': 'summarizedRuns' }, values: { ':r': [RUN] } },
  ]);
  const job = await store.get(keys.job(JOB));
  expect(JobCodec.encode(decodeOptional(JobCodec, job)!).summarizedRuns).toEqual([RUN]);

  await count(deps, findings(3, 'bucket-a'));
  expect((await store.listIndex(GSI1.lateFindings)).map((g) => g.sk)).toEqual([keys.findingGroup(JOB, RUN, 'bucket-a', FINANCIAL).sk]);
  clock.advance(61 * MINUTE);
  await sweep(deps);
  expect(
    detail(
      publisher.alerts.find((a) => a.id === update(1)),
      'Findings',
    ),
  ).toBe('13');
});
