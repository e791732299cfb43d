import type { Alert } from '../../lambda/core/alert';
import { alertItemCodec, claimWrite } from '../../lambda/delivery/alert-item';
import { LEASE_MS } from '../../lambda/delivery/lease';
import { outboxWrites, pendingIds, withPending } from '../../lambda/delivery/outbox';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings';
import type { StateStore, Item, WriteOp } from '../../lambda/state/store';
import { steadySchedule, sweep } from '../../lambda/sweeper/sweep';
import { GSI1, keys } from '../../lambda/state/table';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { FakePublisher, testAlert } from '../support/alerts';
import { TestClock } from '../support/clock';
import { freshStore } from '../support/dynamodb';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const JOB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const RUN_DATE = '2026-11-01T08:00:00.000Z';

async function setup(start = new Date(RUN_DATE)) {
  const clock = new TestClock(start);
  const store = await freshStore(clock.now);
  const publisher = new FakePublisher();
  const telemetry = new RecordingTelemetry();
  const deps: PipelineDeps = { store, publisher, telemetry, settings: DEFAULT_SETTINGS, region: 'eu-west-1', now: clock.now };
  return { clock, store, publisher, telemetry, deps };
}

function runItem(overrides: Item = {}): Item {
  return {
    ...keys.run(JOB, RUN_DATE),
    jobId: JOB,
    jobName: 'Nightly_PII_scan',
    runDate: RUN_DATE,
    adminAccountId: '123456789012',
    region: 'eu-west-1',
    status: 'RUNNING',
    statusAt: RUN_DATE,
    startedAt: RUN_DATE,
    lastEventAt: RUN_DATE,
    bucketsMatched: 7,
    version: 3,
    gsi1pk: GSI1.openRun,
    gsi1sk: RUN_DATE,
    ...overrides,
  };
}

function jobItem(recentRunStarts: string[], overrides: Item = {}): Item {
  return {
    ...keys.job(JOB),
    jobId: JOB,
    jobName: 'Nightly_PII_scan',
    adminAccountId: '123456789012',
    kind: 'SCHEDULED',
    currentRunDate: recentRunStarts[recentRunStarts.length - 1],
    recentRunStarts,
    version: 5,
    gsi1pk: GSI1.periodicJob,
    gsi1sk: JOB,
    ...overrides,
  };
}

const ids = (alerts: readonly Alert[]) => alerts.map((a) => a.id);
const iso = (t: number) => new Date(t).toISOString();
/** Starts at a steady interval, ending at `last`. */
const startsEvery = (interval: number, last: number, n = 5) => Array.from({ length: n }, (_, i) => iso(last - (n - 1 - i) * interval));

