import { processFindingBatch } from '../../lambda/findings/pipeline';
import { keys } from '../../lambda/state/table';
import { deliverBatches, eventMessages, mappingBatches } from '../../src/local/sqs-queue';
import { deliverOne, findingEvent, fixture, minutesAfter, SENSITIVE_BASE, SENSITIVE_JOB_ID, sensitiveFinding, setCurrentRun, testDeps } from './kit';

const base = SENSITIVE_BASE;
const jobId = SENSITIVE_JOB_ID;
const RUN = '2024-04-14T17:09:30.000Z';
const finding = sensitiveFinding;

describe('sensitive-data findings are grouped per (job run, bucket, type)', () => {
  test('the first finding of a group alerts; the rest are counted on the job run with their severities', async () => {
    const deps = await testDeps();
    await setCurrentRun(deps.store, RUN);
    const outcomes = [];
    outcomes.push((await deliverOne(processFindingBatch, finding(1, { severity: 'High' }), deps)).outcome);
    outcomes.push((await deliverOne(processFindingBatch, finding(2, { severity: 'Medium' }), deps)).outcome);
    outcomes.push((await deliverOne(processFindingBatch, finding(3, { severity: 'Medium' }), deps)).outcome);
    expect(outcomes).toEqual(['alerted', 'grouped', 'grouped']);
    expect(deps.publisher.alerts).toHaveLength(1);
    expect(deps.publisher.alerts[0].job).toEqual({ id: jobId, runDate: RUN });
    const group = await deps.store.get(keys.findingGroup(jobId, RUN, 'bucket-a', base.detail.type));
    expect(group).toMatchObject({
      findingType: base.detail.type,
      bucket: 'bucket-a',
      jobId,
      runDate: RUN,
      count: 3,
      bySeverity: { HIGH: 1, MEDIUM: 2 },
      alerts: 1,
      firstAt: '2024-04-14T17:11:30.000Z',
      lastAt: '2024-04-14T17:11:30.000Z',
      lastAlertAt: '2024-04-14T17:11:30.000Z',
    });
    expect(group?.pendingAlerts).toBeUndefined();
    expect(typeof group?.expiresAt).toBe('number');
    // The job-log run summary lists the run's findings with one query.
    expect(await deps.store.listPrefix(`JOB#${jobId}`, keys.runFindingsPrefix(RUN))).toHaveLength(1);
  });

  test('a new run of the job starts new groups; a job the job-log pipeline has not seen goes to run UNKNOWN', async () => {
    const deps = await testDeps();
    expect((await deliverOne(processFindingBatch, finding(1), deps)).outcome).toBe('alerted');
    await setCurrentRun(deps.store, RUN);
    expect((await deliverOne(processFindingBatch, finding(2), deps)).outcome).toBe('alerted');
    expect((await deliverOne(processFindingBatch, finding(3), deps)).outcome).toBe('grouped');
    const nextRun = '2024-04-15T17:09:30.000Z';
    // The job log shows the next run: the job item lists both starts.
    await deps.store.write([
      { kind: 'put', item: { ...keys.job(jobId), currentRunDate: nextRun, recentRunStarts: [RUN, nextRun], expiresAt: Math.floor(Date.now() / 1000) + 86400 } },
    ]);
    expect((await deliverOne(processFindingBatch, finding(4, { at: '2024-04-15T17:11:30.000Z' }), deps)).outcome).toBe('alerted');
    // A finding is counted in the run that started last before it was created, whatever run is current.
    expect((await deliverOne(processFindingBatch, finding(5), deps)).outcome).toBe('grouped');
    expect(deps.publisher.alerts.map((a) => a.job?.runDate)).toEqual(['UNKNOWN', RUN, nextRun]);
    expect((await deps.store.get(keys.findingGroup(jobId, RUN, 'bucket-a', base.detail.type)))?.count).toBe(3);
  });

  test('a growing group gets one "still occurring" alert per repeat interval of event time', async () => {
    const deps = await testDeps({ repeatIntervalMinutes: 60 });
    await setCurrentRun(deps.store, RUN);
    const t0 = '2024-04-14T18:00:00.000Z';
    const offsets = [0, 10, 59, 60, 61, 119, 130, 131];
    const outcomes = [];
    for (const [i, minutes] of offsets.entries())
      outcomes.push((await deliverOne(processFindingBatch, finding(i, { at: minutesAfter(t0, minutes) }), deps)).outcome);
    expect(outcomes).toEqual(['alerted', 'grouped', 'grouped', 'alerted', 'grouped', 'grouped', 'alerted', 'grouped']);
    const [, still1, still2] = deps.publisher.alerts;
    expect(still1.headline).toContain('Still occurring (4 findings so far)');
    expect(still1.count).toBe(4);
    expect(still2.headline).toContain('Still occurring (7 findings so far)');
    expect(still2.whatHappened).toContain(`first at ${t0}`);
  });

  test('automated discovery findings group per (account, bucket, type); sample findings stay out of job runs', async () => {
    const deps = await testDeps();
    await setCurrentRun(deps.store, RUN);
    const automated = fixture('findings/sensitive-automated-discovery.json');
    expect((await deliverOne(processFindingBatch, automated, deps)).outcome).toBe('alerted');
    expect((await deliverOne(processFindingBatch, findingEvent(automated, { eventId: 'automated-2', detail: { id: 'automated-2' } }), deps)).outcome).toBe(
      'grouped',
    );
    const bucket = automated.detail.resourcesAffected.s3Bucket.name;
    expect(await deps.store.get(keys.automatedFindingGroup(automated.detail.accountId, bucket, automated.detail.type))).toMatchObject({ count: 2, alerts: 1 });
    expect(deps.publisher.alerts[0].threadId).toBe(bucket);
    expect(deps.publisher.alerts[0].whatHappened).toContain('Automated sensitive data discovery');

    const sample = await deliverOne(processFindingBatch, finding(9, { sample: true }), deps);
    expect(sample.outcome).toBe('alerted');
    expect(sample.published[0]).toMatchObject({ sample: true });
    // The renderers label a sample once, from alert.sample: the headline does not say it again.
    expect(sample.published[0].headline).not.toMatch(/SAMPLE/);
    expect(await deps.store.get(keys.sampleFindingGroup(base.detail.accountId, 'bucket-a', base.detail.type))).toMatchObject({ count: 1, sample: true });
    expect(await deps.store.listPrefix(`JOB#${jobId}`, keys.runFindingsPrefix(RUN))).toEqual([]);
  });

  test('a burst of 5,000 findings from one job across 20 buckets, in batches of 100, two at a time: one alert per (bucket, type), every finding counted once', async () => {
    // One alert per group: findingAlertsPer bucket (the run's roll-up per type is in rollup.test.ts).
    const deps = await testDeps({ findingAlertsPer: 'bucket' });
    await setCurrentRun(deps.store, RUN);
    const types = ['SensitiveData:S3Object/Financial', 'SensitiveData:S3Object/Personal'];
    const severities = ['High', 'Medium', 'Low'] as const;
    const events = Array.from({ length: 5000 }, (_, n) =>
      finding(n, {
        bucket: `bucket-${String(n % 20).padStart(2, '0')}`,
        type: types[Math.floor(n / 20) % 2],
        severity: severities[n % 3],
        at: minutesAfter('2024-04-14T18:00:00.000Z', (n / 5000) * 30),
      }),
    );
    const run = await deliverBatches(mappingBatches(eventMessages(events), 100), (batch) => processFindingBatch(batch, deps), {
      batchSize: 100,
      concurrency: 2,
    });
    expect(run.invocations).toBe(50);
    expect(run.deadLettered).toEqual([]);
    const outcomes: Record<string, number> = {};
    for (const response of run.responses) for (const r of response.records) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    expect(outcomes).toEqual({ alerted: 40, grouped: 4960 + run.redelivered, ...(run.redelivered ? { failed: run.redelivered } : {}) });
    const alerts = deps.publisher.alerts;
    expect(alerts).toHaveLength(40);
    expect(new Set(alerts.map((a) => a.id)).size).toBe(40);
    const groups = await deps.store.listPrefix(`JOB#${jobId}`, keys.runFindingsPrefix(RUN));
    expect(groups).toHaveLength(40);
    expect(groups.reduce((sum, g) => sum + (g.count as number), 0)).toBe(5000);
    const bySeverity = { HIGH: 0, MEDIUM: 0, LOW: 0 } as Record<string, number>;
    for (const g of groups) for (const [s, n] of Object.entries(g.bySeverity as Record<string, number>)) bySeverity[s] += n;
    expect(bySeverity).toEqual({ HIGH: 1667, MEDIUM: 1667, LOW: 1666 });
    expect(groups.every((g) => g.alerts === 1 && g.pendingAlerts === undefined)).toBe(true);
    // A cost per batch, not per finding: the earlier design made 2 requests per finding.
    expect(deps.store.requests.reads + deps.store.requests.writes).toBeLessThanOrEqual(0.1 * 5000);
  }, 600_000);
});
