import type { Alert } from '../../lambda/core/alert';
import { resolveSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { addAck } from '../../lambda/silences/ack-store';
import { keys } from '../../lambda/state/table';
import { sweep } from '../../lambda/sweeper/sweep';
import { at, jobStream } from '../fixtures/job-log/streams';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { racingStore, TestClock } from '../support/clock';
import { freshStore } from '../support/dynamodb';

/**
 * A paused job stays watched: on DynamoDB Local, the job log through the real pipeline and the sweeper on the
 * test's clock, which runs along the job's own time (the log events arrive as they occur).
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const JOB = 'job-paused';
const NIGHTS = ['2026-11-01T02:00:00.000Z', '2026-11-02T02:00:00.000Z', '2026-11-03T02:00:00.000Z', '2026-11-04T02:00:00.000Z', '2026-11-05T02:00:00.000Z'];
const LAST = NIGHTS[NIGHTS.length - 1];

async function setup(start: string) {
  const clock = new TestClock(new Date(start));
  const store = await freshStore(clock.now);
  const publisher = new RecordingPublisher();
  const deps: PipelineDeps = { store, publisher, telemetry: new RecordingTelemetry(), settings: resolveSettings(), region: 'eu-west-1', now: clock.now };
  const log = (events: Record<string, unknown>[]) => processLogsPayload(logsPayload(events.map((e) => logEvent(e))), deps);
  /** Sweeps every hour until `until` (event time), collecting what they raised; each in a new container if asked (its caches read afresh). */
  const sweepUntil = async (until: string, every = HOUR, newContainers = false) => {
    const raised: string[] = [];
    while (clock.at.getTime() + every <= Date.parse(until)) {
      clock.advance(every);
      const report = await sweep(newContainers ? { ...deps, store: Object.create(store) } : deps);
      expect(report.failures).toEqual([]);
      raised.push(...report.raised);
    }
    return raised;
  };
  return { clock, store, publisher, deps, log, sweepUntil };
}

const alertOf = (alerts: readonly Alert[], id: string) => alerts.find((a) => a.id === id);

/** The five nights run and complete, then a user pauses the job (the pause logged under `pauseRun`); returns when. */
async function nightlyThenPaused(t: Awaited<ReturnType<typeof setup>>, pauseRun: string | undefined): Promise<string> {
  for (const night of NIGHTS) {
    const stream = jobStream(JOB, 'Nightly', night);
    t.clock.set(night);
    await t.log([stream('SCHEDULED_RUN_STARTED', night), stream('SCHEDULED_RUN_COMPLETED', at(night, 30))]);
  }
  const pausedAt = at(LAST, 8 * 60);
  t.clock.set(pausedAt);
  await t.log([jobStream(JOB, 'Nightly', pauseRun)('JOB_PAUSED_BY_USER', pausedAt)]);
  return pausedAt;
}