describe('sweeper: runs still RUNNING', () => {
  test('alerts once past the threshold, keeps the attributes it does not own, and bumps the version', async () => {
    const { clock, store, publisher, deps } = await setup();
    await store.write([{ kind: 'put', item: runItem() }]);
    clock.advance(25 * HOUR);
    const report = await sweep(deps);
    expect(report.raised).toEqual([`sweep:${JOB}:${RUN_DATE}:still-running`]);
    expect(ids(publisher.published)).toEqual([`sweep:${JOB}:${RUN_DATE}:still-running`]);
    const alert = publisher.published[0];
    expect(alert.headline).toBe('Macie job Nightly_PII_scan: still running after 25 h');
    expect(alert).toMatchObject({ severity: 'MEDIUM', category: 'STUCK_RUN', accountId: '123456789012', region: 'eu-west-1', threadId: JOB });

    const after = await store.get(keys.run(JOB, RUN_DATE));
    // version 3 -> 4 (the sweeper's mark) -> 5 (the claim cleaning pendingAlerts)
    expect(after).toMatchObject({ bucketsMatched: 7, status: 'RUNNING', version: 5, gsi1pk: GSI1.openRun });
    expect((after!.sweeper as { stillRunning?: { alertedAt: string } }).stillRunning?.alertedAt).toBe(clock.at.toISOString());
    expect(pendingIds(after)).toEqual([]); // delivered: the claim removed it from the run's pending set
  });

  test('does not alert again on the next sweeps', async () => {
    const { clock, store, publisher, deps } = await setup();
    await store.write([{ kind: 'put', item: runItem() }]);
    clock.advance(25 * HOUR);
    await sweep(deps);
    clock.advance(HOUR);
    const second = await sweep(deps);
    clock.advance(30 * HOUR);
    const third = await sweep(deps);
    expect(second.raised).toEqual([]);
    expect(third.raised).toEqual([]);
    expect(publisher.calls.flat()).toHaveLength(1);
  });

  test('does not alert below the threshold (and honours a configured threshold)', async () => {
    const { clock, store, publisher, deps } = await setup();
    await store.write([{ kind: 'put', item: runItem() }]);
    clock.advance(23 * HOUR);
    expect((await sweep(deps)).raised).toEqual([]);
    const shorter = { ...deps, settings: { ...DEFAULT_SETTINGS, longRunningRunHours: 6 } };
    expect((await sweep(shorter)).raised).toEqual([`sweep:${JOB}:${RUN_DATE}:still-running`]);
    expect(publisher.published[0].headline).toContain('after 23 h');
  });

  test('falls back to runDate when startedAt is missing', async () => {
    const { clock, store, publisher, deps } = await setup();
    await store.write([{ kind: 'put', item: runItem({ startedAt: undefined }) }]);
    clock.advance(49 * HOUR);
    await sweep(deps);
    expect(publisher.published[0].headline).toContain('after 49 h (2 days)');
  });

  test('the condition clears when the run completes: a completed run is no longer swept', async () => {
    const { clock, store, publisher, deps } = await setup();
    await store.write([{ kind: 'put', item: runItem() }]);
    clock.advance(10 * HOUR);
    await sweep(deps);
    // The job-log pipeline completes the run: status COMPLETED, out of the open-run index.
    await store.write([
      {
        kind: 'update',
        key: keys.run(JOB, RUN_DATE),
        expression: 'SET #s = :c, version = version + :one REMOVE gsi1pk, gsi1sk',
        names: { '#s': 'status' },
        values: { ':c': 'COMPLETED', ':one': 1 },
      },
    ]);
    clock.advance(40 * HOUR);
    const report = await sweep(deps);
    expect(report.openRuns).toBe(0);
    expect(report.raised).toEqual([]);
    expect(publisher.calls).toEqual([]);
  });

  test('a pipeline write between the read and the write makes the sweeper re-decide; nothing is lost', async () => {
    const { clock, store, publisher, deps } = await setup();
    await store.write([{ kind: 'put', item: runItem() }]);
    clock.advance(25 * HOUR);
    let raced = false;
    const racing = Object.create(store) as StateStore;
    racing.write = async (ops: readonly WriteOp[]) => {
      if (!raced && ops.some((op) => op.kind === 'update' && op.expression.includes('#sweeper'))) {
        raced = true; // a pipeline invocation lands first: one more bucket, version + 1
        await store.write([{ kind: 'update', key: keys.run(JOB, RUN_DATE), expression: 'ADD bucketsMatched :one, version :one', values: { ':one': 1 } }]);
      }
      return store.write(ops);
    };
    const report = await sweep({ ...deps, store: racing });
    expect(raced).toBe(true);
    expect(report.raised).toHaveLength(1);
    expect(publisher.calls.flat()).toHaveLength(1);
    expect(await store.get(keys.run(JOB, RUN_DATE))).toMatchObject({ bucketsMatched: 8, version: 6 }); // 3, race 4, mark 5, claim 6
  });

  test('two sweeps at once raise and publish the alert once', async () => {
    const { clock, store, publisher, deps } = await setup();
    await store.write([{ kind: 'put', item: runItem() }]);
    clock.advance(25 * HOUR);
    const [a, b] = await Promise.all([sweep(deps), sweep(deps)]);
    expect([...a.raised, ...b.raised]).toHaveLength(1);
    expect(publisher.calls.flat()).toHaveLength(1);
  });

  test('a failed publish stays pending and the next sweep delivers it exactly once', async () => {
    const { clock, store, publisher, deps } = await setup();
    await store.write([{ kind: 'put', item: runItem() }]);
    clock.advance(25 * HOUR);
    publisher.failWholeCalls = 1;
    const first = await sweep(deps);
    expect(first.failures).toHaveLength(1);
    expect(pendingIds(await store.get(keys.run(JOB, RUN_DATE)))).toEqual([`sweep:${JOB}:${RUN_DATE}:still-running`]);
    clock.advance(20 * 60_000);
    const second = await sweep(deps);
    expect(second.raised).toEqual([]);
    expect(second.published).toEqual([`sweep:${JOB}:${RUN_DATE}:still-running`]);
    clock.advance(20 * 60_000);
    await sweep(deps);
    expect(publisher.calls.map((c) => c.map((a) => a.id))).toEqual([[`sweep:${JOB}:${RUN_DATE}:still-running`], [`sweep:${JOB}:${RUN_DATE}:still-running`]]);
  });
});

