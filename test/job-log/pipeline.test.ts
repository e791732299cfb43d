import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { classify, JOB_EVENT_TYPES, severityOf } from '../../lambda/job-log/event-types';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import { resolveSettings } from '../../lambda/core/settings';
import { GSI1, keys } from '../../lambda/state/table';
import { ADMIN, at, bucketError, jobStream, SEED_EXAMPLES } from '../fixtures/job-log/streams';
import { inBatches, logEvent, logsPayload } from '../support/cloudwatch';
import { accountCount, firstAccounts, unpackAccounts } from '../../lambda/state/run-accounts';
import { harness, runFacts } from './helpers';

const RUN = '2024-04-14T17:09:30.574809Z';
const T0 = '2024-04-14T17:09:30.574809Z';
const settings = resolveSettings();

describe('every event type of the seed', () => {
  test.each(Object.keys(JOB_EVENT_TYPES))('%s: state effect and alert per the table', async (type) => {
    const h = await harness();
    const ev = jobStream('job-types', 'Types_Job', RUN);
    await h.send([ev(type.startsWith('SCHEDULED') ? 'SCHEDULED_RUN_STARTED' : 'ONE_TIME_JOB_STARTED', T0)]);
    const extra = type.startsWith('ACCOUNT_')
      ? { affectedAccount: '444455556666', operation: 'ListBuckets' }
      : type.startsWith('BUCKET_')
        ? bucketError('amzn-s3-demo-bucket', '111122223333')
        : {};
    const report = await h.send([ev(type, at(T0, 2), extra)]);
    const c = classify(type);
    const run = await h.run('job-types', RUN);
    if (c.effect === 'JOB_CREATED') {
      expect((await h.job('job-types'))?.createdAt).toBe(at(T0, 2));
      expect(report.published).toEqual([]);
      return;
    }
    if (!c.alertsAtOnce) {
      expect(report.published).toEqual([]);
    } else {
      expect(report.published).toHaveLength(1);
      const alert = report.published[0];
      expect(alert.severity).toBe(c.effect === 'COMPLETED' ? 'INFO' : severityOf(type, settings));
      expect(alert.category).toBe(c.effect === 'COMPLETED' || c.effect === 'CANCELLED' ? 'JOB_RUN_SUMMARY' : c.category);
      expect(alert.headline).toContain(c.effect === 'COMPLETED' || c.effect === 'CANCELLED' ? ': Macie job Types_Job' : 'Macie job Types_Job: ');
      expect(alert.whatToDo.length).toBeGreaterThan(5);
      expect(alert).toMatchObject({ accountId: ADMIN, region: 'eu-west-1', threadId: 'job-types', sample: false, occurredAt: at(T0, 2) });
      if (c.effect === 'BUCKET_ERROR') expect(alert.whatHappened).toContain('amzn-s3-demo-bucket');
      if (c.effect === 'ACCOUNT_ERROR') expect(alert.whatHappened).toContain('444455556666');
    }
    const expectedStatus: Record<string, string> = {
      NO_BUCKETS: 'NO_BUCKETS',
      PAUSED_BY_USER: 'PAUSED',
      PAUSED_BY_QUOTA: 'PAUSED',
      CANCELLED: 'CANCELLED',
      COMPLETED: 'COMPLETED',
    };
    expect(run?.status).toBe(expectedStatus[c.effect] ?? 'RUNNING');
    if (c.effect === 'BUCKET_MATCHED') expect(run?.bucketsMatched).toBe(1);
    if (c.category !== 'JOB_STATUS') expect(run?.errors).toEqual({ [type]: 1 });
  });

  test.each(Object.entries(SEED_EXAMPLES))('seed example %s verbatim through the pipeline', async (_name, example) => {
    const h = await harness();
    const report = await h.send([example]);
    expect(report.bad).toBe(0);
    expect(report.published).toHaveLength(1);
    const run = await h.run(String(example.jobId), String(example.runDate));
    if (example.eventType === 'SCHEDULED_RUN_COMPLETED') {
      expect(run?.status).toBe('COMPLETED');
      expect(report.published[0].category).toBe('JOB_RUN_SUMMARY');
      expect((await h.job(String(example.jobId)))?.gsi1pk).toBe(GSI1.periodicJob);
    } else {
      expect(run?.errors).toEqual({ [String(example.eventType)]: 1 });
    }
  });

  test('an unknown event type alerts once per run as UNKNOWN_EVENT, MEDIUM', async () => {
    const h = await harness();
    const ev = jobStream('job-u', 'U', RUN);
    const r1 = await h.send([ev('JOB_TELEPORTED', T0), ev('JOB_TELEPORTED', at(T0, 1))]);
    const r2 = await h.send([ev('JOB_TELEPORTED', at(T0, 2))]);
    expect(r1.published.map((a) => [a.category, a.severity, a.count])).toEqual([['UNKNOWN_EVENT', 'MEDIUM', 2]]);
    expect(r2.published).toEqual([]);
    expect((await h.run('job-u', RUN))?.errors).toEqual({ JOB_TELEPORTED: 3 });
  });
});

