import { resolveSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { pendingIds } from '../../lambda/delivery/outbox';
import { renderEmailSubject } from '../../lambda/delivery/render-email';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { addSilence, expireSilence, listSilences } from '../../lambda/silences/silence-store';
import type { Silence } from '../../lambda/silences/silence';
import type { WriteOp } from '../../lambda/state/store';
import { keys, SILENCE_PARTITION } from '../../lambda/state/table';
import { announcementDue, STALE_END_HOURS, type AnnouncementReason } from '../../lambda/sweeper/silence-announcements';
import { sweep } from '../../lambda/sweeper/sweep';
import { racingStore, TestClock } from '../support/clock';
import { freshStore } from '../support/dynamodb';

const HOUR = 3_600_000;
const T0 = '2024-06-03T10:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

describe('announcementDue: what a sweep announces about a silence', () => {
  const END = at(48 * HOUR);
  test.each<[string, Pick<Silence, 'endsAt' | 'announced'>, number, AnnouncementReason | undefined, 'made' | 'ended' | undefined]>([
    ['new, in force', { endsAt: END }, 0, 'made', 'made'],
    ['announced, in force', { endsAt: END, announced: { made: T0 } }, HOUR, undefined, undefined],
    ['one millisecond before its end', { endsAt: END, announced: { made: T0 } }, 48 * HOUR - 1, undefined, undefined],
    ['at its end (the end is excluded: it has ended)', { endsAt: END, announced: { made: T0 } }, 48 * HOUR, 'ended', 'ended'],
    ['ended before its making was announced: only the end', { endsAt: at(1000) }, HOUR, 'ended', 'ended'],
    ['end announced', { endsAt: END, announced: { made: T0, ended: END } }, 49 * HOUR, undefined, undefined],
    ['ended just within the stale bound', { endsAt: END, announced: { made: T0 } }, (48 + STALE_END_HOURS) * HOUR, 'ended', 'ended'],
    ['ended long ago, never announced: marked, no alert', { endsAt: END }, (48 + STALE_END_HOURS) * HOUR + 1, 'ended-long-ago', undefined],
  ])('%s', (_name, silence, after, reason, alert) => {
    const due = announcementDue(silence, new Date(Date.parse(T0) + after));
    expect(due?.reason).toBe(reason);
    expect(due?.alert).toBe(alert);
    if (due?.reason === 'ended' || due?.reason === 'ended-long-ago')
      expect(due.announced).toMatchObject({ made: expect.any(String), ended: expect.any(String) });
  });
});

async function setup() {
  const clock = new TestClock(new Date(T0));
  const store = await freshStore(clock.now);
  const publisher = new RecordingPublisher();
  const deps: PipelineDeps = { store, publisher, telemetry: new RecordingTelemetry(), settings: resolveSettings({}), region: 'eu-west-1', now: clock.now };
  return { clock, store, publisher, deps };
}

const draft = (endsAt = at(48 * HOUR)) => ({
  match: { bucket: 'legacy-*', accountId: '111122223333' },
  startsAt: T0,
  endsAt,
  author: 'alice',
  reason: 'migration CHG-1',
  createdAt: T0,
});
const writesSilence = (ops: readonly WriteOp[]) =>
  ops.some((op) => (op.kind === 'update' ? op.key.pk : op.kind === 'put' ? op.item.pk : undefined) === SILENCE_PARTITION);
const silenceAlerts = (publisher: RecordingPublisher) => publisher.alerts.filter((a) => a.id.startsWith('silence:'));

describe('silences announce themselves, once each (DynamoDB Local)', () => {
  test('made, then expired early: one INFO alert each, in the sweep after; later sweeps are silent', async () => {
    const { clock, store, publisher, deps } = await setup();
    const s = await addSilence(store, { ...draft(), every: { days: ['sat', 'sun'], from: '00:00', to: '06:00' } });
    clock.set(at(60_000));
    const first = await sweep(deps);
    expect(first.raised).toEqual([`silence:${s.id}:made`]);
    const [made] = silenceAlerts(publisher);
    expect(made).toMatchObject({ severity: 'INFO', category: 'PIPELINE', eventType: 'SILENCE_MADE', accountId: '111122223333', threadId: `silence:${s.id}` });
    expect(made.headline).toBe(`Silence ${s.id} until 2024-06-05 10:00 UTC: buckets legacy-* in account 111122223333, by alice`);
    // Its end time is whole in the subject, however long what it matches.
    const long = renderEmailSubject({ ...made, headline: made.headline.replace('legacy-*', `legacy-${'x'.repeat(120)}*`) });
    expect(long).toContain('until 2024-06-05 10:00 UTC:');
    expect(made.whatHappened).toBe(
      `alice made silence ${s.id} at ${T0}: it hides alerts about buckets legacy-* in account 111122223333, from ${T0} until ${at(48 * HOUR)}, every Sat, Sun 00:00-06:00 UTC (migration CHG-1).`,
    );
    expect(made.details).toContainEqual({ label: 'Reason', value: 'migration CHG-1' });
    const item = await store.get(keys.silence(s.id));
    expect(item).toMatchObject({ announced: { made: at(60_000) } });
    expect(pendingIds(item)).toEqual([]);

    clock.set(at(2 * HOUR));
    expect((await sweep(deps)).raised).toEqual([]);
    await expireSilence(store, s.id, new Date(at(3 * HOUR)));
    clock.set(at(3 * HOUR + 60_000));
    expect((await sweep(deps)).raised).toEqual([`silence:${s.id}:ended`]);
    const ended = silenceAlerts(publisher)[1];
    expect(ended).toMatchObject({
      severity: 'INFO',
      eventType: 'SILENCE_ENDED',
      headline: `Silence ${s.id} ended, 0 events hidden: buckets legacy-* in account 111122223333 alert again`,
    });
    expect(ended.whatHappened).toBe(`Silence ${s.id} by alice (migration CHG-1) was expired early at ${at(3 * HOUR)}; it was to last until ${at(48 * HOUR)}.`);
    expect(ended.whatItMeans).toMatch(new RegExp(`Silence ${s.id} matched nothing in its life: it hid no event\\.$`));
    expect(ended.details).toContainEqual({ label: 'Was until', value: at(48 * HOUR) });
    // The end alert does not undo the expiry, and the record keeps what was announced.
    const [stored] = await listSilences(store);
    expect(stored).toMatchObject({ endsAt: at(3 * HOUR), plannedEndsAt: at(48 * HOUR), announced: { made: at(60_000), ended: at(3 * HOUR + 60_000) } });

    clock.set(at(4 * HOUR));
    expect((await sweep(deps)).raised).toEqual([]);
    expect(silenceAlerts(publisher).map((a) => a.id)).toEqual([`silence:${s.id}:made`, `silence:${s.id}:ended`]);
  });

  test('a silence that reaches its end says so; one made and ended between two sweeps gets the end alert only', async () => {
    const { clock, store, publisher, deps } = await setup();
    const long = await addSilence(store, draft(at(2 * HOUR)));
    await sweep(deps);
    const brief = await addSilence(store, { ...draft(at(3 * HOUR)), match: { jobId: 'job-1' } });
    clock.set(at(3 * HOUR));
    expect([...(await sweep(deps)).raised].sort()).toEqual([`silence:${brief.id}:ended`, `silence:${long.id}:ended`].sort());
    expect(silenceAlerts(publisher).find((a) => a.id === `silence:${long.id}:ended`)?.whatHappened).toBe(
      `Silence ${long.id} by alice (migration CHG-1) reached its end at ${at(2 * HOUR)}.`,
    );
    expect(silenceAlerts(publisher).map((a) => a.id)).not.toContain(`silence:${brief.id}:made`);
  });

  test('a silence that ended long before this version ran is recorded as announced, without an alert', async () => {
    const { clock, store, publisher, deps } = await setup();
    const s = await addSilence(store, draft(at(HOUR)));
    clock.set(at((2 + STALE_END_HOURS) * HOUR));
    expect((await sweep(deps)).raised).toEqual([]);
    expect(silenceAlerts(publisher)).toEqual([]);
    expect(await store.get(keys.silence(s.id))).toMatchObject({ announced: { ended: at((2 + STALE_END_HOURS) * HOUR) } });
  });

  test('two sweeps racing (one runs inside the other\u2019s write): each announcement exactly once', async () => {
    const { clock, store, publisher, deps } = await setup();
    const s = await addSilence(store, draft());
    const racing = racingStore(store, writesSilence, () => sweep(deps));
    await sweep({ ...deps, store: racing });
    expect(racing.raced).toBe(true);
    expect(silenceAlerts(publisher).map((a) => a.id)).toEqual([`silence:${s.id}:made`]);

    clock.set(at(49 * HOUR));
    const racingEnd = racingStore(store, writesSilence, () => sweep(deps));
    await sweep({ ...deps, store: racingEnd });
    expect(racingEnd.raced).toBe(true);
    expect(silenceAlerts(publisher).map((a) => a.id)).toEqual([`silence:${s.id}:made`, `silence:${s.id}:ended`]);
  });

  test('two sweeps at once, several silences: each announced once', async () => {
    const { store, publisher, deps } = await setup();
    const added = [];
    for (const jobId of ['a', 'b', 'c', 'd']) added.push(await addSilence(store, { ...draft(), match: { jobId } }));
    await Promise.all([sweep(deps), sweep(deps), sweep(deps)]);
    expect(
      silenceAlerts(publisher)
        .map((a) => a.id)
        .sort(),
    ).toEqual(added.map((s) => `silence:${s.id}:made`).sort());
  });

  test('`silence expire` racing the sweep that announces the silence: it loses, and the next read announces the end only', async () => {
    const { clock, store, publisher, deps } = await setup();
    const s = await addSilence(store, draft());
    clock.set(at(HOUR));
    const racing = racingStore(store, writesSilence, () => expireSilence(store, s.id, new Date(at(HOUR - 1000))));
    await sweep({ ...deps, store: racing });
    expect(racing.raced).toBe(true);
    expect(silenceAlerts(publisher).map((a) => a.id)).toEqual([`silence:${s.id}:ended`]);
    expect(await store.get(keys.silence(s.id))).toMatchObject({ endsAt: at(HOUR - 1000), announced: { made: at(HOUR), ended: at(HOUR) } });
  });
});