describe('sweeper: runs PAUSED by the quota', () => {
  const pausedAt = '2026-11-01T12:00:00.000Z';

  test('one HIGH reminder past the threshold, not repeated', async () => {
    const { clock, store, publisher, deps } = await setup();
    await store.write([{ kind: 'put', item: runItem({ status: 'PAUSED', pausedBy: 'QUOTA', pausedAt, statusAt: pausedAt }) }]);
    clock.at = new Date(Date.parse(pausedAt) + 23 * HOUR);
    expect((await sweep(deps)).raised).toEqual([]);
    clock.advance(2 * HOUR);
    expect((await sweep(deps)).raised).toEqual([`sweep:${JOB}:${RUN_DATE}:quota-paused:${pausedAt}`]);
    clock.advance(24 * HOUR);
    expect((await sweep(deps)).raised).toEqual([]);
    expect(publisher.calls.flat()).toHaveLength(1);
    expect(publisher.published[0]).toMatchObject({ severity: 'HIGH', category: 'STUCK_RUN' });
    expect(publisher.published[0].headline).toBe('Macie job Nightly_PII_scan: still paused by the service quota after 25 h');
  });

  test('a pause by the user is not reminded of, and does not count as running', async () => {
    const { clock, store, deps } = await setup();
    await store.write([{ kind: 'put', item: runItem({ status: 'PAUSED', pausedBy: 'USER', pausedAt }) }]);
    clock.at = new Date(Date.parse(pausedAt) + 72 * HOUR);
    expect((await sweep(deps)).raised).toEqual([]);
  });

  test('a second quota pause of the same run is a new condition with its own reminder', async () => {
    const { clock, store, publisher, deps } = await setup();
    await store.write([{ kind: 'put', item: runItem({ status: 'PAUSED', pausedBy: 'QUOTA', pausedAt }) }]);
    clock.at = new Date(Date.parse(pausedAt) + 25 * HOUR);
    await sweep(deps);
    const again = iso(Date.parse(pausedAt) + 40 * HOUR);
    // Lifted and paused again, written by the pipeline as an update (it keeps the sweeper's marks).
    await store.write([
      {
        kind: 'update',
        key: keys.run(JOB, RUN_DATE),
        expression: 'SET pausedAt = :p, version = version + :one',
        values: { ':p': again, ':one': 1 },
      },
    ]);
    clock.at = new Date(Date.parse(again) + 25 * HOUR);
    const report = await sweep(deps);
    expect(report.raised).toEqual([`sweep:${JOB}:${RUN_DATE}:quota-paused:${again}`]);
    expect(publisher.calls.flat()).toHaveLength(2);
  });
});

