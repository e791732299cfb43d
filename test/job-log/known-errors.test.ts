import type { Alert } from '../../lambda/core/alert';
import { compareRuns, FINGERPRINT_CAP, resourceKey, withResources } from '../../lambda/job-log/run-compare';
import type { SilenceSource } from '../../lambda/silences/cache';
import { RunCodec } from '../../lambda/state/job-items';
import { at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { logEvent } from '../support/cloudwatch';
import { harness, type Harness } from './helpers';

/**
 * "Same as the last run": a periodic job's runs compared with the previous completed run. No silences here,
 * given as a fixed empty source so that request counts are the pipeline's own.
 */
const MEMBER = '111122223333';
const NIGHTS = ['2024-06-03T02:00:00.000417Z', '2024-06-04T02:00:00.000417Z', '2024-06-05T02:00:00.000417Z', '2024-06-06T02:00:00.000417Z'];
const noSilences: SilenceSource = { list: async () => [] };

const nightly = (runDate: string) => {
  const ev = jobStream('job-daily', 'Nightly', runDate);
  return {
    started: () => ev('SCHEDULED_RUN_STARTED', runDate),
    matched: (bucket: string) => ev('BUCKET_MATCHED_THE_CRITERIA', at(runDate, 0.1), bucketError(bucket, MEMBER)),
    denied: (bucket: string, minutes = 1) => ev('BUCKET_ACCESS_DENIED', at(runDate, minutes), bucketError(bucket, MEMBER)),
    completed: () => ev('SCHEDULED_RUN_COMPLETED', at(runDate, 40)),
  };
};

const ids = (alerts: readonly Alert[]) => alerts.map((a) => a.id.replace('run:job-daily:', ''));
const detail = (a: Alert, label: string) => a.details.find((d) => d.label === label)?.value;

async function daily(settings = {}): Promise<Harness> {
  return harness(settings, undefined, { silences: noSilences });
}

describe('three consecutive runs of a daily job: a known bucket, a new bucket, then a fixed one', () => {
  test('each run sends exactly the alerts it should, and each summary says what changed', async () => {
    const h = await daily();
    const [n1, n2, n3, n4] = NIGHTS.map(nightly);

    // Night 1, the job's first run: as today. The locked bucket alerts, the summary is HIGH, no comparison.
    await h.send([n1.started(), n1.matched('locked'), n1.matched('finance')]);
    const r1 = await h.send([n1.denied('locked')]);
    const s1 = (await h.send([n1.completed()])).published;
    expect(ids([...r1.published, ...s1])).toEqual([`${NIGHTS[0]}:BUCKET_ACCESS_DENIED:first`, `${NIGHTS[0]}:summary`]);
    expect(s1[0]).toMatchObject({ severity: 'HIGH', headline: 'Run of 2024-06-03 02:00 UTC completed with 1 error: Macie job Nightly' });
    expect(detail(s1[0], 'New since the last run')).toBeUndefined();
    expect(detail(r1.published[0], 'Since the last run')).toBeUndefined();

    // Night 2: the locked bucket fails the same way (known: held back), then a new one fails (alerts).
    await h.send([n2.started(), n2.matched('locked'), n2.matched('finance')]);
    const known = await h.send([n2.denied('locked')]);
    expect(known.published).toEqual([]);
    expect(known.known).toBe(1);
    const fresh = await h.send([n2.denied('finance', 20)]);
    expect(ids(fresh.published)).toEqual([`${NIGHTS[1]}:BUCKET_ACCESS_DENIED:first`]);
    expect(fresh.published[0].affected[0].items).toEqual(['finance']);
    expect(detail(fresh.published[0], 'Since the last run')).toBe('new: bucket finance');
    const s2 = (await h.send([n2.completed()])).published;
    expect(ids(s2)).toEqual([`${NIGHTS[1]}:summary`]);
    expect(s2[0]).toMatchObject({ severity: 'HIGH', headline: 'Run of 2024-06-04 02:00 UTC completed with 2 errors: Macie job Nightly' });
    expect(s2[0].whatHappened).toContain(
      `Compared with the last run (${NIGHTS[0]}), by bucket and account: 1 newly failing, 1 still failing, 0 no longer failing (fixed, or no longer in this run).`,
    );
    expect(detail(s2[0], 'New since the last run')).toBe('1: bucket finance (BUCKET_ACCESS_DENIED)');
    expect(detail(s2[0], 'Still failing')).toBe('1: bucket locked (BUCKET_ACCESS_DENIED)');
    expect(detail(s2[0], 'No longer failing (fixed, or no longer in this run)')).toBe('none');

    // Night 3: finance is fixed; locked is known again. Only the summary: at most MEDIUM, with the good news.
    await h.send([n3.started(), n3.matched('locked'), n3.matched('finance')]);
    const r3 = await h.send([n3.denied('locked')]);
    const s3 = (await h.send([n3.completed()])).published;
    expect(r3.published).toEqual([]);
    expect(ids(s3)).toEqual([`${NIGHTS[2]}:summary`]);
    expect(s3[0]).toMatchObject({
      severity: 'MEDIUM',
      headline: 'Run of 2024-06-05 02:00 UTC completed with 1 error (nothing new, 1 not failing): Macie job Nightly',
    });
    expect(s3[0].whatHappened).toContain(
      `Compared with the last run (${NIGHTS[1]}), by bucket and account: 0 newly failing, 1 still failing, 1 no longer failing (fixed, or no longer in this run).`,
    );
    expect(detail(s3[0], 'No longer failing (fixed, or no longer in this run)')).toBe('1: bucket finance (BUCKET_ACCESS_DENIED)');
    expect(detail(s3[0], 'Still failing')).toBe('1: bucket locked (BUCKET_ACCESS_DENIED)');

    // Night 4: the locked bucket is unlocked: a clean run that says every error of the last run is fixed.
    await h.send([n4.started(), n4.matched('locked'), n4.matched('finance')]);
    const s4 = (await h.send([n4.completed()])).published;
    expect(s4[0]).toMatchObject({
      severity: 'INFO',
      headline: "Run of 2024-06-06 02:00 UTC completed, none of the last run's errors again: Macie job Nightly",
    });
    expect(detail(s4[0], 'No longer failing (fixed, or no longer in this run)')).toBe('1: bucket locked (BUCKET_ACCESS_DENIED)');

    expect(h.publisher.alerts).toHaveLength(6);
  });

  test('knownErrors: alert restores today\u2019s behaviour: the known bucket alerts at once (no read of the last run for it), the summary is not capped', async () => {
    const h = await daily({ knownErrors: 'alert' });
    const [n1, n2] = NIGHTS.map(nightly);
    await h.send([n1.started(), n1.denied('locked')]);
    await h.send([n1.completed()]);
    await h.send([n2.started()]);
    const r = await h.send([n2.denied('locked')]);
    expect(ids(r.published)).toEqual([`${NIGHTS[1]}:BUCKET_ACCESS_DENIED:first`]);
    expect(detail(r.published[0], 'Since the last run')).toBeUndefined();
    const s = (await h.send([n2.completed()])).published[0];
    expect(s.severity).toBe('HIGH');
    expect(detail(s, 'Still failing')).toBe('1: bucket locked (BUCKET_ACCESS_DENIED)');
  });

  test('a group with one new bucket among known ones alerts (the new one is news), naming which is which', async () => {
    const h = await daily();
    const [n1, n2] = NIGHTS.map(nightly);
    await h.send([n1.started(), n1.denied('a'), n1.denied('b')]);
    await h.send([n1.completed()]);
    await h.send([n2.started()]);
    const r = await h.send([n2.denied('a'), n2.denied('b'), n2.denied('c')]);
    expect(r.published).toHaveLength(1);
    expect(detail(r.published[0], 'Since the last run')).toBe(`new: bucket c; failed the same way in the run of ${NIGHTS[0]}: bucket a, bucket b`);
  });

  test('one-time jobs, a periodic job\u2019s first run, and a run after one that did not complete behave as today', async () => {
    const h = await daily();
    const once = jobStream('job-once', 'Once', NIGHTS[0]);
    await h.send([once('ONE_TIME_JOB_STARTED', NIGHTS[0])]);
    const r = await h.send([once('BUCKET_ACCESS_DENIED', at(NIGHTS[0], 1), bucketError('locked', MEMBER))]);
    expect(r.published.map((a) => a.eventType)).toEqual(['BUCKET_ACCESS_DENIED']);
    expect(detail((await h.send([once('JOB_COMPLETED', at(NIGHTS[0], 5))])).published[0], 'Still failing')).toBeUndefined();

    // A periodic run whose previous run never completed (still running) is compared with nothing.
    const [n1, n2] = NIGHTS.map(nightly);
    await h.send([n1.started(), n1.denied('locked')]);
    await h.send([n2.started()]);
    const second = await h.send([n2.denied('locked')]);
    expect(second.published.map((a) => a.id)).toEqual([`run:job-daily:${NIGHTS[1]}:BUCKET_ACCESS_DENIED:first`]);
    expect(detail((await h.send([n2.completed()])).published[0], 'Still failing')).toBeUndefined();
  });

  test('the previous run is read at most once per batch and only when a first group alert or a summary may be built', async () => {
    const h = await daily();
    const [n1, n2] = NIGHTS.map(nightly);
    await h.send([n1.started(), n1.denied('locked')]);
    await h.send([n1.completed()]);
    const cost = async (batch: Record<string, unknown>[]) => {
      const before = { ...h.store.requests };
      const r = await h.send(batch);
      return { reads: h.store.requests.reads - before.reads, writes: h.store.requests.writes - before.writes, alerts: r.published.length };
    };
    // Progress only: the job and run, one write.
    expect(await cost([n2.started(), n2.matched('x')])).toEqual({ reads: 1, writes: 1, alerts: 0 });
    // A first error of a group: + the previous run (1 read); known, so no alert.
    expect(await cost([n2.denied('locked'), n2.denied('locked', 2)])).toEqual({ reads: 2, writes: 1, alerts: 0 });
    // A new bucket of the group: + the previous run, and the alert's settle (the state write claimed it at birth).
    expect(await cost([n2.denied('new', 3)])).toEqual({ reads: 2, writes: 2, alerts: 1 });
    // The group has alerted: no more reads of the previous run.
    expect(await cost([n2.denied('newer', 4)])).toEqual({ reads: 1, writes: 1, alerts: 0 });
  });

  test('a batch holding the end of one run and the start of the next compares with the run as reduced in that batch', async () => {
    const h = await daily();
    const [n1, n2] = NIGHTS.map(nightly);
    await h.send([n1.started()]);
    const before = h.store.requests.reads;
    const r = await h.send([n1.denied('locked'), n1.completed(), n2.started(), n2.denied('locked', 2)]);
    // The job and both runs (one request), night 1's findings for its summary (the summary's delivery reads
    // nothing: the state write claimed it at birth): reading night 1 again as the previous run would be a third.
    expect(h.store.requests.reads - before).toBe(2);
    expect(ids(r.published)).toEqual([`${NIGHTS[0]}:summary`]);
    expect(r.known).toBe(1);
  });

  test('the fingerprint is a run fact: the same whatever order its events arrive in', async () => {
    const buckets = ['d', 'a', 'c', 'b', 'e'];
    const results = [];
    for (const order of [
      [0, 1, 2, 3, 4],
      [4, 3, 2, 1, 0],
      [2, 4, 0, 3, 1],
    ]) {
      const h = await daily();
      const n1 = nightly(NIGHTS[0]);
      await h.send([n1.started()]);
      for (const i of order) await h.send([logEvent(n1.denied(buckets[i], i + 1))]);
      results.push(RunCodec.decode((await h.run('job-daily', NIGHTS[0]))!).fingerprint);
    }
    expect(results[0]).toEqual({ resources: { BUCKET_ACCESS_DENIED: ['b:a', 'b:b', 'b:c', 'b:d', 'b:e'] }, partial: [] });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });
});

describe('the fingerprint bound', () => {
  const pairs = (n: number, type = 'BUCKET_ACCESS_DENIED') => Array.from({ length: n }, (_, i) => [type, `b:bucket-${String(i).padStart(5, '0')}`] as const);

  test(`exact up to ${FINGERPRINT_CAP} (type, resource) pairs; past it the smallest are kept and the type is partial, in any order`, () => {
    const all = [...pairs(FINGERPRINT_CAP + 10), ...pairs(3, 'ACCOUNT_ACCESS_DENIED').map(([t]) => [t, 'a:111122223333'] as const)];
    const forward = withResources(undefined, all);
    const backward = [...all].reverse().reduce((f, p) => withResources(f, [p]), withResources(undefined, []));
    expect(backward).toEqual(forward);
    expect(forward.partial).toEqual(['BUCKET_ACCESS_DENIED']);
    expect(forward.resources.ACCOUNT_ACCESS_DENIED).toEqual(['a:111122223333']);
    expect(forward.resources.BUCKET_ACCESS_DENIED).toHaveLength(FINGERPRINT_CAP - 1);
    expect(withResources(undefined, pairs(FINGERPRINT_CAP)).partial).toEqual([]);
  });

  test('batch after batch, the fingerprint is the smallest pairs of everything added, and the types that lost some are partial', () => {
    let x = 7;
    const rnd = (n: number) => {
      x = (x * 48271) % 2147483647;
      return x % n;
    };
    const types = ['BUCKET_ACCESS_DENIED', 'BUCKET_DOES_NOT_EXIST', 'ACCOUNT_ACCESS_DENIED'];
    const seen: (readonly [string, string])[] = [];
    let f = withResources(undefined, []);
    for (let batch = 0; batch < 12; batch++) {
      const added = Array.from({ length: rnd(120) }, () => [types[rnd(3)], `b:bucket-${rnd(400)}`] as const);
      seen.push(...added);
      f = withResources(f, added);
      const union = [...new Set(seen.map(([t, r]) => `${t}\u0000${r}`))].sort();
      const kept = union.slice(0, FINGERPRINT_CAP);
      expect(
        Object.entries(f.resources)
          .flatMap(([t, rs]) => rs.map((r) => `${t}\u0000${r}`))
          .sort(),
      ).toEqual(kept);
      expect(f.partial).toEqual([...new Set(union.slice(FINGERPRINT_CAP).map((p) => p.split('\u0000')[0]))].sort());
    }
    expect(f.partial.length).toBeGreaterThan(0);
  });

  test('a name longer than any bucket name is kept short and unique: the fingerprint stays bounded whatever the events say', () => {
    const long = (c: string) => `${'🔥'.repeat(30)}${c.repeat(2000)}`;
    const keys = [
      resourceKey({ affectedResource: { type: 'S3_BUCKET_NAME', value: long('a') } }),
      resourceKey({ affectedResource: { type: 'S3_BUCKET_NAME', value: long('b') } }),
    ];
    expect(keys[0]).not.toBe(keys[1]);
    for (const key of keys) expect(Buffer.byteLength(key, 'utf8')).toBeLessThanOrEqual(2 + 40 + 17);
    expect(resourceKey({ affectedResource: { type: 'S3_BUCKET_NAME', value: long('a') } })).toBe(keys[0]);
    expect(resourceKey({ affectedResource: { type: 'S3_BUCKET_NAME', value: 'amzn-s3-demo-bucket' }, affectedAccount: '111122223333' })).toBe(
      'b:amzn-s3-demo-bucket',
    );
    expect(resourceKey({ affectedAccount: '111122223333' })).toBe('a:111122223333');
    expect(resourceKey({})).toBe('-');
  });

  test('a partial type is never taken as known, and the comparison says it is exact only up to the bound', () => {
    const previous = { runDate: NIGHTS[0], fingerprint: withResources(undefined, pairs(FINGERPRINT_CAP + 1)) };
    const current = withResources(undefined, pairs(5));
    const c = compareRuns(previous, current, true);
    expect(c.knownTypes.has('BUCKET_ACCESS_DENIED')).toBe(false);
    expect(c.partial).toBe(true);
    expect(c.stillFailing).toHaveLength(5);
    const exact = compareRuns({ runDate: NIGHTS[0], fingerprint: withResources(undefined, pairs(10)) }, current, true);
    expect([...exact.knownTypes]).toEqual(['BUCKET_ACCESS_DENIED']);
    expect(exact.fixed).toHaveLength(5);
    expect(compareRuns({ runDate: NIGHTS[0], fingerprint: withResources(undefined, pairs(10)) }, current, false).fixed).toEqual([]);
  });
});