describe('realistic run streams', () => {
  test('a one-time job that completes cleanly: one INFO summary, run closed, job tracked', async () => {
    const h = await harness();
    const ev = jobStream('job-clean', 'Clean_Job', RUN);
    await h.send([
      jobStream('job-clean', 'Clean_Job', undefined)('JOB_CREATED', at(T0, -1)),
      ev('ONE_TIME_JOB_STARTED', T0),
      ev('BUCKET_MATCHED_THE_CRITERIA', at(T0, 1), { affectedResource: { type: 'S3_BUCKET_NAME', value: 'b1' } }),
    ]);
    await h.send([ev('BUCKET_MATCHED_THE_CRITERIA', at(T0, 1), { affectedResource: { type: 'S3_BUCKET_NAME', value: 'b2' } })]);
    const done = await h.send([ev('JOB_COMPLETED', at(T0, 75))]);
    expect(h.publisher.alerts.map((a) => a.id)).toEqual([`run:job-clean:${RUN}:summary`]);
    const summary = done.published[0];
    expect(summary).toMatchObject({
      severity: 'INFO',
      category: 'JOB_RUN_SUMMARY',
      eventType: 'JOB_COMPLETED',
      headline: 'Run of 2024-04-14 17:09 UTC completed: Macie job Clean_Job',
    });
    expect(summary.whatHappened).toContain('after 1 h 15 min');
    expect(summary.whatHappened).toContain("Macie logged 2 buckets as matching the job's criteria");
    expect(summary.details).toEqual(
      expect.arrayContaining([
        { label: 'Duration', value: '1 h 15 min' },
        { label: 'Buckets matched', value: '2' },
        { label: 'Errors', value: '0' },
      ]),
    );
    expect(summary.links.map((l) => l.url).join(' ')).toContain('macie/home?region=eu-west-1');
    const run = await h.run('job-clean', RUN);
    expect(run).toMatchObject({ status: 'COMPLETED', startedAt: T0, endedAt: at(T0, 75), bucketsMatched: 2, summarySentAt: at(T0, 75) });
    expect(run?.gsi1pk).toBeUndefined();
    const job = await h.job('job-clean');
    expect(job).toMatchObject({ kind: 'ONE_TIME', currentRunDate: RUN, jobName: 'Clean_Job', createdAt: at(T0, -1), recentRunStarts: [RUN] });
    expect(job?.gsi1pk).toBeUndefined();
  });

  test('a periodic run with 1,000 BUCKET_ACCESS_DENIED across 20 batches: one immediate alert, the count in the summary, constant cost per batch', async () => {
    const h = await harness();
    const ev = jobStream('job-storm', 'Daily_Job', RUN);
    await h.send([ev('SCHEDULED_RUN_STARTED', T0)]);
    const errors = Array.from({ length: 1000 }, (_, i) =>
      ev('BUCKET_ACCESS_DENIED', at(T0, 1 + i * 0.05), bucketError(`bucket-${String(i).padStart(4, '0')}`, i % 2 ? '111122223333' : '444455556666')),
    );
    const costs: { reads: number; writes: number }[] = [];
    for (const batch of inBatches(errors, 50)) {
      const before = { ...h.store.requests };
      await h.send(batch);
      costs.push({ reads: h.store.requests.reads - before.reads, writes: h.store.requests.writes - before.writes });
    }
    // The first batch reads the silences (then cached for a minute) and alerts (the state write claims the alert
    // at birth, then the settle); the 19 others cost one read and one write each.
    expect(costs[0]).toEqual({ reads: 2, writes: 2 });
    expect(costs.slice(1).every((c) => c.reads === 1 && c.writes === 1)).toBe(true);
    const done = await h.send([ev('SCHEDULED_RUN_COMPLETED', at(T0, 55))]);
    const ids = h.publisher.alerts.map((a) => a.id);
    expect(ids).toEqual([`run:job-storm:${RUN}:BUCKET_ACCESS_DENIED:first`, `run:job-storm:${RUN}:summary`]);
    expect(h.publisher.alerts[0].affected[0]).toEqual({
      kind: 'bucket',
      items: Array.from({ length: 10 }, (_, i) => `bucket-${String(i).padStart(4, '0')}`),
      total: 50,
    });
    const summary = done.published[0];
    expect(summary.severity).toBe('HIGH');
    expect(summary.headline).toBe('Run of 2024-04-14 17:09 UTC completed with 1,000 errors: Macie job Daily_Job');
    expect(summary.details).toContainEqual({
      label: 'Errors (BUCKET_ACCESS_DENIED)',
      value: expect.stringMatching(/^1,000 \(buckets: bucket-0000, .* bucket-0009 \(first 10 of 1,000 buckets\); accounts: 111122223333, 444455556666\)$/),
    });
    const run = await h.run('job-storm', RUN);
    expect(run?.errors).toEqual({ BUCKET_ACCESS_DENIED: 1000 });
    expect((run!.affected as Record<string, { total: number; buckets: string[] }>).BUCKET_ACCESS_DENIED.total).toBe(1000);
    expect(h.telemetry.counters.AlertsSuppressed).toBe(950);
  });

  test('a growing group gets at most one "still occurring" alert per repeat interval of event time', async () => {
    const h = await harness({ repeatIntervalMinutes: 60 });
    const ev = jobStream('job-repeat', 'R', RUN);
    const batchAt = (minutes: number) => [ev('BUCKET_DOES_NOT_EXIST', at(T0, minutes), bucketError(`b${minutes}`, '111122223333'))];
    for (const m of [0, 30, 59, 61, 90, 125]) await h.send(batchAt(m));
    const alerts = h.publisher.alerts;
    expect(alerts.map((a) => a.id.split(':').slice(-2).join(':'))).toEqual(['BUCKET_DOES_NOT_EXIST:first', 'repeat:1', 'repeat:2']);
    expect(alerts[1].headline).toBe('Still occurring (4 so far): Macie job R: bucket no longer exists');
    expect(alerts[1].count).toBe(4);
  });

  test("an account-level error inhibits that account's bucket errors, not other accounts'", async () => {
    const h = await harness();
    const ev = jobStream('job-inhibit', 'I', RUN);
    const r1 = await h.send([ev('ACCOUNT_ACCESS_DENIED', T0, { affectedAccount: '444455556666', operation: 'ListBuckets' })]);
    const r2 = await h.send([
      ev('BUCKET_ACCESS_DENIED', at(T0, 1), bucketError('a-1', '444455556666')),
      ev('BUCKET_ACCESS_DENIED', at(T0, 2), bucketError('a-2', '444455556666')),
    ]);
    const r3 = await h.send([ev('BUCKET_ACCESS_DENIED', at(T0, 3), bucketError('b-1', '111122223333'))]);
    expect(r1.published.map((a) => a.eventType)).toEqual(['ACCOUNT_ACCESS_DENIED']);
    expect(r2.published).toEqual([]);
    expect([r2.suppressed, r2.inhibited]).toEqual([2, 2]);
    expect(r3.published.map((a) => a.whatHappened)).toEqual([expect.stringContaining('b-1')]);
    expect(r3.published[0].count).toBe(1); // only the uninhibited event of the batch
    const run = await h.run('job-inhibit', RUN);
    expect(run?.errors).toEqual({ ACCOUNT_ACCESS_DENIED: 1, BUCKET_ACCESS_DENIED: 3 });
    expect(firstAccounts(unpackAccounts(run!), 10, 'ACCOUNT_ACCESS_DENIED')).toEqual(['444455556666']);
    expect(accountCount(unpackAccounts(run!))).toEqual({ count: 2, exact: true });
  });

  test('a quota pause and its resumption: HIGH with remediation, then LOW resolution; run PAUSED(QUOTA) then RUNNING, open for the sweeper', async () => {
    const h = await harness();
    const ev = jobStream('job-quota', 'Q', RUN);
    await h.send([ev('ONE_TIME_JOB_STARTED', T0)]);
    const paused = await h.send([ev('JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', at(T0, 10))]);
    expect(paused.published.map((a) => [a.severity, a.category])).toEqual([['HIGH', 'JOB_STATUS']]);
    expect(paused.published[0].whatToDo).toMatch(/quota/);
    expect(await h.run('job-quota', RUN)).toMatchObject({
      status: 'PAUSED',
      pausedBy: 'QUOTA',
      pausedAt: at(T0, 10),
      gsi1pk: GSI1.openRun,
      gsi1sk: `job-quota#${RUN}`,
    });
    const resumed = await h.send([ev('JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED', at(T0, 60 * 24))]);
    expect(resumed.published.map((a) => [a.severity, a.headline])).toEqual([['LOW', 'Macie job Q: job resumed: quota lifted']]);
    const run = await h.run('job-quota', RUN);
    expect(run).toMatchObject({ status: 'RUNNING', gsi1pk: GSI1.openRun });
    expect(run?.pausedBy).toBeUndefined();
    const openRuns = await h.store.listIndex(GSI1.openRun);
    expect(openRuns.map((r) => r.gsi1sk)).toEqual([`job-quota#${RUN}`]);
  });

  test('a cancelled job: one HIGH run summary so far, run CANCELLED and closed', async () => {
    const h = await harness();
    const ev = jobStream('job-cancel', 'C', RUN);
    await h.send([ev('ONE_TIME_JOB_STARTED', T0), ev('BUCKET_MATCHED_THE_CRITERIA', at(T0, 1))]);
    await h.send([ev('JOB_PAUSED_BY_USER', at(T0, 5))]);
    const cancelled = await h.send([ev('JOB_CANCELLED', at(T0, 30))]);
    expect(cancelled.published).toHaveLength(1);
    expect(cancelled.published[0]).toMatchObject({
      severity: 'HIGH',
      category: 'JOB_RUN_SUMMARY',
      eventType: 'JOB_CANCELLED',
      headline: 'Run of 2024-04-14 17:09 UTC cancelled: Macie job C',
    });
    expect(cancelled.published[0].whatToDo).toMatch(/CloudTrail/);
    const run = await h.run('job-cancel', RUN);
    expect(run).toMatchObject({ status: 'CANCELLED', endedAt: at(T0, 30), bucketsMatched: 1 });
    expect(run?.gsi1pk).toBeUndefined();
  });

  test('a run whose completion arrives before its last errors: summary, then one "summary updated" alert per late batch', async () => {
    const h = await harness();
    const ev = jobStream('job-late', 'L', RUN);
    await h.send([ev('ONE_TIME_JOB_STARTED', T0), ev('BUCKET_MATCHED_THE_CRITERIA', at(T0, 1))]);
    const done = await h.send([ev('JOB_COMPLETED', at(T0, 20))]);
    expect(done.published[0].severity).toBe('INFO');
    const late1 = await h.send([
      ev('BUCKET_ACCESS_DENIED', at(T0, 15), bucketError('late-1', '111122223333')),
      ev('BUCKET_ACCESS_DENIED', at(T0, 16), bucketError('late-2', '111122223333')),
    ]);
    const late2 = await h.send([ev('BUCKET_DOES_NOT_EXIST', at(T0, 17), bucketError('gone', '111122223333'))]);
    expect(late1.published.map((a) => a.id)).toEqual([`run:job-late:${RUN}:summary-update:1`]);
    expect(late1.published[0]).toMatchObject({
      severity: 'HIGH',
      category: 'JOB_RUN_SUMMARY',
      headline: 'Summary updated (run of 2024-04-14 17:09 UTC, now 2 errors): Macie job L',
    });
    expect(late1.published[0].whatHappened).toContain('BUCKET_ACCESS_DENIED: 2 more (2 in all)');
    expect(late2.published.map((a) => a.id)).toEqual([`run:job-late:${RUN}:summary-update:2`]);
    expect(late2.published[0].details).toContainEqual({ label: 'Errors', value: '3' });
    expect(await h.run('job-late', RUN)).toMatchObject({
      status: 'COMPLETED',
      endedAt: at(T0, 20),
      errors: { BUCKET_ACCESS_DENIED: 2, BUCKET_DOES_NOT_EXIST: 1 },
    });
  });

  test('the summary lists the findings the run produced (read from the findings groups)', async () => {
    const h = await harness();
    const ev = jobStream('job-f', 'F', RUN);
    await h.send([ev('ONE_TIME_JOB_STARTED', T0)]);
    const group = (bucket: string, findingType: string, count: number, bySeverity: Record<string, number>) => ({
      kind: 'put' as const,
      item: { ...keys.findingGroup('job-f', RUN, bucket, findingType), findingType, bucket, count, bySeverity, version: 1 },
    });
    await h.store.write([
      group('b1', 'SensitiveData:S3Object/Personal', 7, { HIGH: 2, MEDIUM: 5 }),
      group('b2', 'SensitiveData:S3Object/Credentials', 3, { HIGH: 3 }),
    ]);
    const done = await h.send([ev('JOB_COMPLETED', at(T0, 5))]);
    const s = done.published[0];
    expect(s.whatHappened).toContain('It produced 10 sensitive data findings (5 HIGH, 5 MEDIUM) in 2 buckets.');
    expect(s.details).toEqual(
      expect.arrayContaining([
        { label: 'Findings', value: '10' },
        { label: 'Findings by type', value: 'SensitiveData:S3Object/Personal 7, SensitiveData:S3Object/Credentials 3' },
        { label: 'Buckets with most findings', value: 'b1 (7), b2 (3)' },
      ]),
    );
  });

  test("events without runDate attach to the job's current run; with no run known, to UNKNOWN", async () => {
    const h = await harness();
    const noRun = jobStream('job-nr', 'N', undefined);
    await h.send([noRun('BUCKET_ACCESS_DENIED', T0, bucketError('x', '111122223333'))]);
    expect((await h.run('job-nr', 'UNKNOWN'))?.errors).toEqual({ BUCKET_ACCESS_DENIED: 1 });
    const RUN2 = '2024-05-14T17:09:30.574809Z';
    await h.send([jobStream('job-nr', 'N', RUN2)('SCHEDULED_RUN_STARTED', RUN2), noRun('BUCKET_OWNER_CHANGED', at(RUN2, 1), bucketError('y', '111122223333'))]);
    await h.send([noRun('BUCKET_OWNER_CHANGED', at(RUN2, 2), bucketError('z', '111122223333'))]);
    expect((await h.run('job-nr', RUN2))?.errors).toEqual({ BUCKET_OWNER_CHANGED: 2 });
    expect((await h.job('job-nr'))?.currentRunDate).toBe(RUN2);
  });
});

