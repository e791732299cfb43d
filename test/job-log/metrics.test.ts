import { JOB_EVENT_TYPES } from '../../lambda/job-log/event-types';
import { at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { harness, toLogEvents } from './helpers';

const RUN = '2024-05-02T08:00:00.000000Z';
const T0 = '2024-05-02T08:00:00.000Z';

describe('job-log metrics', () => {
  test('job events by type, each applied event once; types the table does not know count as OTHER', async () => {
    const h = await harness();
    const ev = jobStream('job-m1', 'Metrics_Job', RUN);
    // Types that pass the decoder (a short identifier) but that no table knows: each would be a new metric.
    const hostile = ['EVIL_TYPE_1', 'EVIL_TYPE_2', 'constructor', 'my-secret-bucket', 'arn:aws:s3:::my-secret-bucket', `X${'y'.repeat(99)}`];
    const batch = toLogEvents([
      ev('JOB_CREATED', T0),
      ev('ONE_TIME_JOB_STARTED', at(T0, 1)),
      ...Array.from({ length: 5 }, (_, i) => ev('BUCKET_ACCESS_DENIED', at(T0, 2 + i), bucketError(`bucket-${i}`, '111122223333'))),
      ...hostile.map((type, i) => ev(type, at(T0, 10 + i), { description: 'A future event type.' })),
    ]);
    await h.send(batch);
    await h.send(batch); // redelivered: applied once, counted once

    expect(h.telemetry.countersBy.JobEvents).toEqual({ JOB_CREATED: 2, ONE_TIME_JOB_STARTED: 1, BUCKET_ACCESS_DENIED: 5, OTHER: hostile.length });
    // Every event counted by type is an applied event.
    const byType = Object.values(h.telemetry.countersBy.JobEvents ?? {}).reduce((a, b) => a + b, 0);
    expect(byType).toBe(h.telemetry.counters.EventsProcessed);
    // A batch re-sending some of them with one new event: only the new one is counted.
    await h.send([...batch.slice(0, 3), ...toLogEvents([ev('BUCKET_ACCESS_DENIED', at(T0, 30), bucketError('bucket-9', '111122223333'))])]);
    expect(h.telemetry.countersBy.JobEvents?.BUCKET_ACCESS_DENIED).toBe(6);
    for (const value of Object.keys(h.telemetry.countersBy.JobEvents ?? {})) {
      expect(value === 'OTHER' || Object.hasOwn(JOB_EVENT_TYPES, value)).toBe(true);
    }
  });

  test('runs completed and cancelled: once per run, when it ends, not again for late events or redelivery', async () => {
    const h = await harness();
    const done = jobStream('job-m2', 'Done_Job', RUN);
    const cancelled = jobStream('job-m3', 'Cancelled_Job', RUN);
    await h.send([done('ONE_TIME_JOB_STARTED', T0), cancelled('ONE_TIME_JOB_STARTED', T0)]);
    expect(h.telemetry.counters.RunsCompleted).toBeUndefined();

    const ending = [done('JOB_COMPLETED', at(T0, 30)), cancelled('JOB_CANCELLED', at(T0, 31))];
    await h.send(ending);
    await h.send(ending);
    await h.send([done('BUCKET_ACCESS_DENIED', at(T0, 20), bucketError('late-bucket', '111122223333'))]);

    expect(h.telemetry.counters.RunsCompleted).toBe(1);
    expect(h.telemetry.counters.RunsCancelled).toBe(1);
    expect((await h.run('job-m2', RUN))?.status).toBe('COMPLETED');
  });
});
