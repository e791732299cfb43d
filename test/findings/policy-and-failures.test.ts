import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { pendingIds } from '../../lambda/delivery/outbox';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { keys, UNKNOWN_RUN } from '../../lambda/state/table';
import { clone, deliverOne, findingEvent, fixture, sqsBatch, testDeps } from './kit';

const publicBucket = fixture('findings/policy-S3BucketPublic.json');
const hoursAfter = (start: string, hours: number) => new Date(Date.parse(start) + hours * 3_600_000).toISOString();
const T0 = '2024-04-14T17:11:30.000Z';

function occurrence(count: number, at: string, eventId = `event-count-${count}`) {
  return findingEvent(publicBucket, { eventId, detail: { count, createdAt: T0, updatedAt: at } });
}

describe('policy findings', () => {
  test('new alerts at once; recurrences within 24 h are counted; after 24 h one alert says how often it occurred', async () => {
    const deps = await testDeps({ policyFindingRepeatHours: 24 });
    const outcomes = [];
    outcomes.push((await deliverOne(processFindingBatch, occurrence(1, T0), deps)).outcome);
    outcomes.push((await deliverOne(processFindingBatch, occurrence(2, hoursAfter(T0, 1)), deps)).outcome);
    outcomes.push((await deliverOne(processFindingBatch, occurrence(3, hoursAfter(T0, 23.9)), deps)).outcome);
    outcomes.push((await deliverOne(processFindingBatch, occurrence(4, hoursAfter(T0, 24)), deps)).outcome);
    outcomes.push((await deliverOne(processFindingBatch, occurrence(5, hoursAfter(T0, 30)), deps)).outcome);
    expect(outcomes).toEqual(['alerted', 'grouped', 'grouped', 'alerted', 'grouped']);
    const [first, recurrence] = deps.publisher.alerts;
    expect(first.id).toBe(`policy:${publicBucket.detail.id}:1`);
    expect(recurrence.id).toBe(`policy:${publicBucket.detail.id}:4`);
    expect(recurrence.headline).toContain('(occurred 4 times)');
    expect(recurrence.whatHappened).toContain('occurred 4 times');
    expect(recurrence.whatHappened).toContain('3 occurrence(s) since the last alert');
    expect(await deps.store.get(keys.policyFinding(publicBucket.detail.id))).toMatchObject({ lastCount: 5, lastAlertCount: 4, alerts: 2 });
  });

  test('the same (id, count) again, in a different EventBridge event, changes nothing; an older count after a newer one is silent', async () => {
    const deps = await testDeps({ policyFindingRepeatHours: 1 });
    expect((await deliverOne(processFindingBatch, occurrence(3, T0, 'a'), deps)).outcome).toBe('alerted');
    const before = await deps.store.get(keys.policyFinding(publicBucket.detail.id));
    expect((await deliverOne(processFindingBatch, occurrence(3, hoursAfter(T0, 5), 'b'), deps)).outcome).toBe('duplicate');
    expect(await deps.store.get(keys.policyFinding(publicBucket.detail.id))).toEqual(before);
    expect((await deliverOne(processFindingBatch, occurrence(2, hoursAfter(T0, 6), 'c'), deps)).outcome).toBe('grouped');
    expect((await deliverOne(processFindingBatch, occurrence(4, hoursAfter(T0, 7), 'd'), deps)).outcome).toBe('alerted');
    expect(deps.publisher.alerts.map((a) => a.id)).toEqual([`policy:${publicBucket.detail.id}:3`, `policy:${publicBucket.detail.id}:4`]);
  });

  test('the same (id, count) processed concurrently from two event ids is applied once and alerts once', async () => {
    const deps = await testDeps();
    const reports = await Promise.all([
      deliverOne(processFindingBatch, occurrence(1, T0, 'x'), deps),
      deliverOne(processFindingBatch, occurrence(1, T0, 'y'), deps),
    ]);
    expect(reports.map((r) => r.outcome).sort()).toEqual(['alerted', 'duplicate']);
    expect(deps.publisher.alerts).toHaveLength(1);
    expect(await deps.store.get(keys.policyFinding(publicBucket.detail.id))).toMatchObject({ lastCount: 1, alerts: 1 });
  });
});

describe('malformed events', () => {
  const good = fixture('findings/policy-S3BucketPublic.json');
  const broken: [string, unknown][] = [
    ['null', null],
    ['a string', 'not an event'],
    ['no detail', { ...clone(good), detail: undefined }],
    ['detail without id', findingEvent(good, { eventId: 'no-id', detail: { id: undefined } })],
    ['unknown severity', findingEvent(good, { eventId: 'bad-severity', detail: { severity: { description: 'Critical' } } })],
    ['count 0', findingEvent(good, { eventId: 'count-0', detail: { count: 0 } })],
    ['bad time', findingEvent(good, { eventId: 'bad-time', detail: { updatedAt: 'yesterday' } })],
    ['wrong detail-type', { ...clone(good), id: 'wrong-type', 'detail-type': 'Macie Alert' }],
  ];

  test('each is one warn line with its id and reason, counted as BadRecords, nothing thrown, nothing written', async () => {
    const deps = await testDeps();
    for (const [, event] of broken) expect((await deliverOne(processFindingBatch, event, deps)).outcome).toBe('bad');
    expect(deps.telemetry.counters.BadRecords).toBe(broken.length);
    const warnings = deps.telemetry.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(broken.length);
    expect(warnings.map((w) => w.fields.eventId)).toEqual([undefined, undefined, good.id, 'no-id', 'bad-severity', 'count-0', 'bad-time', 'wrong-type']);
    expect(warnings[3].fields.reason).toContain('detail.id');
    expect(warnings[4].fields.reason).toContain('Critical');
    expect(deps.store.requests.writes).toBe(0);
    expect(deps.publisher.alerts).toEqual([]);
  });

  test('malformed API-call events likewise', async () => {
    const deps = await testDeps();
    const reveal = fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json');
    const events = [
      undefined,
      { id: 'no-detail', version: '0' },
      {
        version: '0',
        id: 'no-event-name',
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.macie2',
        account: '1',
        time: '2024-04-14T17:11:30Z',
        region: 'us-east-1',
        resources: [],
        detail: { ...reveal, eventName: undefined },
      },
    ];
    for (const event of events) expect((await deliverOne(processApiCallBatch, event, deps)).outcome).toBe('bad');
    expect(deps.telemetry.counters.BadRecords).toBe(3);
    expect(deps.telemetry.lines.filter((l) => l.level === 'warn').map((l) => l.fields.eventId)).toEqual([undefined, 'no-detail', 'no-event-name']);
  });
});