describe('sweeper: scheduled runs missed', () => {
  const last = Date.parse('2026-11-10T02:00:00.000Z');

  test('a daily job overdue by more than half a day: one alert, not repeated', async () => {
    const { clock, store, publisher, deps } = await setup();
    await store.write([{ kind: 'put', item: jobItem(startsEvery(DAY, last)) }]);
    clock.at = new Date(last + DAY + 11 * HOUR); // due, but within half an interval
    expect((await sweep(deps)).raised).toEqual([]);
    clock.at = new Date(last + DAY + 13 * HOUR);
    const expectedAt = iso(last + DAY);
    expect((await sweep(deps)).raised).toEqual([`sweep:${JOB}:missed-run:${expectedAt}`]);
    clock.advance(3 * DAY);
    expect((await sweep(deps)).raised).toEqual([]);
    expect(publisher.calls.flat()).toHaveLength(1);
    expect(publisher.published[0]).toMatchObject({ severity: 'MEDIUM', category: 'STUCK_RUN', eventType: 'SWEEPER_SCHEDULED_RUN_MISSED' });
    expect(publisher.published[0].whatHappened).toContain('daily');
    const job = await store.get(keys.job(JOB));
    expect(job).toMatchObject({ kind: 'SCHEDULED', version: 7, sweeper: { missedRun: { expectedAt } } });
  });

  test('a new run start clears the condition with one "resumed" alert, sent once', async () => {
    const { clock, store, publisher, deps } = await setup();
    const starts = startsEvery(7 * DAY, last);
    await store.write([{ kind: 'put', item: jobItem(starts) }]);
    clock.at = new Date(last + 7 * DAY + 4 * DAY);
    await sweep(deps);
    const lateStart = iso(last + 7 * DAY + 5 * DAY);
    await store.write([
      {
        kind: 'update',
        key: keys.job(JOB),
        expression: 'SET recentRunStarts = :s, currentRunDate = :c, version = version + :one',
        values: { ':s': [...starts, lateStart], ':c': lateStart, ':one': 1 },
      },
    ]);
    clock.at = new Date(Date.parse(lateStart) + HOUR);
    const resolved = await sweep(deps);
    expect(resolved.raised).toEqual([`sweep:${JOB}:missed-run:${iso(last + 7 * DAY)}:resolved`]);
    expect(publisher.published[1]).toMatchObject({ severity: 'INFO', eventType: 'SWEEPER_SCHEDULED_RUN_RESUMED' });
    clock.advance(DAY);
    expect((await sweep(deps)).raised).toEqual([]); // the late start made the schedule irregular: no prediction
    expect(publisher.calls.flat()).toHaveLength(2);
  });

  test('irregular or too few starts predict nothing', async () => {
    const { clock, store, deps } = await setup();
    await store.write([{ kind: 'put', item: jobItem([iso(last - 9 * DAY), iso(last - 5 * DAY), iso(last - 4 * DAY), iso(last)]) }]);
    clock.at = new Date(last + 30 * DAY);
    expect((await sweep(deps)).raised).toEqual([]);
    expect(steadySchedule([iso(last - 2 * DAY), iso(last - DAY), iso(last)])).toBeUndefined();
    expect(steadySchedule([iso(last - 3 * DAY), iso(last - 2 * DAY), iso(last - DAY), iso(last)])?.intervalMs).toBe(DAY);
  });

  test('a monthly schedule (28 to 31 days) counts as steady', () => {
    const starts = ['2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z', '2026-08-01T00:00:00Z', '2026-09-01T00:00:00Z', '2026-10-01T00:00:00Z'];
    expect(steadySchedule(starts)).toMatchObject({ expectedAt: Date.parse('2026-10-01T00:00:00Z') + 31 * DAY });
    expect(steadySchedule(['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'])).toBeDefined();
  });

  test('no missed-run alert while the current run is still open, after the job was cancelled, or when the job is paused', async () => {
    const { clock, store, deps } = await setup();
    const starts = startsEvery(DAY, last);
    await store.write([
      { kind: 'put', item: jobItem(starts) },
      {
        kind: 'put',
        item: runItem({ ...keys.run(JOB, starts[4]), runDate: starts[4], startedAt: starts[4], status: 'PAUSED', pausedBy: 'USER', pausedAt: starts[4] }),
      },
    ]);
    clock.at = new Date(last + 3 * DAY);
    expect((await sweep(deps)).raised).toEqual([]);

    const cancelled = await setup();
    await cancelled.store.write([
      { kind: 'put', item: jobItem(starts) },
      {
        kind: 'put',
        item: runItem({ ...keys.run(JOB, starts[4]), runDate: starts[4], startedAt: starts[4], status: 'CANCELLED', gsi1pk: undefined, gsi1sk: undefined }),
      },
    ]);
    cancelled.clock.at = new Date(last + 3 * DAY);
    expect((await sweep(cancelled.deps)).raised).toEqual([]);

    const other = await setup();
    await other.store.write([{ kind: 'put', item: jobItem(starts, { jobStatus: 'USER_PAUSED' }) }]);
    other.clock.at = new Date(last + 3 * DAY);
    expect((await sweep(other.deps)).raised).toEqual([]);
  });
});

