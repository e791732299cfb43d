import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { resolveSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { addSilence, listSilences } from '../../lambda/silences/silence-store';
import type { StateStore } from '../../lambda/state/store';
import { keys, UNKNOWN_RUN, type ItemKey } from '../../lambda/state/table';
import { ADMIN, at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { TestClock } from '../support/clock';
import { freshStore } from '../support/dynamodb';
import { clone, cloudTrailEvent, findingEvent, fixture, sensitiveFinding, sqsBatch } from '../findings/kit';

/**
 * Items past their TTL that DynamoDB has not deleted yet (it deletes them within days). Every read treats
 * them as absent, so every write must too: each case writes the aggregate through its real pipeline on
 * day 0, moves the clock past `stateRetentionDays`, and drives the same aggregate again. Where a case is
 * about one item, the others the first pass wrote are deleted, as TTL deletes items in no particular order.
 */

const RETENTION_DAYS = 90;
const DAY_MS = 86_400_000;
const DAY0 = '2026-01-05T10:00:00.000Z';
/** Past the retention of everything written on day 0, by a day. */
const LATER = new Date(Date.parse(DAY0) + (RETENTION_DAYS + 1) * DAY_MS).toISOString();

interface World {
  readonly clock: TestClock;
  readonly store: StateStore;
  readonly publisher: RecordingPublisher;
  readonly telemetry: RecordingTelemetry;
  readonly deps: PipelineDeps;
}

async function world(): Promise<World> {
  const clock = new TestClock(new Date(DAY0));
  const store = await freshStore(clock.now);
  const publisher = new RecordingPublisher();
  const telemetry = new RecordingTelemetry();
  const settings = { ...resolveSettings(), stateRetentionDays: RETENTION_DAYS };
  return { clock, store, publisher, telemetry, deps: { store, publisher, telemetry, settings, region: 'us-east-1', now: clock.now } };
}

/** The item exactly as stored, past its TTL or not (a scan of one key, not the store's filtered read). */
async function stored(w: World, key: ItemKey): Promise<Record<string, unknown> | undefined> {
  const out = await w.store.doc.send(new GetCommand({ TableName: w.store.tableName, Key: key, ConsistentRead: true }));
  return out.Item;
}

async function deleteItem(w: World, key: ItemKey): Promise<void> {
  await w.store.doc.send(new DeleteCommand({ TableName: w.store.tableName, Key: key }));
}

/** Moves past the retention, and checks that the item is still in the table, expired: what the case is about. */
async function expire(w: World, key: ItemKey): Promise<void> {
  w.clock.set(LATER);
  const item = await stored(w, key);
  expect(item).toBeDefined();
  expect(item!.expiresAt as number).toBeLessThan(Date.parse(LATER) / 1000);
  expect(await w.store.get(key)).toBeUndefined();
}

/** The TTL of an item now in the table: written at LATER. */
async function ttlOf(w: World, key: ItemKey): Promise<number | undefined> {
  return (await stored(w, key))?.expiresAt as number | undefined;
}

const laterTtl = Math.floor(Date.parse(LATER) / 1000) + RETENTION_DAYS * 86400;

describe('job log: job and run items past their TTL', () => {
  const JOB = 'nightly-job';
  const sendJobLog = (w: World, events: Record<string, unknown>[]) => processLogsPayload(logsPayload(events.map((e) => logEvent(e))), w.deps);

  test("a job's next run after a gap longer than the retention is applied and alerts (the job item had expired)", async () => {
    const w = await world();
    const first = jobStream(JOB, 'Nightly', DAY0);
    await sendJobLog(w, [first('SCHEDULED_RUN_STARTED', DAY0), first('SCHEDULED_RUN_COMPLETED', at(DAY0, 30))]);
    await deleteItem(w, keys.run(JOB, DAY0));
    await expire(w, keys.job(JOB));

    const next = jobStream(JOB, 'Nightly', LATER);
    const report = await sendJobLog(w, [next('SCHEDULED_RUN_STARTED', LATER), next('BUCKET_ACCESS_DENIED', at(LATER, 1), bucketError('bucket-1', ADMIN))]);
    expect(report.published.map((a) => a.eventType)).toEqual(['BUCKET_ACCESS_DENIED']);
    expect(await w.store.get(keys.job(JOB))).toMatchObject({ currentRunDate: LATER, recentRunStarts: [LATER], expiresAt: laterTtl });
    expect(await ttlOf(w, keys.job(JOB))).toBe(laterTtl);
  });

  test('events of a run whose item expired (the UNKNOWN run of a job seen again) start it afresh', async () => {
    const w = await world();
    const undated = jobStream(JOB, 'Nightly', undefined);
    await sendJobLog(w, [undated('BUCKET_ACCESS_DENIED', DAY0, bucketError('bucket-1', ADMIN))]);
    expect(w.publisher.alerts).toHaveLength(1);
    await deleteItem(w, keys.job(JOB));
    await expire(w, keys.run(JOB, UNKNOWN_RUN));

    const report = await sendJobLog(w, [undated('BUCKET_ACCESS_DENIED', LATER, bucketError('bucket-2', ADMIN))]);
    expect(report.published.map((a) => a.eventType)).toEqual(['BUCKET_ACCESS_DENIED']);
    expect(await w.store.get(keys.run(JOB, UNKNOWN_RUN))).toMatchObject({ errors: { BUCKET_ACCESS_DENIED: 1 }, appliedEventItems: 1, expiresAt: laterTtl });
  });
});

describe('findings: groups, policy findings, alerts and the job guard past their TTL', () => {
  const automated = fixture('findings/sensitive-automated-discovery.json');
  const automatedAt = (n: number, iso: string) =>
    findingEvent(automated, { eventId: `auto-event-${n}`, detail: { id: `auto-finding-${n}`, createdAt: iso, updatedAt: iso } });
  const groupKey = keys.automatedFindingGroup(automated.detail.accountId, automated.detail.resourcesAffected.s3Bucket.name, automated.detail.type);
  const firstAlertId = `sd:auto:${automated.detail.accountId}:${automated.detail.resourcesAffected.s3Bucket.name}:${automated.detail.type}:first`;

  test('an automated discovery group re-created after expiry counts its first finding and alerts', async () => {
    const w = await world();
    await processFindingBatch(sqsBatch([automatedAt(1, DAY0)]), w.deps);
    expect(w.publisher.alerts.map((a) => a.id)).toEqual([firstAlertId]);
    await deleteItem(w, keys.alert(firstAlertId));
    await expire(w, groupKey);

    const report = await processFindingBatch(sqsBatch([automatedAt(2, LATER)]), w.deps);
    expect(report.records.map((r) => [r.outcome, r.reason])).toEqual([['alerted', expect.any(String)]]);
    expect(report.batchItemFailures).toEqual([]);
    expect(await w.store.get(groupKey)).toMatchObject({ count: 1, firstFindingId: 'auto-finding-2', expiresAt: laterTtl });
  });

  test('an alert item past its TTL does not make the same alert id "raised before": it is sent', async () => {
    const w = await world();
    await processFindingBatch(sqsBatch([automatedAt(1, DAY0)]), w.deps);
    // TTL deleted the group and left the alert item (it deletes in no particular order).
    await deleteItem(w, groupKey);
    await expire(w, keys.alert(firstAlertId));

    const report = await processFindingBatch(sqsBatch([automatedAt(2, LATER)]), w.deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['alerted']);
    expect(report.published.map((a) => a.id)).toEqual([firstAlertId]);
    expect(w.publisher.alerts.map((a) => a.id)).toEqual([firstAlertId, firstAlertId]);
    expect(await w.store.get(keys.alert(firstAlertId))).toMatchObject({ status: 'SENT', createdAt: LATER });
    expect(w.telemetry.lines.some((l) => l.message === 'alert already exists: not sent again')).toBe(false);
  });

  test('a policy finding that recurs after its item expired alerts', async () => {
    const w = await world();
    const policy = fixture('findings/policy-S3BucketPublic.json');
    const occurrence = (count: number, iso: string) => findingEvent(policy, { eventId: `policy-event-${count}`, detail: { count, updatedAt: iso } });
    await processFindingBatch(sqsBatch([occurrence(1, DAY0)]), w.deps);
    expect(w.publisher.alerts).toHaveLength(1);
    await expire(w, keys.policyFinding(policy.detail.id));

    const report = await processFindingBatch(sqsBatch([occurrence(2, LATER)]), w.deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['alerted']);
    expect(await w.store.get(keys.policyFinding(policy.detail.id))).toMatchObject({ lastCount: 2, expiresAt: laterTtl });
  });

  test("a finding of a run whose findings ledger expired is counted as before a summary (the ledger's guard takes the expired ledger as absent)", async () => {
    const w = await world();
    // A job log without runDates whose run was never seen starting: its UNKNOWN run completes and is summarized.
    const undated = jobStream(sensitiveFinding(1).detail.classificationDetails.jobId, 'Job', undefined);
    await processLogsPayload(logsPayload([logEvent(undated('JOB_COMPLETED', DAY0))]), w.deps);
    const job = keys.job(sensitiveFinding(1).detail.classificationDetails.jobId);
    const ledger = keys.runFindingsLedger(sensitiveFinding(1).detail.classificationDetails.jobId, UNKNOWN_RUN);
    expect(await w.store.get(ledger)).toMatchObject({ summarizedAt: expect.any(String) });
    await deleteItem(w, keys.run(sensitiveFinding(1).detail.classificationDetails.jobId, UNKNOWN_RUN));
    await expire(w, job);
    await expire(w, ledger);

    // Created an hour ago, and its job shows no run (its item expired): past the hold, counted in run UNKNOWN.
    const report = await processFindingBatch(sqsBatch([sensitiveFinding(1, { at: new Date(Date.parse(LATER) - 3_600_000).toISOString() })]), w.deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['alerted']);
    const group = await w.store.get(
      keys.findingGroup(sensitiveFinding(1).detail.classificationDetails.jobId, UNKNOWN_RUN, 'bucket-a', sensitiveFinding(1).detail.type),
    );
    expect(group).toMatchObject({ count: 1 });
    expect(group?.late).toBeUndefined();
    // Revived as a new ledger: the old summary's mark dropped, the write counted.
    expect(await w.store.get(ledger)).toMatchObject({ findingsVersion: 1, expiresAt: laterTtl });
    expect((await w.store.get(ledger))?.summarizedAt).toBeUndefined();
  });
});

describe('API calls: reveal windows and event markers past their TTL', () => {
  const reveal = fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json');
  const revealAt = (id: string, iso: string) => {
    const record = clone(reveal);
    record.eventID = id;
    record.eventTime = iso;
    return cloudTrailEvent(record);
  };

  test('a reveal by a principal whose last reveal is older than the retention alerts (no "lost its write condition")', async () => {
    const w = await world();
    await processApiCallBatch(sqsBatch([revealAt('reveal-1', DAY0)]), w.deps);
    expect(w.publisher.alerts).toHaveLength(1);
    await expire(w, keys.principalReveals(reveal.userIdentity.arn));

    const report = await processApiCallBatch(sqsBatch([revealAt('reveal-2', LATER)]), w.deps);
    expect(report.records.map((r) => [r.outcome, r.reason])).toEqual([['alerted', expect.not.stringContaining('lost its write condition')]]);
    expect(report.batchItemFailures).toEqual([]);
    expect(report.published.map((a) => a.id)).toEqual(['api:reveal-2']);
    expect(await w.store.get(keys.principalReveals(reveal.userIdentity.arn))).toMatchObject({ windowStart: LATER, count: 1, expiresAt: laterTtl });
  });

  test('an event whose marker expired is applied as new: the pipeline forgets after the retention, it does not fail the record', async () => {
    const w = await world();
    const disable = cloudTrailEvent({ ...fixture('api-calls/call-DisableMacie.json'), eventTime: DAY0 });
    await processApiCallBatch(sqsBatch([disable]), w.deps);
    const alertId = w.publisher.alerts[0].id;
    await deleteItem(w, keys.alert(alertId));
    await expire(w, keys.event(`api-call:${disable.detail.eventID}`));

    const report = await processApiCallBatch(sqsBatch([disable]), w.deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['alerted']);
    expect(report.batchItemFailures).toEqual([]);
    expect(await w.store.get(keys.event(`api-call:${disable.detail.eventID}`))).toMatchObject({ appliedAt: LATER });
  });
});

describe('silences past their TTL', () => {
  test('a new silence may take the id of one past its TTL', async () => {
    const w = await world();
    const silence = {
      match: { jobId: 'job-1' },
      startsAt: DAY0,
      endsAt: new Date(Date.parse(DAY0) + DAY_MS).toISOString(),
      author: 'alice',
      reason: 'maintenance',
      createdAt: DAY0,
    };
    const first = await addSilence(w.store, silence, () => 'S-TTL1');
    await expire(w, keys.silence(first.id));

    const again = { ...silence, startsAt: LATER, endsAt: new Date(Date.parse(LATER) + DAY_MS).toISOString(), createdAt: LATER };
    const added = await addSilence(w.store, again, () => 'S-TTL1');
    expect(added.id).toBe('S-TTL1');
    expect((await listSilences(w.store)).map((s) => [s.id, s.startsAt])).toEqual([['S-TTL1', LATER]]);
  });
});