describe('idempotency, failures and concurrency', () => {
  function stream() {
    const ev = jobStream('job-idem', 'Idem', RUN);
    return [
      [ev('SCHEDULED_RUN_STARTED', T0), ev('BUCKET_MATCHED_THE_CRITERIA', at(T0, 1))],
      [ev('ACCOUNT_DISABLED', at(T0, 2), { affectedAccount: '444455556666' }), ev('BUCKET_ACCESS_DENIED', at(T0, 3), bucketError('b1', '111122223333'))],
      [ev('BUCKET_ACCESS_DENIED', at(T0, 4), bucketError('b2', '111122223333')), ev('JOB_PAUSED_BY_USER', at(T0, 5))],
      [ev('JOB_RESUMED_BY_USER', at(T0, 6)), ev('BUCKET_ACCESS_DENIED', at(T0, 7), bucketError('b3', '444455556666'))],
      [ev('SCHEDULED_RUN_COMPLETED', at(T0, 30))],
    ].map((batch) => batch.map((m) => logEvent(m)));
  }

  test('every batch delivered twice: same alerts, same final state', async () => {
    const once = await harness();
    const twice = await harness();
    const batches = stream();
    for (const batch of batches) await once.send(batch);
    let duplicates = 0;
    for (const batch of batches) {
      await twice.send(batch);
      duplicates += (await twice.send(batch)).duplicates;
    }
    expect(duplicates).toBe(batches.flat().length);
    const strip = (a: { id: string; headline: string; count: number }) => [a.id.replace(/^run:[^:]+:/, ''), a.headline, a.count];
    expect(twice.publisher.alerts.map(strip)).toEqual(once.publisher.alerts.map(strip));
    expect(twice.publisher.alerts).toHaveLength(5); // first of 2 groups, pause, resume, summary
    const a = await once.run('job-idem', RUN);
    const b = await twice.run('job-idem', RUN);
    // Without what the wall clock of each write stamps: the TTL, when the events arrived, and the index keys of the end.
    const wallClock = { version: 0, expiresAt: 0, lastEventArrivedAt: 0, endArrivedAt: 0, gsi2pk: 0, gsi2sk: 0 };
    expect({ ...b, ...wallClock }).toEqual({ ...a, ...wallClock });
    expect(twice.telemetry.counters.EventsDuplicate).toBe(batches.flat().length);
  });

  test('an event re-sent inside a differently composed batch counts once, and alerts nothing again', async () => {
    const h = await harness();
    const ev = jobStream('job-resent', 'Resent', RUN);
    const started = logEvent(ev('SCHEDULED_RUN_STARTED', T0));
    const denied = [1, 2, 3, 4].map((m) => logEvent(ev('BUCKET_ACCESS_DENIED', at(T0, m), bucketError(`b${m}`, '111122223333'))));
    const paused = logEvent(ev('JOB_PAUSED_BY_USER', at(T0, 5)));
    const first = await h.send([started, denied[0], denied[1], paused]);
    // A new composition: two events seen before, two new ones, one of them twice.
    const second = await h.send([denied[1], paused, denied[2], denied[3], denied[3]]);
    expect(first.published.map((a) => a.eventType)).toEqual(['BUCKET_ACCESS_DENIED', 'JOB_PAUSED_BY_USER']);
    expect(second.published).toEqual([]);
    expect(second.duplicates).toBe(3);
    const run = await h.run('job-resent', RUN);
    expect(run?.errors).toEqual({ BUCKET_ACCESS_DENIED: 4 });
    expect((run!.affected as Record<string, { total: number }>).BUCKET_ACCESS_DENIED.total).toBe(4);
    expect((run!.groups as Record<string, { count: number }>).BUCKET_ACCESS_DENIED.count).toBe(4);
    expect(h.telemetry.counters.EventsDuplicate).toBe(3);
    expect(h.telemetry.counters.EventsProcessed).toBe(4 + 2);
  });

  test('the same events in shuffled batches give the same run facts', async () => {
    const ordered = await harness();
    for (const batch of stream()) await ordered.send(batch);
    const reference = runFacts(await ordered.run('job-idem', RUN));
    for (const seed of [1, 2, 3]) {
      const h = await harness();
      const events = stream().flat();
      // A deterministic shuffle, then random-size batches.
      let x = seed;
      const rnd = () => {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        return x / 2 ** 31;
      };
      const shuffled = events
        .map((e) => [rnd(), e] as const)
        .sort(([p], [q]) => p - q)
        .map(([, e]) => e);
      for (let i = 0; i < shuffled.length; ) {
        const n = 1 + Math.floor(rnd() * 3);
        await h.send(shuffled.slice(i, i + n));
        i += n;
      }
      expect(runFacts(await h.run('job-idem', RUN))).toEqual(reference);
    }
  });

  test('a crash between the state write and the publish: the retry publishes exactly once', async () => {
    const h = await harness();
    const batches = stream();
    await h.send(batches[0]);
    // The process dies right after its state write commits (the write succeeds, the caller never returns).
    const realWrite = h.store.write.bind(h.store);
    let crash = true;
    h.store.write = async (ops) => {
      await realWrite(ops);
      if (crash) {
        crash = false;
        throw new Error('injected crash after the state write');
      }
    };
    await expect(h.send(batches[1])).rejects.toThrow('injected crash');
    expect(h.publisher.alerts).toEqual([]);
    const retry = await h.send(batches[1]);
    expect(retry.duplicates).toBe(2);
    expect(retry.published.map((a) => a.eventType).sort()).toEqual(['ACCOUNT_DISABLED', 'BUCKET_ACCESS_DENIED']);
    const again = await h.send(batches[1]);
    expect(again.published).toEqual([]);
    expect(h.publisher.alerts).toHaveLength(2);
    expect((await h.run('job-idem', RUN))?.errors).toEqual({ ACCOUNT_DISABLED: 1, BUCKET_ACCESS_DENIED: 1 });
  });

  test('SNS refusing the alerts: the invocation fails, the retry publishes them once', async () => {
    const h = await harness();
    const batches = stream();
    h.publisher.failNext(2, 'throttled');
    await expect(h.send(batches[1])).rejects.toThrow(/not published/);
    const retry = await h.send(batches[1]);
    expect(retry.published).toHaveLength(2);
    await h.send(batches[1]);
    expect(h.publisher.alerts).toHaveLength(2);
  });

  test('a retry of a batch without runDate lands on the same run even after a newer run started meanwhile', async () => {
    const h = await harness();
    const RUN1 = '2024-05-14T17:09:30.574809Z';
    const RUN2 = '2024-05-15T17:09:30.574809Z';
    await h.send([jobStream('job-rr', 'RR', RUN1)('SCHEDULED_RUN_STARTED', RUN1)]);
    const undated = [logEvent(jobStream('job-rr', 'RR', undefined)('BUCKET_ACCESS_DENIED', at(RUN1, 5), bucketError('late-bucket', '111122223333')))];
    h.publisher.failNext(1, 'throttled');
    await expect(h.send(undated)).rejects.toThrow(/not published/); // state written, Lambda will retry
    await h.send([jobStream('job-rr', 'RR', RUN2)('SCHEDULED_RUN_STARTED', RUN2)]); // a newer run starts first
    const retry = await h.send(undated);
    expect(retry.duplicates).toBe(1);
    expect((await h.run('job-rr', RUN1))?.errors).toEqual({ BUCKET_ACCESS_DENIED: 1 });
    expect((await h.run('job-rr', RUN2))?.errors ?? {}).toEqual({});
    expect(h.publisher.alerts.map((a) => a.job?.runDate)).toEqual([RUN1]);
  });

  test('the status events a run remembers are capped to the newest by event time, whatever their type', async () => {
    const h = await harness();
    const ev = jobStream('job-cap', 'Cap', RUN);
    // 120 pause/resume events, newest first across batches: the cap (100) must keep the 100 newest.
    for (let i = 119; i >= 0; i -= 20) {
      await h.send(Array.from({ length: 20 }, (_, k) => ev(k % 2 === 0 ? 'JOB_PAUSED_BY_USER' : 'JOB_RESUMED_BY_USER', at(T0, i - k + 1))));
    }
    const remembered = (await h.run('job-cap', RUN))?.statusEvents as { type: string; at: string }[];
    expect(remembered).toHaveLength(100);
    const times = remembered.map((e) => e.at).sort();
    expect(times[0]).toBe(at(T0, 21)); // the 20 oldest (minutes 1-20) are the ones dropped
  });

  test('the job records its own status from its status events, for the sweeper (cancelled stays cancelled)', async () => {
    const h = await harness();
    const ev = jobStream('job-st', 'St', RUN);
    await h.send([ev('SCHEDULED_RUN_STARTED', T0)]);
    expect((await h.job('job-st'))?.jobStatus).toBe('ACTIVE');
    await h.send([ev('JOB_PAUSED_BY_USER', at(T0, 5))]);
    expect((await h.job('job-st'))?.jobStatus).toBe('USER_PAUSED');
    await h.send([ev('JOB_CANCELLED', at(T0, 9)), ev('JOB_RESUMED_BY_USER', at(T0, 8))]);
    await h.send([ev('JOB_RESUMED_BY_USER', at(T0, 20))]);
    expect((await h.job('job-st'))?.jobStatus).toBe('CANCELLED');
  });

  test('two (and more) concurrent invocations for the same run lose no update', async () => {
    const h = await harness();
    const ev = jobStream('job-conc', 'Conc', RUN);
    await h.send([ev('SCHEDULED_RUN_STARTED', T0)]);
    const batches = Array.from({ length: 6 }, (_, b) =>
      Array.from({ length: 10 }, (_, i) =>
        ev(b % 2 ? 'BUCKET_ACCESS_DENIED' : 'BUCKET_MATCHED_THE_CRITERIA', at(T0, 1 + b + i / 100), bucketError(`c${b}-${i}`, '111122223333')),
      ),
    );
    await Promise.all(batches.map((batch) => h.send(batch)));
    const run = await h.run('job-conc', RUN);
    expect(run?.bucketsMatched).toBe(30);
    expect(run?.errors).toEqual({ BUCKET_ACCESS_DENIED: 30 });
    expect(h.publisher.alerts.filter((a) => a.eventType === 'BUCKET_ACCESS_DENIED')).toHaveLength(1);
  });

  test('bad records: one warn line each with the log event id, BadRecords metric, the rest of the batch processed', async () => {
    const h = await harness();
    const ev = jobStream('job-bad', 'Bad', RUN);
    const good = logEvent(ev('BUCKET_ACCESS_DENIED', T0, bucketError('ok', '111122223333')));
    const notJson = logEvent('this is not json');
    const noJobId = logEvent({ ...ev('BUCKET_ACCESS_DENIED', T0), jobId: undefined });
    const report = await processLogsPayload(logsPayload([notJson, good, noJobId], { logStream: 'job-bad' }), h.deps);
    expect([report.events, report.bad]).toEqual([3, 2]);
    expect(report.published).toHaveLength(1);
    const warns = h.telemetry.lines.filter((l) => l.level === 'warn');
    expect(warns.map((l) => [l.message, l.fields.logEventId, l.fields.logStream])).toEqual([
      ['bad job log event', notJson.id, 'job-bad'],
      ['bad job log event', noJobId.id, 'job-bad'],
    ]);
    expect(warns[1].fields.reason).toMatch(/jobId/);
    expect(h.telemetry.counters.BadRecords).toBe(2);
    expect(h.telemetry.counters.EventsProcessed).toBe(1);
  });

  test('an alert id that already exists (run state lost) is skipped, not retried forever nor sent twice', async () => {
    const h = await harness();
    const ev = jobStream('job-lost', 'Lost', RUN);
    await h.send([ev('BUCKET_ACCESS_DENIED', T0, bucketError('b1', '111122223333'))]);
    await h.store.doc.send(new DeleteCommand({ TableName: h.store.tableName, Key: keys.run('job-lost', RUN) }));
    const again = await h.send([ev('BUCKET_ACCESS_DENIED', at(T0, 1), bucketError('b2', '111122223333'))]);
    expect(again.published).toEqual([]);
    expect(h.publisher.alerts).toHaveLength(1);
    expect((await h.run('job-lost', RUN))?.errors).toEqual({ BUCKET_ACCESS_DENIED: 1 });
    expect(h.telemetry.lines.some((l) => l.message === 'alert already exists: not sent again')).toBe(true);
  });

  test('a control message changes nothing', async () => {
    const h = await harness();
    const report = await processLogsPayload(
      logsPayload([logEvent('CWL CONTROL MESSAGE: Checking health of destination Lambda function.')], { messageType: 'CONTROL_MESSAGE' }),
      h.deps,
    );
    expect(report).toMatchObject({ events: 0, bad: 0, published: [] });
    expect(h.store.requests).toEqual({ reads: 0, writes: 0 });
  });
});