describe('sweeper: safety net for pending alerts', () => {
  async function strand(store: StateStore, ownerKey: { pk: string; sk: string }, alertIds: string[], createdAt: Date) {
    const alerts = alertIds.map((id) => testAlert(id));
    await store.write([
      { kind: 'put', item: { ...ownerKey, version: 1, pendingAlerts: withPending(undefined, alertIds) } },
      ...outboxWrites(alerts, ownerKey, createdAt, 90),
    ]);
  }

  test('alerts pending for more than 15 minutes are delivered, grouped by owner, each once', async () => {
    const { clock, store, publisher, deps } = await setup(new Date('2026-11-20T10:00:00.000Z'));
    const ownerA = keys.run('jobA', RUN_DATE);
    const ownerB = keys.findingGroup('jobB', RUN_DATE, 'bucket', 'SensitiveData:S3Object/Personal');
    await strand(store, ownerA, ['run:jobA:x', 'run:jobA:y'], new Date('2026-11-20T09:30:00.000Z'));
    await strand(store, ownerB, ['fg:jobB:z'], new Date('2026-11-20T09:40:00.000Z'));
    await strand(store, keys.run('jobC', RUN_DATE), ['run:jobC:recent'], new Date('2026-11-20T09:50:00.000Z'));
    const report = await sweep(deps);
    expect([...report.published].sort()).toEqual(['fg:jobB:z', 'run:jobA:x', 'run:jobA:y']);
    expect(pendingIds(await store.get(ownerA))).toEqual([]);
    expect(pendingIds(await store.get(ownerB))).toEqual([]);
    expect(pendingIds(await store.get(keys.run('jobC', RUN_DATE)))).toEqual(['run:jobC:recent']); // still in flight

    clock.advance(20 * 60_000);
    const next = await sweep(deps);
    expect(next.published).toEqual(['run:jobC:recent']);
    expect(
      publisher.calls
        .flat()
        .map((a) => a.id)
        .sort(),
    ).toEqual(['fg:jobB:z', 'run:jobA:x', 'run:jobA:y', 'run:jobC:recent']);
  });

  /** What a delivery that died right after its claim leaves behind: the alert SENDING under a lease. */
  async function claimAndDie(store: StateStore, alertId: string, claimedAt: Date) {
    const read = alertItemCodec.decode((await store.get(keys.alert(alertId)))!);
    const { op } = claimWrite(read, claimedAt.toISOString(), new Date(claimedAt.getTime() + LEASE_MS).toISOString());
    await store.write([op]);
  }

  test('alerts left SENDING past their lease are delivered again, labelled, grouped by owner with the pending ones; one within its lease is left alone', async () => {
    const { clock, store, publisher, telemetry, deps } = await setup(new Date('2026-11-20T10:00:00.000Z'));
    const ownerA = keys.run('jobA', RUN_DATE);
    const ownerB = keys.run('jobB', RUN_DATE);
    await strand(store, ownerA, ['run:jobA:dead', 'run:jobA:pending'], new Date('2026-11-20T09:30:00.000Z'));
    await strand(store, ownerB, ['run:jobB:live'], new Date('2026-11-20T09:59:00.000Z'));
    const diedAt = new Date('2026-11-20T09:31:00.000Z');
    await claimAndDie(store, 'run:jobA:dead', diedAt);
    await claimAndDie(store, 'run:jobB:live', new Date(clock.at.getTime() - 1_000));

    const report = await sweep(deps);
    expect([...report.published].sort()).toEqual(['run:jobA:dead', 'run:jobA:pending']);
    expect(publisher.calls.map((c) => c.map((a) => a.id).sort())).toEqual([['run:jobA:dead', 'run:jobA:pending']]);
    expect([...(publisher.options[0].repeats ?? new Map())]).toEqual([['run:jobA:dead', { interruptedAt: diedAt.toISOString() }]]);
    expect(telemetry.counters.AlertsRepublished).toBe(1);
    expect(pendingIds(await store.get(ownerA))).toEqual([]);
    expect(pendingIds(await store.get(ownerB))).toEqual(['run:jobB:live']);
    expect(await store.get(keys.alert('run:jobB:live'))).toMatchObject({ status: 'SENDING' });

    clock.advance(LEASE_MS);
    expect((await sweep(deps)).published).toEqual(['run:jobB:live']);
    expect((await sweep(deps)).published).toEqual([]);
    expect(telemetry.counters.AlertsRepublished).toBe(2);
  });

  test('an alert already claimed elsewhere is not published again', async () => {
    const { store, publisher, deps } = await setup(new Date('2026-11-20T10:00:00.000Z'));
    const owner = keys.run('jobA', RUN_DATE);
    await strand(store, owner, ['run:jobA:x'], new Date('2026-11-20T09:00:00.000Z'));
    // Claimed by a pipeline invocation after the sweeper listed it (the index is eventually consistent).
    const lagging = Object.create(store) as StateStore;
    lagging.listIndex = async (partition, before) => {
      const items = await store.listIndex(partition, before);
      if (partition === GSI1.pendingAlert) {
        await store.write([
          { kind: 'update', key: keys.alert('run:jobA:x'), expression: 'SET #s = :sent', names: { '#s': 'status' }, values: { ':sent': 'SENT' } },
        ]);
      }
      return items;
    };
    const report = await sweep({ ...deps, store: lagging });
    expect(report.published).toEqual([]);
    expect(publisher.calls).toEqual([]);
  });
});

