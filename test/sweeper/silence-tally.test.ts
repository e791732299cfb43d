import { resolveSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { addSilence, expireSilence } from '../../lambda/silences/silence-store';
import { silenceTallyWrites, tallyChange, totalHidden, type TallyReason } from '../../lambda/silences/silence-tally';
import type { SilencedEvents } from '../../lambda/state/codec';
import { SilenceTallyCodec } from '../../lambda/state/silence-tally-items';
import { describeHidden, type Hidden } from '../../lambda/sweeper/silence-announcements';
import { sweep } from '../../lambda/sweeper/sweep';
import { TestClock } from '../support/clock';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { freshStore } from '../support/dynamodb';
import { at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { sensitiveFinding, SENSITIVE_JOB_ID, sqsBatch } from '../findings/kit';

const entry = (events: Record<string, number>, endsAt = '2024-06-05T10:00:00.000Z'): SilencedEvents => ({ author: 'alice', reason: 'CHG-1', endsAt, events });

describe('tallyChange: whether a write carries a silence tally', () => {
  test.each<[string, SilencedEvents | undefined, SilencedEvents, TallyReason]>([
    ['the silence hides its first event here', undefined, entry({ A: 1 }), 'first-hidden'],
    ['one more of a type', entry({ A: 1 }), entry({ A: 2 }), 'more-hidden'],
    ['a new type', entry({ A: 1 }), entry({ A: 1, B: 1 }), 'more-hidden'],
    ['nothing new (the batch hid nothing more here)', entry({ A: 2, B: 1 }), entry({ A: 2, B: 1 }), 'unchanged'],
  ])('%s', (_name, before, after, reason) => expect(tallyChange(before, after)).toBe(reason));
});

describe('silenceTallyWrites: the puts an aggregate write carries', () => {
  const agg = { pk: 'JOB#j', sk: 'RUN#r' };
  const now = new Date('2024-06-03T11:00:00.000Z');
  test('one put per silence whose entry changed, holding the whole entry, kept past the silence end and the retention', () => {
    const ops = silenceTallyWrites(
      { 'S-1': entry({ A: 1 }), 'S-2': entry({ B: 4 }) },
      { 'S-1': entry({ A: 3 }), 'S-2': entry({ B: 4 }), 'S-3': entry({ C: 1 }) },
      agg,
      now,
      1,
    );
    expect(ops).toEqual([
      {
        kind: 'put',
        item: { pk: 'SILENCED#S-1', sk: 'IN#JOB#j|RUN#r', silenceId: 'S-1', events: { A: 3 }, expiresAt: Date.parse('2024-06-08T10:00:00.000Z') / 1000 },
      },
      {
        kind: 'put',
        item: { pk: 'SILENCED#S-3', sk: 'IN#JOB#j|RUN#r', silenceId: 'S-3', events: { C: 1 }, expiresAt: Date.parse('2024-06-08T10:00:00.000Z') / 1000 },
      },
    ]);
    const long = silenceTallyWrites(undefined, { 'S-1': entry({ A: 1 }) }, agg, now, 30);
    expect(long[0]).toMatchObject({ item: { expiresAt: Date.parse('2024-07-03T11:00:00.000Z') / 1000 } });
  });
  test('nothing silenced, or nothing more: no write', () => {
    expect(silenceTallyWrites(undefined, undefined, agg, now, 30)).toEqual([]);
    expect(silenceTallyWrites({ 'S-1': entry({ A: 1 }) }, { 'S-1': entry({ A: 1 }) }, agg, now, 30)).toEqual([]);
  });
});

describe('describeHidden: what the end announcement says it hid', () => {
  const hidden = (byType: [string, number][], aggregates: number, capped = false): Hidden => ({
    ...totalHidden(byType.map(([type, n], i) => ({ silenceId: 'S-1', aggregate: `a${i}`, events: { [type]: n }, expiresAt: 0 }))),
    aggregates,
    capped,
  });
  test.each<[string, Hidden, string]>([
    ['nothing in its life', hidden([], 0), 'Silence S-1 matched nothing in its life: it hid no event.'],
    ['one event', hidden([['BUCKET_ACCESS_DENIED', 1]], 1), 'Silence S-1 hid 1 event in 1 run or group: 1 BUCKET_ACCESS_DENIED.'],
    [
      'types most first, thousands separated',
      hidden(
        [
          ['B', 2],
          ['A', 1_200],
        ],
        2,
      ),
      'Silence S-1 hid 1,202 events in 2 runs or groups: 1,200 A, 2 B.',
    ],
    ['more tallies than it reads: lower bounds', hidden([['A', 5]], 20_000, true), 'Silence S-1 hid at least 5 events in at least 20,000 runs or groups: 5 A.'],
    [
      'more than 8 types',
      hidden(
        Array.from({ length: 10 }, (_, i): [string, number] => [`T${i}`, 10 - i]),
        10,
      ),
      'Silence S-1 hid 55 events in 10 runs or groups: 10 T0, 9 T1, 8 T2, 7 T3, 6 T4, 5 T5, 4 T6, 3 T7, and 2 more types.',
    ],
  ])('%s', (_name, h, text) => expect(describeHidden(h, 'S-1')).toBe(text));
});

const T0 = '2024-06-03T10:00:00.000Z';
const RUN = '2024-06-03T10:30:00.000Z';

async function setup() {
  const clock = new TestClock(new Date(T0));
  const store = await freshStore(clock.now);
  const publisher = new RecordingPublisher();
  const deps: PipelineDeps = { store, publisher, telemetry: new RecordingTelemetry(), settings: resolveSettings({}), region: 'eu-west-1', now: clock.now };
  const silence = await addSilence(store, {
    match: { bucket: 'legacy-*' },
    startsAt: T0,
    endsAt: '2024-06-05T10:00:00.000Z',
    author: 'alice',
    reason: 'migration CHG-1',
    createdAt: T0,
  });
  const jobLog = (events: Record<string, unknown>[]) => processLogsPayload(logsPayload(events.map((e) => logEvent(e))), deps);
  const ended = async () => {
    await expireSilence(store, silence.id, new Date('2024-06-03T13:00:00.000Z'));
    clock.set('2024-06-03T13:01:00.000Z');
    await sweep(deps);
    return publisher.alerts.find((a) => a.id === `silence:${silence.id}:ended`);
  };
  return { clock, store, deps, silence, jobLog, ended };
}

describe('the end announcement totals what the silence hid (DynamoDB Local)', () => {
  test('bucket errors of two runs and findings in two buckets, one batch delivered twice: the exact total, by type', async () => {
    const { clock, store, deps, silence, jobLog, ended } = await setup();
    const ev = jobStream(SENSITIVE_JOB_ID, 'Nightly', RUN);
    const other = jobStream('job-u', 'Weekly', RUN);
    clock.set('2024-06-03T10:31:00.000Z');
    const legacy = (stream: typeof ev, n: number, from: number) =>
      Array.from({ length: n }, (_, i) => stream('BUCKET_ACCESS_DENIED', at(RUN, from + i * 0.1), bucketError(`legacy-${from}-${i}`, '111122223333')));
    const batch = [ev('SCHEDULED_RUN_STARTED', RUN), ...legacy(ev, 5, 1), ev('BUCKET_ACCESS_DENIED', at(RUN, 2), bucketError('payroll', '111122223333'))];
    // The same subscription payload twice, as Lambda may deliver it.
    const payload = logsPayload(batch.map((e) => logEvent(e)));
    await processLogsPayload(payload, deps);
    await processLogsPayload(payload, deps);
    await jobLog(legacy(ev, 3, 4));
    await jobLog([other('SCHEDULED_RUN_STARTED', RUN), ...legacy(other, 2, 1)]);
    const findings = [
      sensitiveFinding(1, { bucket: 'legacy-archive', at: '2024-06-03T10:40:00.000Z' }),
      sensitiveFinding(2, { bucket: 'legacy-archive', at: '2024-06-03T10:41:00.000Z' }),
      sensitiveFinding(3, { bucket: 'legacy-old', at: '2024-06-03T10:42:00.000Z' }),
    ];
    await processFindingBatch(sqsBatch(findings), deps);
    await processFindingBatch(sqsBatch([findings[0]]), deps);

    const alert = await ended();
    expect(alert?.headline).toBe(`Silence ${silence.id} ended, 13 events hidden: buckets legacy-* alert again`);
    const type = findings[0].detail.type as string;
    expect(alert?.whatItMeans).toContain(`Silence ${silence.id} hid 13 events in 4 runs or groups: 10 BUCKET_ACCESS_DENIED, 3 ${type}.`);
    expect(alert?.details).toContainEqual({ label: 'Hidden', value: '13 events' });

    // The tallies are exactly the aggregates' own counts.
    const tallies = (await store.listPrefix(`SILENCED#${silence.id}`, 'IN#')).map((i) => SilenceTallyCodec.decode(i));
    for (const t of tallies) {
      const [pk, sk] = t.aggregate.slice('IN#'.length).split('|');
      const aggregate = await store.get({ pk, sk });
      expect((aggregate!.silenced as Record<string, SilencedEvents>)[silence.id].events).toEqual(t.events);
    }
  });

  test('a silence that matched nothing says so', async () => {
    const { silence, jobLog, ended } = await setup();
    const ev = jobStream('job-t', 'Nightly', RUN);
    await jobLog([ev('SCHEDULED_RUN_STARTED', RUN), ev('BUCKET_ACCESS_DENIED', at(RUN, 2), bucketError('payroll', '111122223333'))]);
    const alert = await ended();
    expect(alert?.headline).toBe(`Silence ${silence.id} ended, 0 events hidden: buckets legacy-* alert again`);
    expect(alert?.whatItMeans).toContain(`Silence ${silence.id} matched nothing in its life: it hid no event.`);
  });
});
