import { resolveSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { keys } from '../../lambda/state/table';
import { logClock } from '../../lambda/sweeper/log-clock';
import { sweep } from '../../lambda/sweeper/sweep';
import { ADMIN, at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { TestClock } from '../support/clock';
import { freshStore } from '../support/dynamodb';

const HOUR = 3_600_000;
const RUN = '2026-11-01T08:00:00.000Z';
const hoursAfter = (h: number) => new Date(Date.parse(RUN) + h * HOUR);

describe('logClock: where a run log stands, in event time', () => {
  const now = hoursAfter(25);
  test.each([
    ['a run written before arrivals were kept: the wall clock', {}, now.getTime(), 0],
    ['its newest event arrived a minute after it occurred', { lastEventAt: RUN, lastEventArrivedAt: at(RUN, 1) }, now.getTime() - 60_000, 60_000],
    [
      'a backlog: the newest event (14 h) arrived at 24.5 h',
      { lastEventAt: hoursAfter(14).toISOString(), lastEventArrivedAt: hoursAfter(24.5).toISOString() },
      hoursAfter(14.5).getTime(),
      10.5 * HOUR,
    ],
    ['stamped after it arrived (clocks that disagree): on time', { lastEventAt: at(RUN, 5), lastEventArrivedAt: RUN }, now.getTime(), 0],
    ['an unreadable arrival: the wall clock', { lastEventAt: RUN, lastEventArrivedAt: 'soon' }, now.getTime(), 0],
  ])('%s', (_name, run, expectedAt, lagMs) => {
    expect(logClock(run, now)).toMatchObject({ at: expectedAt, lagMs });
  });
});

/**
 * The stuck-run check through the real job-log pipeline and sweeper, with a test clock for the wall: a run
 * whose log events reach the pipeline hours late is judged by how far its log has come.
 */
describe('still running, judged by the run log', () => {
  const JOB = 'job-backlog';
  const ev = jobStream(JOB, 'Nightly_PII_scan', RUN);

  async function world() {
    const clock = new TestClock(hoursAfter(0));
    const store = await freshStore(clock.now);
    const publisher = new RecordingPublisher();
    const deps: PipelineDeps = { store, publisher, telemetry: new RecordingTelemetry(), settings: resolveSettings(), region: 'eu-west-1', now: clock.now };
    /** Log events delivered at the wall time `arrival` (hours after the run's start). */
    const deliver = (arrival: number, events: Record<string, unknown>[]) => {
      clock.at = hoursAfter(arrival);
      return processLogsPayload(logsPayload(events.map((e) => logEvent(e))), deps);
    };
    const sweepAt = async (h: number) => {
      clock.at = hoursAfter(h);
      return (await sweep(deps)).raised;
    };
    return { store, publisher, deliver, sweepAt };
  }

  test('a backlog of log events ahead of the completion raises no "still running"; the completion then closes the run', async () => {
    const w = await world();
    await w.deliver(0.01, [ev('SCHEDULED_RUN_STARTED', RUN)]);
    // Lambda is throttled: events of the run's first 14 hours arrive 10.5 hours late, its completion later still.
    await w.deliver(24.5, [ev('BUCKET_ACCESS_DENIED', hoursAfter(14).toISOString(), bucketError('bucket-1', ADMIN))]);
    expect(await w.store.get(keys.run(JOB, RUN))).toMatchObject({
      lastEventAt: hoursAfter(14).toISOString(),
      lastEventArrivedAt: hoursAfter(24.5).toISOString(),
    });
    expect(await w.sweepAt(25)).toEqual([]);
    await w.deliver(30, [ev('SCHEDULED_RUN_COMPLETED', hoursAfter(20).toISOString())]);
    expect(await w.sweepAt(31)).toEqual([]);
    expect(w.publisher.alerts.map((a) => a.eventType)).toEqual(['BUCKET_ACCESS_DENIED', 'SCHEDULED_RUN_COMPLETED']);
  });

  test('a run whose log stays quiet after the backlog is still reported, once its log time passes the threshold', async () => {
    const w = await world();
    await w.deliver(0.01, [ev('SCHEDULED_RUN_STARTED', RUN)]);
    await w.deliver(24.5, [ev('BUCKET_ACCESS_DENIED', hoursAfter(14).toISOString(), bucketError('bucket-1', ADMIN))]);
    expect(await w.sweepAt(34)).toEqual([]);
    // 35 h of wall clock less 10.5 h of lag: 24.5 h of log time.
    expect(await w.sweepAt(35)).toEqual([`sweep:${JOB}:${RUN}:still-running`]);
    expect(w.publisher.alerts.at(-1)?.headline).toBe('Macie job Nightly_PII_scan: still running after 24 h');
  });

  test('a run whose events arrive on time is reported as before, after the threshold of wall clock', async () => {
    const w = await world();
    await w.deliver(0.01, [ev('SCHEDULED_RUN_STARTED', RUN)]);
    await w.deliver(3.01, [ev('BUCKET_ACCESS_DENIED', hoursAfter(3).toISOString(), bucketError('bucket-1', ADMIN))]);
    expect(await w.sweepAt(24)).toEqual([]);
    expect(await w.sweepAt(24.1)).toEqual([`sweep:${JOB}:${RUN}:still-running`]);
  });
});