describe('delivery fails or is cut short after the state write', () => {
  const event = fixture('findings/sensitive-Personal.json');
  const jobId = event.detail.classificationDetails.jobId as string;
  const bucket = event.detail.resourcesAffected.s3Bucket.name as string;
  const groupOf = (runDate: string, type = event.detail.type as string) => keys.findingGroup(jobId, runDate, bucket, type);

  test('SNS refuses the alert: the record is applied, listed so that SQS retries the publish, and the next finding of its group publishes it once', async () => {
    const deps = await testDeps();
    deps.publisher.failNext(1, 'injected: SNS unavailable');
    const batch = sqsBatch([event]);
    const report = await processFindingBatch(batch, deps);
    expect(report.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[0].messageId }]);
    expect(report.records.map((r) => r.outcome)).toEqual(['alerted']);
    expect(deps.publisher.alerts).toEqual([]);
    expect(pendingIds(await deps.store.get(groupOf(UNKNOWN_RUN)))).toHaveLength(1);
    expect(deps.telemetry.lines.some((l) => l.level === 'error' && String(l.fields.error).startsWith('DeliveryFailed'))).toBe(true);

    const next = await deliverOne(processFindingBatch, findingEvent(event, { eventId: 'next', detail: { id: 'next-finding' } }), deps);
    expect(next.outcome).toBe('grouped');
    expect(next.published.map((a) => a.id)).toEqual([`sd:${jobId}:${UNKNOWN_RUN}:${bucket}:${event.detail.type}:first`]);
    expect(pendingIds(await deps.store.get(groupOf(UNKNOWN_RUN)))).toEqual([]);
    expect(deps.publisher.alerts).toHaveLength(1);
  });

  test('a redelivered record publishes the pending alert of the group it went to, even after a new run of the job started', async () => {
    const deps = await testDeps();
    const firstRun = '2024-04-14T17:00:00.000Z';
    const nextRun = '2024-04-15T17:00:00.000Z';
    const startRun = (runDate: string) =>
      deps.store.write([{ kind: 'put', item: { ...keys.job(jobId), currentRunDate: runDate, expiresAt: Math.floor(Date.now() / 1000) + 86400 } }]);
    await startRun(firstRun);
    deps.publisher.failNext(1, 'injected: SNS unavailable');
    expect((await deliverOne(processFindingBatch, event, deps)).outcome).toBe('alerted');
    expect(pendingIds(await deps.store.get(groupOf(firstRun)))).toHaveLength(1);

    await startRun(nextRun);
    const again = await deliverOne(processFindingBatch, event, deps);
    expect(again.outcome).toBe('duplicate');
    expect(again.published.map((a) => a.job?.runDate)).toEqual([firstRun]);
    expect(deps.publisher.alerts.map((a) => a.id)).toEqual([`sd:${jobId}:${firstRun}:${bucket}:${event.detail.type}:first`]);
    expect(pendingIds(await deps.store.get(groupOf(firstRun)))).toEqual([]);
    expect(await deps.store.get(groupOf(nextRun))).toBeUndefined();
  });

  test('no time left to publish after the state write (nothing claimed): the alert stays pending, the record is listed, and its redelivery publishes it', async () => {
    let outOfTime = true;
    const base = await testDeps();
    const deps = { ...base, remainingMs: () => (outOfTime ? 0 : 60_000) };
    const batch = sqsBatch([event]);
    const first = await processFindingBatch(batch, deps);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[0].messageId }]);
    expect(base.publisher.alerts).toEqual([]);
    outOfTime = false;
    const retry = await deliverOne(processFindingBatch, event, deps);
    expect(retry.outcome).toBe('duplicate');
    expect(retry.published).toHaveLength(1);
    expect(base.publisher.alerts).toHaveLength(1);
  });

  test('a crash after publishing fails the invocation; the redelivered batch publishes nothing again', async () => {
    let crash = true;
    const deps = await testDeps(
      {},
      {
        afterStep: (step) => {
          if (crash && step === 'publish') throw new Error('injected crash after publish');
        },
      },
    );
    await expect(deliverOne(processFindingBatch, event, deps)).rejects.toThrow('injected crash after publish');
    crash = false;
    const retry = await deliverOne(processFindingBatch, event, deps);
    expect(retry.outcome).toBe('duplicate');
    expect(retry.published).toEqual([]);
    expect(deps.publisher.alerts).toHaveLength(1);
  });
});
