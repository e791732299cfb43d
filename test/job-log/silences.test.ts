import type { SilenceSource } from '../../lambda/silences/cache';
import { addSilence } from '../../lambda/silences/silence-store';
import type { Silence } from '../../lambda/silences/silence';
import { renderJson } from '../../lambda/delivery/render-json';
import { at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { logEvent } from '../support/cloudwatch';
import { freshStore } from '../support/dynamodb';
import { harness, runFacts } from './helpers';

const RUN = '2024-06-04T02:00:00.000417Z';
const MEMBER = '111122223333';
const OTHER = '444455556666';
const UNTIL = '2024-06-07T00:00:00.000Z';

function silence(id: string, match: Silence['match'], endsAt = UNTIL): Silence {
  return { id, match, startsAt: '2024-06-01T00:00:00.000Z', endsAt, author: 'alice', reason: 'bucket migration', createdAt: '2024-06-01T00:00:00.000Z' };
}

/** Silences as the pipelines get them, counting how often they are asked. */
function source(...silences: Silence[]): SilenceSource & { calls: number } {
  const s = {
    calls: 0,
    list: async () => {
      s.calls++;
      return silences;
    },
  };
  return s;
}

const ev = jobStream('job-s', 'Nightly', RUN);
const started = () => ev('SCHEDULED_RUN_STARTED', RUN);
const denied = (bucket: string, minutes: number, account = MEMBER) => ev('BUCKET_ACCESS_DENIED', at(RUN, minutes), bucketError(bucket, account));
const completed = (minutes = 60) => ev('SCHEDULED_RUN_COMPLETED', at(RUN, minutes));
const legacy = (n: number, from = 1) => Array.from({ length: n }, (_, i) => denied(`legacy-${String(i).padStart(2, '0')}`, from + i * 0.1));

describe('silenced job log events: counted in the run, never alerted, told in the summary', () => {
  test('12 bucket errors silenced by a prefix: no alert, the summary says so and stays INFO, the JSON form counts them', async () => {
    const h = await harness({}, undefined, { silences: source(silence('S-3', { bucket: 'legacy-*' })) });
    await h.send([started()]);
    const errors = await h.send(legacy(12));
    expect(errors.published).toEqual([]);
    expect(errors).toMatchObject({ silenced: 12, suppressed: 12 });
    const done = await h.send([completed()]);
    expect(done.published).toHaveLength(1);
    const summary = done.published[0];
    expect(summary).toMatchObject({ severity: 'INFO', headline: 'Run of 2024-06-04 02:00 UTC completed with 12 errors (all silenced): Macie job Nightly' });
    expect(summary.whatHappened).toContain(`12 bucket errors silenced: silence S-3 by alice until ${UNTIL} (bucket migration).`);
    expect(summary.details).toContainEqual({ label: 'Silenced', value: `12 bucket errors: silence S-3 by alice until ${UNTIL} (bucket migration)` });
    expect(summary.details).toContainEqual({ label: 'Errors (BUCKET_ACCESS_DENIED)', value: expect.stringMatching(/^12 \(buckets: legacy-00, /) });
    const json = JSON.parse(renderJson(summary));
    expect(json.schemaVersion).toBe(1);
    expect(json.silenced).toEqual([{ silenceId: 'S-3', what: 'BUCKET_ACCESS_DENIED', count: 12 }]);
    // Still counted in the run state, silenced per silence and type.
    const run = await h.run('job-s', RUN);
    expect(run?.errors).toEqual({ BUCKET_ACCESS_DENIED: 12 });
    expect(run?.silenced).toEqual({ 'S-3': { author: 'alice', reason: 'bucket migration', endsAt: UNTIL, events: { BUCKET_ACCESS_DENIED: 12 } } });
    expect(h.telemetry.counters.AlertsSilenced).toBe(12);
  });

  test('silenced and unsilenced errors of one type: the alert names only what is not silenced, the summary is as severe as that', async () => {
    const h = await harness({}, undefined, { silences: source(silence('S-3', { bucket: 'legacy-*' })) });
    await h.send([started()]);
    const r = await h.send([...legacy(3), denied('payroll', 2)]);
    expect(r.published.map((a) => [a.eventType, a.count, a.affected])).toEqual([
      [
        'BUCKET_ACCESS_DENIED',
        1,
        [
          { kind: 'bucket', items: ['payroll'], total: 1 },
          { kind: 'account', items: [MEMBER], total: 1 },
        ],
      ],
    ]);
    const done = await h.send([completed()]);
    expect(done.published[0]).toMatchObject({
      severity: 'HIGH',
      headline: 'Run of 2024-06-04 02:00 UTC completed with 4 errors (3 silenced): Macie job Nightly',
    });
    expect(done.published[0].whatHappened).toContain('3 bucket errors silenced: silence S-3 by alice');
  });

  test('an account silence covers the account error and the bucket errors of that account, not those of another', async () => {
    const h = await harness({}, undefined, { silences: source(silence('S-9', { accountId: OTHER })) });
    await h.send([started()]);
    const r = await h.send([
      ev('ACCOUNT_ACCESS_DENIED', at(RUN, 1), { affectedAccount: OTHER, operation: 'ListBuckets' }),
      denied('partner-1', 2, OTHER),
      denied('tenant-1', 3, MEMBER),
    ]);
    expect(r.published.map((a) => [a.eventType, a.affected[0].items])).toEqual([['BUCKET_ACCESS_DENIED', ['tenant-1']]]);
    expect(r.silenced).toBe(2);
    const done = await h.send([completed()]);
    expect(done.published[0].whatHappened).toContain('1 account error and 1 bucket error silenced: silence S-9 by alice');
    expect(JSON.parse(renderJson(done.published[0])).silenced).toEqual([
      { silenceId: 'S-9', what: 'ACCOUNT_ACCESS_DENIED', count: 1 },
      { silenceId: 'S-9', what: 'BUCKET_ACCESS_DENIED', count: 1 },
    ]);
  });

  test('a job silence silences the whole job, its summary too; a type silence only that type', async () => {
    const job = await harness({}, undefined, { silences: source(silence('S-J', { jobId: 'job-s' })) });
    await job.send([started()]);
    await job.send([...legacy(2), ev('JOB_PAUSED_BY_USER', at(RUN, 5))]);
    const done = await job.send([completed()]);
    expect(job.publisher.alerts).toEqual([]);
    expect(done.silenced).toBe(1);
    expect((await job.run('job-s', RUN))?.summarySentAt).toBe(at(RUN, 60));

    const type = await harness({}, undefined, { silences: source(silence('S-T', { type: 'JOB_PAUSED_BY_USER', jobId: 'job-s' })) });
    await type.send([started()]);
    const r = await type.send([denied('a', 1), ev('JOB_PAUSED_BY_USER', at(RUN, 5))]);
    expect(r.published.map((a) => a.eventType)).toEqual(['BUCKET_ACCESS_DENIED']);
    const summary = (await type.send([completed()])).published[0];
    expect(summary.whatHappened).toContain('1 job status event silenced: silence S-T by alice');
    expect(summary.severity).toBe('HIGH');
  });

  test('an event is judged at its own time: at the silence end it alerts, a millisecond before it does not', async () => {
    const end = at(RUN, 10);
    const h = await harness({}, undefined, { silences: source(silence('S-E', { jobId: 'job-s' }, end)) });
    await h.send([started()]);
    const before = await h.send([ev('BUCKET_DOES_NOT_EXIST', new Date(Date.parse(end) - 1).toISOString(), bucketError('gone', MEMBER))]);
    const atEnd = await h.send([ev('BUCKET_ACCESS_DENIED', end, bucketError('denied', MEMBER))]);
    expect(before.published).toEqual([]);
    expect(before.silenced).toBe(1);
    expect(atEnd.published.map((a) => a.eventType)).toEqual(['BUCKET_ACCESS_DENIED']);
  });

  test('late silenced events after the summary send no correction; a late unsilenced one does', async () => {
    const h = await harness({}, undefined, { silences: source(silence('S-3', { bucket: 'legacy-*' })) });
    await h.send([started(), denied('payroll', 1)]);
    await h.send([completed()]);
    const lateSilenced = await h.send(legacy(2, 61));
    expect(lateSilenced.published).toEqual([]);
    const late = await h.send([denied('hr', 62)]);
    expect(late.published.map((a) => a.headline)).toEqual(['Summary updated (run of 2024-06-04 02:00 UTC, now 4 errors): Macie job Nightly']);
    expect(late.published[0].whatHappened).toContain('2 bucket errors silenced: silence S-3');
  });

  test('a late silenced error of a type the run did not have sends no correction either', async () => {
    const h = await harness({}, undefined, { silences: source(silence('S-3', { bucket: 'legacy-*' })) });
    await h.send([started(), denied('payroll', 1)]);
    await h.send([completed()]);
    const late = await h.send([ev('BUCKET_DOES_NOT_EXIST', at(RUN, 61), bucketError('legacy-gone', MEMBER))]);
    expect([late.published, late.silenced]).toEqual([[], 1]);
  });

  test('the silences are read once per invocation, whatever the events and jobs, and not at all when nothing may alert', async () => {
    const silences = source(silence('S-3', { bucket: 'legacy-*' }));
    const h = await harness({}, undefined, { silences });
    const other = jobStream('job-t', 'Other', RUN);
    await h.send([started(), ev('BUCKET_MATCHED_THE_CRITERIA', at(RUN, 1), bucketError('a', MEMBER))]);
    expect(silences.calls).toBe(0);
    await h.send([
      ...legacy(40),
      denied('payroll', 5),
      other('SCHEDULED_RUN_STARTED', RUN),
      other('BUCKET_ACCESS_DENIED', at(RUN, 2), bucketError('legacy-x', MEMBER)),
    ]);
    expect(silences.calls).toBe(1);
  });

  test('by default the pipeline reads the table\u2019s silences (DynamoDB Local), through the per-store cache', async () => {
    const store = await freshStore(() => new Date('2024-06-04T00:00:00.000Z'));
    const s = await addSilence(store, {
      match: { bucket: 'legacy-*' },
      startsAt: '2024-06-01T00:00:00.000Z',
      endsAt: UNTIL,
      author: 'bob',
      reason: 'migration',
      createdAt: '2024-06-01T00:00:00.000Z',
    });
    const h = await harness({}, store);
    await h.send([started()]);
    const r = await h.send([...legacy(2), denied('payroll', 5)]);
    expect(r.published.map((a) => a.affected[0].items)).toEqual([['payroll']]);
    expect((await h.run('job-s', RUN))?.silenced).toEqual({
      [s.id]: { author: 'bob', reason: 'migration', endsAt: UNTIL, events: { BUCKET_ACCESS_DENIED: 2 } },
    });
  });

  test('a recurring silence from the table (DynamoDB Local) hides the events inside its weekly window only, at their own time', async () => {
    // RUN starts on Tuesday 2024-06-04 at 02:00 UTC; the window is Tuesdays 01:30-02:30 UTC.
    const store = await freshStore(() => new Date('2024-06-04T00:00:00.000Z'));
    const s = await addSilence(store, {
      match: { bucket: 'legacy-*' },
      startsAt: '2024-06-01T00:00:00.000Z',
      endsAt: UNTIL,
      every: { days: ['tue'], from: '01:30', to: '02:30' },
      author: 'bob',
      reason: 'nightly maintenance',
      createdAt: '2024-06-01T00:00:00.000Z',
    });
    const h = await harness({}, store);
    await h.send([started()]);
    const inside = await h.send([denied('legacy-a', 1), denied('legacy-b', 29.99)]);
    expect(inside.published).toEqual([]);
    // 02:30:00 is the window's close (excluded): this one alerts.
    const after = await h.send([denied('legacy-c', 30)]);
    expect(after.published.map((a) => a.affected[0].items)).toEqual([['legacy-c']]);
    expect((await h.run('job-s', RUN))?.silenced).toEqual({
      [s.id]: { author: 'bob', reason: 'nightly maintenance', endsAt: UNTIL, events: { BUCKET_ACCESS_DENIED: 2 } },
    });
  });

  test('the silenced counts are run facts: the same whatever order and batching the events arrive in', async () => {
    const events = [...legacy(4), denied('payroll', 2), ev('ACCOUNT_ACCESS_DENIED', at(RUN, 3), { affectedAccount: OTHER }), denied('partner', 4, OTHER)];
    const results = [];
    for (const order of [
      [0, 1, 2, 3, 4, 5, 6],
      [6, 5, 4, 3, 2, 1, 0],
      [3, 0, 6, 1, 5, 2, 4],
    ]) {
      const h = await harness({}, undefined, { silences: source(silence('S-3', { bucket: 'legacy-*' }), silence('S-9', { accountId: OTHER })) });
      await h.send([started()]);
      for (const chunk of [order.slice(0, 3), order.slice(3)]) await h.send(chunk.map((i) => logEvent(events[i])));
      const run = await h.run('job-s', RUN);
      results.push({ facts: runFacts(run), silenced: run?.silenced, fingerprint: run?.fingerprint });
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(results[0].silenced).toEqual({
      'S-3': expect.objectContaining({ events: { BUCKET_ACCESS_DENIED: 4 } }),
      'S-9': expect.objectContaining({ events: { ACCOUNT_ACCESS_DENIED: 1, BUCKET_ACCESS_DENIED: 1 } }),
    });
  });
});