describe('a periodic job paused between runs is reminded of at each run it misses, and its resumption ends it', () => {
  test('nightly job paused after its 5th run: one LOW pause alert, one reminder per missed night, none twice; resumed, the missed-run check counts from the resumption', async () => {
    const t = await setup(NIGHTS[0]);
    for (const night of NIGHTS) {
      const stream = jobStream(JOB, 'Nightly', night);
      t.clock.set(night);
      await t.log([stream('SCHEDULED_RUN_STARTED', night)]);
      t.clock.set(at(night, 30));
      await t.log([stream('SCHEDULED_RUN_COMPLETED', at(night, 30))]);
    }
    const pausedAt = at(LAST, 8 * 60);
    t.clock.set(pausedAt);
    const paused = await t.log([jobStream(JOB, 'Nightly', undefined)('JOB_PAUSED_BY_USER', pausedAt)]);
    expect(paused.published.map((a) => [a.eventType, a.severity])).toEqual([['JOB_PAUSED_BY_USER', 'LOW']]);

    // Three nights pass: the runs of Nov 6, 7 and 8 do not start. One reminder per missed run, the count in it.
    const raised = await t.sweepUntil('2026-11-08T23:00:00.000Z');
    expect(raised).toEqual([1, 2, 3].map((n) => `sweep:${JOB}:paused:${pausedAt}:${n}`));
    const third = alertOf(t.publisher.alerts, `sweep:${JOB}:paused:${pausedAt}:3`)!;
    expect(third).toMatchObject({
      severity: 'MEDIUM',
      eventType: 'SWEEPER_JOB_STILL_PAUSED',
      headline: 'Macie job Nightly: still paused, 3 scheduled runs skipped',
    });
    // Not the generic "scheduled run missed": the job says why its runs did not start.
    expect(t.publisher.alerts.filter((a) => a.eventType === 'SWEEPER_SCHEDULED_RUN_MISSED')).toEqual([]);

    // Resumed on Nov 9 at 10:00: told at once; the next run is expected on Nov 10 at 02:00, not reported missed before.
    const resumedAt = '2026-11-09T10:00:00.000Z';
    t.clock.set(resumedAt);
    const resumed = await t.log([jobStream(JOB, 'Nightly', undefined)('JOB_RESUMED_BY_USER', resumedAt)]);
    expect(resumed.published.map((a) => a.eventType)).toEqual(['JOB_RESUMED_BY_USER']);
    expect(await t.sweepUntil('2026-11-10T13:00:00.000Z')).toEqual([]);
    // The run of Nov 10 never comes: the missed-run check, back on, says so once it is half a day late.
    expect(await t.sweepUntil('2026-11-10T15:00:00.000Z')).toEqual([`sweep:${JOB}:missed-run:2026-11-10T02:00:00.000Z`]);
  });

  test('two sweeps racing each other raise each reminder once', async () => {
    const t = await setup(NIGHTS[0]);
    const pausedAt = await nightlyThenPaused(t, LAST);
    t.clock.set('2026-11-07T15:00:00.000Z');
    const [a, b] = await Promise.all([sweep(t.deps), sweep(t.deps)]);
    // Both missed nights at once: one reminder that counts them both.
    expect([...a.raised, ...b.raised]).toEqual([`sweep:${JOB}:paused:${pausedAt}:2`]);
    // A sweep whose write races a pipeline write to the job re-decides and still raises nothing twice.
    t.clock.set('2026-11-08T15:00:00.000Z');
    const racing = racingStore(
      t.store,
      (ops) => ops.some((op) => op.kind === 'update' && op.expression.includes('#sweeper')),
      () => t.store.write([{ kind: 'update', key: keys.job(JOB), expression: 'ADD version :one', values: { ':one': 1 } }]),
    );
    const raced = await sweep({ ...t.deps, store: racing });
    expect(racing.raced).toBe(true);
    expect(raced.raised).toEqual([`sweep:${JOB}:paused:${pausedAt}:3`]);
    expect((await sweep(t.deps)).raised).toEqual([]);
    expect(t.publisher.alerts.filter((x) => x.eventType === 'SWEEPER_JOB_STILL_PAUSED').map((x) => x.id)).toEqual(
      [2, 3].map((n) => `sweep:${JOB}:paused:${pausedAt}:${n}`),
    );
  });
});

describe('an acknowledged pause reminder', () => {
  test('ack the first reminder for two days: no reminder while it lasts; after it, one that counts every run missed', async () => {
    const t = await setup(NIGHTS[0]);
    const pausedAt = await nightlyThenPaused(t, undefined);
    const reminder = (n: number) => `sweep:${JOB}:paused:${pausedAt}:${n}`;
    expect(await t.sweepUntil('2026-11-06T23:00:00.000Z')).toEqual([reminder(1)]);
    const ackedAt = t.clock.at.getTime();
    await addAck(t.store, {
      alertId: reminder(1),
      startsAt: new Date(ackedAt).toISOString(),
      endsAt: new Date(ackedAt + 2 * DAY).toISOString(),
      author: 'alice',
      reason: 'paused for the migration',
      createdAt: new Date(ackedAt).toISOString(),
    });
    // Nov 7 and 8 are missed while the acknowledgement lasts: nothing (each sweep a new container, which reads it).
    expect(await t.sweepUntil('2026-11-08T22:00:00.000Z', HOUR, true)).toEqual([]);
    expect(
      (t.deps.telemetry as RecordingTelemetry).lines.filter((l) => l.message === 'sweeper: paused-job reminder held by an acknowledgement').length,
    ).toBeGreaterThan(0);
    // It ends at 23:00 on Nov 8: the next sweep says the job has now skipped 3 runs, once.
    expect(await t.sweepUntil('2026-11-09T01:00:00.000Z', HOUR, true)).toEqual([reminder(3)]);
    expect(alertOf(t.publisher.alerts, reminder(3))?.headline).toBe('Macie job Nightly: still paused, 3 scheduled runs skipped');
    expect(t.publisher.alerts.filter((a) => a.eventType === 'SWEEPER_JOB_STILL_PAUSED').map((a) => a.id)).toEqual([reminder(1), reminder(3)]);
  });
});