describe('sweeper: job status recorded by the job-log pipeline', () => {
  // End to end: job items written by the real pipeline, not by hand, so the field the sweeper reads exists.
  async function dailyJob(paused: boolean) {
    const { processLogsPayload } = await import('../../lambda/job-log/pipeline');
    const { logEvent, logsPayload } = await import('../support/cloudwatch');
    const first = Date.parse('2024-06-01T02:00:00.000Z');
    const env = await setup(new Date(first));
    const event = (eventType: string, occurredAt: number, runDate?: number) => ({
      adminAccountId: '123456789012',
      jobId: 'daily-job',
      jobName: 'Daily',
      eventType,
      occurredAt: new Date(occurredAt).toISOString(),
      description: eventType,
      ...(runDate === undefined ? {} : { runDate: new Date(runDate).toISOString() }),
    });
    for (let d = 0; d < 5; d++) {
      const start = first + d * DAY;
      env.clock.at = new Date(start + HOUR);
      await processLogsPayload(
        logsPayload([logEvent(event('SCHEDULED_RUN_STARTED', start, start)), logEvent(event('SCHEDULED_RUN_COMPLETED', start + HOUR, start))]),
        env.deps,
      );
    }
    if (paused) await processLogsPayload(logsPayload([logEvent(event('JOB_PAUSED_BY_USER', first + 4 * DAY + 2 * HOUR))]), env.deps);
    env.clock.at = new Date(first + 6 * DAY + HOUR); // the run of day 6 is 23 h overdue
    return sweep(env.deps);
  }

  test('a periodic job paused by a user gets "still paused" (paused-jobs.test.ts), not "scheduled run missed"; the same job not paused gets the latter', async () => {
    expect((await dailyJob(false)).raised).toEqual(['sweep:daily-job:missed-run:2024-06-06T02:00:00.000Z']);
    expect((await dailyJob(true)).raised).toEqual(['sweep:daily-job:paused:2024-06-05T04:00:00.000Z:1']);
  });
});
