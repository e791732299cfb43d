import { DEFAULT_SETTINGS } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { addAck } from '../../lambda/silences/ack-store';
import type { Item } from '../../lambda/state/store';
import { GSI1, keys } from '../../lambda/state/table';
import { sweep } from '../../lambda/sweeper/sweep';
import { FakePublisher } from '../support/alerts';
import { TestClock } from '../support/clock';
import { freshStore } from '../support/dynamodb';

const HOUR = 3_600_000;
const JOB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const RUN_DATE = '2026-11-01T08:00:00.000Z';
const iso = (t: number) => new Date(t).toISOString();

const run: Item = {
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
};

describe('the sweeper\u2019s reminders about an acknowledged run (DynamoDB Local)', () => {
  test('ack, then sweeps: no reminder; after its end: the reminder', async () => {
    const clock = new TestClock(new Date(RUN_DATE));
    const store = await freshStore(clock.now);
    const publisher = new FakePublisher();
    const deps: PipelineDeps = { store, publisher, telemetry: new RecordingTelemetry(), settings: DEFAULT_SETTINGS, region: 'eu-west-1', now: clock.now };
    await store.write([{ kind: 'put', item: run }]);
    // Acknowledged from an alert about the run (its first bucket error), for 30 hours.
    const start = Date.parse(RUN_DATE) + HOUR;
    await addAck(store, {
      alertId: `run:${JOB}:${RUN_DATE}:BUCKET_ACCESS_DENIED:first`,
      startsAt: iso(start),
      endsAt: iso(start + 30 * HOUR),
      author: 'alice',
      reason: 'a large scope',
      createdAt: iso(start),
    });
    for (const h of [25, 26, 30]) {
      clock.set(iso(Date.parse(RUN_DATE) + h * HOUR));
      // A new container each time: its cache reads the acknowledgements afresh.
      expect((await sweep({ ...deps, store: Object.create(store) })).raised).toEqual([]);
    }
    expect(await store.get(keys.run(JOB, RUN_DATE))).toMatchObject({ version: 3 });
    clock.set(iso(start + 30 * HOUR));
    expect((await sweep({ ...deps, store: Object.create(store) })).raised).toEqual([`sweep:${JOB}:${RUN_DATE}:still-running`]);
    expect(publisher.published[0].headline).toBe('Macie job Nightly_PII_scan: still running after 31 h');
  });
});