describe('a run a user paused while it ran: reminded before Macie cancels it, and told when the expiry passes', () => {
  const RUN = '2026-11-01T09:00:00.000Z';
  const stream = jobStream('job-once', 'Quarterly_audit', RUN);

  test('reminders at 23 and 29 days with the cancellation date, then the expiry; each once', async () => {
    const t = await setup(RUN);
    await t.log([stream('ONE_TIME_JOB_STARTED', RUN)]);
    const pausedAt = at(RUN, 120);
    t.clock.set(pausedAt);
    const paused = await t.log([stream('JOB_PAUSED_BY_USER', pausedAt)]);
    expect(paused.published.map((a) => a.eventType)).toEqual(['JOB_PAUSED_BY_USER']);

    const id = (step: string) => `sweep:job-once:${RUN}:user-paused:${pausedAt}:${step}`;
    expect(await t.sweepUntil(at(pausedAt, 23 * 24 * 60 - 60), 6 * HOUR)).toEqual([]);
    expect(await t.sweepUntil(at(pausedAt, 29 * 24 * 60 + 60), 6 * HOUR)).toEqual([id('day-23'), id('day-29')]);
    const day23 = alertOf(t.publisher.alerts, id('day-23'))!;
    expect(day23).toMatchObject({
      severity: 'MEDIUM',
      eventType: 'SWEEPER_USER_PAUSE_EXPIRING',
      headline: 'Macie job Quarterly_audit: paused 23 days, will be cancelled on 2026-12-01 unless resumed',
    });
    expect(alertOf(t.publisher.alerts, id('day-29'))).toMatchObject({ severity: 'HIGH' });
    expect(await t.sweepUntil(at(pausedAt, 31 * 24 * 60), 6 * HOUR)).toEqual([id('expired')]);
    expect(alertOf(t.publisher.alerts, id('expired'))).toMatchObject({
      eventType: 'SWEEPER_USER_PAUSE_EXPIRED',
      headline: 'Macie job Quarterly_audit: paused 30 days, expired on 2026-12-01',
    });
    expect(await t.sweepUntil(at(pausedAt, 40 * 24 * 60), DAY)).toEqual([]);
  });

  test('resumed on day 25: the day-29 reminder never comes; a new pause counts its 30 days afresh', async () => {
    const t = await setup(RUN);
    await t.log([stream('ONE_TIME_JOB_STARTED', RUN)]);
    const pausedAt = at(RUN, 120);
    t.clock.set(pausedAt);
    await t.log([stream('JOB_PAUSED_BY_USER', pausedAt)]);
    expect(await t.sweepUntil(at(pausedAt, 25 * 24 * 60), 6 * HOUR)).toEqual([`sweep:job-once:${RUN}:user-paused:${pausedAt}:day-23`]);
    const resumedAt = t.clock.at.toISOString();
    const resumed = await t.log([stream('JOB_RESUMED_BY_USER', resumedAt)]);
    expect(resumed.published.map((a) => a.eventType)).toEqual(['JOB_RESUMED_BY_USER']);
    const pausedAgain = at(resumedAt, 60);
    t.clock.set(pausedAgain);
    await t.log([stream('JOB_PAUSED_BY_USER', pausedAgain)]);
    expect(await t.sweepUntil(at(pausedAgain, 22 * 24 * 60), 6 * HOUR)).toEqual([]);
    expect(await t.sweepUntil(at(pausedAgain, 24 * 24 * 60), 6 * HOUR)).toEqual([`sweep:job-once:${RUN}:user-paused:${pausedAgain}:day-23`]);
  });
});
