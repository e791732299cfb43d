import type { Alert } from '../../lambda/core/alert';
import { execFileSync } from 'node:child_process';
import { ENV, resolveSettings, type PipelineSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { TEST_CLOCK_ENV } from '../../lambda/handlers/runtime';
import { alertItemCodec } from '../../lambda/delivery/alert-item';
import { deliverPending, outboxWrites } from '../../lambda/delivery/outbox';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { buildSnsMessage } from '../../lambda/delivery/sns-message';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import { deliveryDeps, type PipelineDeps } from '../../lambda/pipeline-deps';
import { addAck } from '../../lambda/silences/ack-store';
import { addSilence } from '../../lambda/silences/silence-store';
import { DigestCodec } from '../../lambda/state/digest-items';
import { RunCodec, type RunState } from '../../lambda/state/job-items';
import type { StateStore } from '../../lambda/state/store';
import { GSI2, keys } from '../../lambda/state/table';
import { DAY_MS, DIGEST_SETTLE_MS, latestDigestEnd, raiseDueDigests, windowEndingAt } from '../../lambda/sweeper/digest';
import { sweep } from '../../lambda/sweeper/sweep';
import { testAlert } from '../support/alerts';
import { TestClock } from '../support/clock';
import { testRun } from '../support/runs';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { freshStore } from '../support/dynamodb';
import { HandlerProcesses } from '../support/handler-process';
import { RecordingSnsEndpoint } from '../support/sns-endpoint';
import { cloudTrailEvent, fixture, sensitiveFinding, sqsBatch } from '../findings/kit';

/**
 * The daily digest on DynamoDB Local, fed by the real pipelines: what it says about a seeded day, which
 * 24 hours it covers, that it is raised once whatever the sweeps do, and that a day is never skipped.
 */
const HOUR = 3_600_000;
const START = '2026-11-01T09:00:00.000Z';
const END = '2026-11-02T09:00:00.000Z';
const iso = (t: number) => new Date(t).toISOString();
const plus = (at: string, ms: number) => iso(Date.parse(at) + ms);

async function setup(
  settings: Partial<Record<keyof PipelineSettings, unknown>> = { digestHourUtc: 9 },
  store?: StateStore,
  clock = new TestClock(new Date(START)),
) {
  const s = store ?? (await freshStore(clock.now));
  const publisher = new RecordingPublisher();
  const telemetry = new RecordingTelemetry();
  const deps: PipelineDeps = { store: s, publisher, telemetry, settings: resolveSettings(settings), region: 'eu-west-1', now: clock.now };
  return { clock, store: s, publisher, telemetry, deps };
}

const digestsOf = (publisher: RecordingPublisher): Alert[] => publisher.alerts.filter((a) => a.category === 'DIGEST');
const detail = (alert: Alert, label: string) => alert.details.find((d) => d.label === label)?.value;

function jobEvent(jobId: string, runDate: string, eventType: string, occurredAt: string, extra: Record<string, unknown> = {}) {
  return { adminAccountId: '123456789012', jobId, jobName: `${jobId}_job`, eventType, occurredAt, runDate, description: `${eventType} happened`, ...extra };
}
function bucketError(jobId: string, runDate: string, eventType: string, bucket: string, occurredAt: string) {
  return jobEvent(jobId, runDate, eventType, occurredAt, {
    operation: 'ListObjectsV2',
    affectedAccount: '111122223333',
    affectedResource: { type: 'S3_BUCKET_NAME', value: bucket },
  });
}

/** Job log events through the job-log pipeline, processed at `processedAt`. */
async function logs(h: { clock: TestClock; deps: PipelineDeps }, processedAt: string, events: Record<string, unknown>[]) {
  h.clock.set(processedAt);
  await processLogsPayload(logsPayload(events.map((e) => logEvent(e))), h.deps);
}

/** An ended run written as the job-log pipeline would write it (its codec derives the index keys). */
function endedRun(jobId: string, startedAt: string, endedAt: string, overrides: Partial<RunState> = {}): RunState {
  return testRun({
    jobId,
    runDate: startedAt,
    statusAt: endedAt,
    statusEvent: 'JOB_COMPLETED',
    startedAt,
    endedAt,
    version: 1,
    expiresAt: Math.floor(Date.parse(endedAt) / 1000) + 30 * 86400,
    ...overrides,
  });
}

describe('the daily digest of a seeded day', () => {
  test('counts the runs, errors, findings and API calls of the 24 hours before digestHourUtc, and the silences', async () => {
    const h = await setup();
    const inWindow: Alert[] = [];
    const step = async (processedAt: string, work: () => Promise<unknown>) => {
      h.clock.set(processedAt);
      const before = h.publisher.alerts.length;
      await work();
      const t = Date.parse(processedAt);
      if (t >= Date.parse(START) && t < Date.parse(END)) inWindow.push(...h.publisher.alerts.slice(before));
    };
    await addSilence(h.store, {
      match: { type: 'BUCKET_DOES_NOT_EXIST' },
      startsAt: '2026-11-01T00:00:00.000Z',
      endsAt: '2026-11-03T00:00:00.000Z',
      author: 'alice',
      reason: 'buckets being retired',
      createdAt: '2026-11-01T00:00:00.000Z',
    });

    // An acknowledgement in force in the window is listed; one that ended before it is not.
    const acked = `run:nightly:2026-11-01T10:00:00.000Z:BUCKET_ACCESS_DENIED:first`;
    const ack = await addAck(h.store, {
      alertId: acked,
      startsAt: '2026-11-01T10:30:00.000Z',
      endsAt: '2026-11-01T20:00:00.000Z',
      author: 'bob',
      reason: 'fixing the bucket policies',
      createdAt: '2026-11-01T10:30:00.000Z',
    });
    await addAck(h.store, {
      alertId: 'sweep:old:missed-run:2026-10-30T00:00:00.000Z',
      startsAt: '2026-10-30T10:00:00.000Z',
      endsAt: '2026-11-01T08:00:00.000Z',
      author: 'bob',
      reason: 'old',
      createdAt: '2026-10-30T10:00:00.000Z',
    });

    // R4 ran and ended before the window: not in this digest (nor is its summary, raised before it).
    const R4 = '2026-10-31T06:00:00.000Z';
    await step('2026-11-01T08:31:00.000Z', () =>
      logs(h, '2026-11-01T08:31:00.000Z', [
        jobEvent('early', R4, 'ONE_TIME_JOB_STARTED', R4),
        jobEvent('early', R4, 'JOB_COMPLETED', '2026-11-01T08:30:00.000Z'),
      ]),
    );
    // R3 started the day before and was cancelled in the window: its errors count, it did not start in it.
    const R3 = '2026-10-31T20:00:00.000Z';
    await step('2026-10-31T21:01:00.000Z', () =>
      logs(h, '2026-10-31T21:01:00.000Z', [
        jobEvent('weekly', R3, 'SCHEDULED_RUN_STARTED', R3),
        bucketError('weekly', R3, 'BUCKET_ACCESS_DENIED', 'b-1', '2026-10-31T21:00:00.000Z'),
      ]),
    );
    await step('2026-11-01T13:01:00.000Z', () =>
      logs(h, '2026-11-01T13:01:00.000Z', [
        jobEvent('weekly', R3, 'ACCOUNT_ACCESS_DENIED', '2026-11-01T13:00:00.000Z', { affectedAccount: '444455556666', operation: 'ListBuckets' }),
      ]),
    );
    await step('2026-11-01T15:01:00.000Z', () => logs(h, '2026-11-01T15:01:00.000Z', [jobEvent('weekly', R3, 'JOB_CANCELLED', '2026-11-01T15:00:00.000Z')]));
    // R1 started and completed in the window, with errors (one type silenced).
    const R1 = '2026-11-01T10:00:00.000Z';
    await step('2026-11-01T10:10:00.000Z', () =>
      logs(h, '2026-11-01T10:10:00.000Z', [
        jobEvent('nightly', R1, 'SCHEDULED_RUN_STARTED', R1),
        bucketError('nightly', R1, 'BUCKET_ACCESS_DENIED', 'b-1', '2026-11-01T10:05:00.000Z'),
        bucketError('nightly', R1, 'BUCKET_ACCESS_DENIED', 'b-2', '2026-11-01T10:06:00.000Z'),
        bucketError('nightly', R1, 'BUCKET_ACCESS_DENIED', 'b-3', '2026-11-01T10:07:00.000Z'),
        bucketError('nightly', R1, 'BUCKET_DOES_NOT_EXIST', 'gone-1', '2026-11-01T10:08:00.000Z'),
      ]),
    );
    await step('2026-11-01T12:01:00.000Z', () =>
      logs(h, '2026-11-01T12:01:00.000Z', [jobEvent('nightly', R1, 'SCHEDULED_RUN_COMPLETED', '2026-11-01T12:00:00.000Z')]),
    );
    // R2 started in the window and was paused by the quota: still open.
    const R2 = '2026-11-01T11:00:00.000Z';
    await step('2026-11-01T11:31:00.000Z', () =>
      logs(h, '2026-11-01T11:31:00.000Z', [
        jobEvent('quota', R2, 'ONE_TIME_JOB_STARTED', R2),
        jobEvent('quota', R2, 'JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', '2026-11-01T11:30:00.000Z'),
      ]),
    );
    // R5 started in the window and ended just after it, before the sweep: it was still running at the end.
    const R5 = '2026-11-02T08:00:00.000Z';
    await step('2026-11-02T08:01:00.000Z', () => logs(h, '2026-11-02T08:01:00.000Z', [jobEvent('late', R5, 'ONE_TIME_JOB_STARTED', R5)]));
    await step('2026-11-02T09:03:00.000Z', () => logs(h, '2026-11-02T09:03:00.000Z', [jobEvent('late', R5, 'JOB_COMPLETED', '2026-11-02T09:02:00.000Z')]));
    // R6 started after the window: not in it.
    const R6 = '2026-11-02T09:04:00.000Z';
    await step('2026-11-02T09:05:00.000Z', () => logs(h, '2026-11-02T09:05:00.000Z', [jobEvent('next', R6, 'ONE_TIME_JOB_STARTED', R6)]));

    // Findings: one group of 3 High Financial findings in bucket-a (first alert, then "still occurring" at 3),
    // one Medium Personal finding in bucket-b, and a sample finding. Their job's log shows no run: each is
    // counted in run UNKNOWN once it has waited HOLD_FOR_RUN_MINUTES for one (SQS's redeliveries before that).
    await step('2026-11-01T14:41:00.000Z', () =>
      processFindingBatch(sqsBatch([sensitiveFinding(1, { at: '2026-11-01T14:00:00.000Z' }), sensitiveFinding(2, { at: '2026-11-01T14:10:00.000Z' })]), h.deps),
    );
    await step('2026-11-01T16:01:00.000Z', () => processFindingBatch(sqsBatch([sensitiveFinding(3, { at: '2026-11-01T15:30:00.000Z' })]), h.deps));
    await step('2026-11-01T16:31:00.000Z', () =>
      processFindingBatch(
        sqsBatch([
          sensitiveFinding(4, { bucket: 'bucket-b', type: 'SensitiveData:S3Object/Personal', severity: 'Medium', at: '2026-11-01T16:00:00.000Z' }),
          sensitiveFinding(5, { bucket: 'bucket-s', at: '2026-11-01T16:00:00.000Z', sample: true }),
        ]),
        h.deps,
      ),
    );
    // API calls: a reveal of sensitive data and Macie disabled.
    await step('2026-11-01T17:00:00.000Z', () =>
      processApiCallBatch(
        sqsBatch([
          cloudTrailEvent(fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json')),
          cloudTrailEvent(fixture('api-calls/call-DisableMacie.json')),
        ]),
        h.deps,
      ),
    );
    expect(digestsOf(h.publisher)).toEqual([]);

    h.clock.set('2026-11-02T09:10:00.000Z');
    const report = await sweep(h.deps);
    expect(report.failures).toEqual([]);
    const [digest, ...more] = digestsOf(h.publisher);
    expect(more).toEqual([]);
    // The seeded silence is announced by the same sweep (silence-announcements.test.ts).
    expect(report.raised).toEqual([expect.stringMatching(/^silence:S-\w+:made$/), `digest:${END}`]);
    expect(digest).toMatchObject({
      id: `digest:${END}`,
      severity: 'INFO',
      category: 'DIGEST',
      accountId: '123456789012',
      region: 'eu-west-1',
      occurredAt: END,
    });
    expect(digest.headline).toBe('Macie daily digest 2026-11-02 09:00 UTC: 4 runs, 5 errors, 4 findings, 2 API-call alerts');
    expect(detail(digest, 'Window (UTC)')).toBe(`${START} to ${END} (24 h)`);
    expect(detail(digest, 'Job runs')).toBe('4 in the window: 3 started, 1 completed (1 with errors), 1 cancelled, 1 paused, 2 still running at the end');
    // Which runs went wrong, by job name and run date, most severe first.
    const troubled =
      'weekly_job (run 2026-10-31 20:00 UTC): cancelled, 2 errors; nightly_job (run 2026-11-01 10:00 UTC): completed with 3 errors; quota_job (run 2026-11-01 11:00 UTC): paused';
    expect(detail(digest, 'Runs to look at')).toBe(troubled);
    expect(digest.whatHappened).toContain(`Runs to look at: ${troubled}.`);
    expect(detail(digest, 'Errors: BUCKET_ACCESS_DENIED')).toBe('4 events in 2 runs; buckets: b-1 (2 runs), b-2, b-3');
    expect(detail(digest, 'Errors: ACCOUNT_ACCESS_DENIED')).toBe('1 event in 1 run; accounts: 444455556666');
    expect(detail(digest, 'Errors: BUCKET_DOES_NOT_EXIST')).toBe('0 events in 1 run (and 1 silenced); buckets: gone-1');
    expect(digest.details.map((d) => d.label).filter((l) => l.startsWith('Errors'))).toEqual([
      'Errors: BUCKET_ACCESS_DENIED',
      'Errors: ACCOUNT_ACCESS_DENIED',
      'Errors: BUCKET_DOES_NOT_EXIST',
    ]);
    expect(detail(digest, 'Findings HIGH: SensitiveData:S3Object/Financial')).toBe('3 findings from 2 alerts; buckets: bucket-a (2 alerts)');
    expect(detail(digest, 'Findings MEDIUM: SensitiveData:S3Object/Personal')).toBe('1 finding from 1 alert; buckets: bucket-b');
    expect(detail(digest, 'Sample findings')).toBe("1 alert about Macie's sample findings (not your data)");
    expect(detail(digest, 'API call: GetSensitiveDataOccurrences')).toMatch(/^1 alert; by arn:aws:/);
    expect(detail(digest, 'API call: DisableMacie')).toMatch(/^1 alert; by arn:aws:/);
    // Every alert the pipelines raised in the window, and none raised before or after it.
    expect(inWindow.length).toBeGreaterThan(8);
    const bySeverity = ['HIGH', 'MEDIUM', 'LOW', 'INFO'].flatMap((s) => {
      const n = inWindow.filter((a) => a.severity === s).length;
      return n > 0 ? [`${s} ${n}`] : [];
    });
    expect(detail(digest, 'Alerts raised')).toBe(`${inWindow.length}: ${bySeverity.join(', ')}`);
    const [silence] = digest.details.filter((d) => d.label === 'Silence');
    expect(silence.value).toMatch(
      /^S-\w+: type BUCKET_DOES_NOT_EXIST; from 2026-11-01T00:00:00.000Z until 2026-11-03T00:00:00.000Z; by alice: buckets being retired$/,
    );
    expect(digest.whatHappened).toContain('Errors in those runs: 5 events of 3 types, most of them BUCKET_ACCESS_DENIED (4 in 2 runs).');
    expect(digest.whatHappened).toContain('1 silence active now.');
    expect(digest.whatHappened).toContain('1 acknowledgement held reminders in the window.');
    expect(digest.details.filter((d) => d.label.startsWith('Acknowledged')).map((d) => d.value)).toEqual([
      `${acked}: acknowledged (${ack.id} by bob until 2026-11-01T20:00:00.000Z: fixing the bucket policies)`,
    ]);
    expect(buildSnsMessage(digest).MessageAttributes.category).toEqual({ DataType: 'String', StringValue: 'DIGEST' });

    // Recorded with the outbox: the mark owns the alert, delivered, so nothing is left pending on it.
    const mark = DigestCodec.decode((await h.store.get(keys.digest(END)))!);
    expect(mark).toMatchObject({ windowStart: START, windowEnd: END, alertId: `digest:${END}`, createdAt: '2026-11-02T09:10:00.000Z' });
    expect(mark.pendingAlerts ?? []).toEqual([]);
    expect(alertItemCodec.decode((await h.store.get(keys.alert(`digest:${END}`)))!).delivery.status).toBe('SENT');
  });

  test('a quiet day still gets its digest, saying nothing happened', async () => {
    const h = await setup();
    h.clock.set(plus(END, DIGEST_SETTLE_MS));
    await sweep(h.deps);
    const [digest] = digestsOf(h.publisher);
    expect(digest.headline).toBe('Macie daily digest 2026-11-02 09:00 UTC: no runs, no findings, no API-call alerts');
    expect(detail(digest, 'Job runs')).toBe('none');
    expect(detail(digest, 'Alerts raised')).toBe('0');
    expect(digest.accountId).toBe('unknown');
  });

  test('is off by default: no digest, and no request for one', async () => {
    const h = await setup({});
    h.clock.set('2026-11-02T09:30:00.000Z');
    const before = h.store.requests.reads;
    expect(await raiseDueDigests(h.deps)).toEqual([]);
    expect(h.store.requests.reads).toBe(before);
    await sweep(h.deps);
    expect(digestsOf(h.publisher)).toEqual([]);
  });
});

describe('the window', () => {
  /** An alert raised (put in the outbox) at `at`. */
  async function alertAt(store: StateStore, id: string, at: string, overrides: Partial<Alert> = {}) {
    const alert = testAlert(id, { category: 'API_CALL', eventType: 'DeleteMember', severity: 'MEDIUM', ...overrides });
    await store.write(outboxWrites([alert], keys.event(id), new Date(at), 90));
  }

  test('waits DIGEST_SETTLE_MS after the hour: an alert created just before it and committed just after is in it', async () => {
    const h = await setup();
    h.clock.set(plus(END, 60_000));
    expect((await sweep(h.deps)).raised).not.toContain(`digest:${END}`);
    // Created (its invocation began) 2 s before the hour, committed after the sweep above.
    await alertAt(h.store, 'just-before', plus(END, -2000));
    h.clock.set(plus(END, DIGEST_SETTLE_MS));
    expect((await sweep(h.deps)).raised).toContain(`digest:${END}`);
    const digest = digestsOf(h.publisher).find((d) => d.id === `digest:${END}`)!;
    expect(detail(digest, 'API call: DeleteMember')).toBe('1 alert');
  });

  test('counts a policy finding once however many times it occurred, and a findings group by its latest count', async () => {
    const h = await setup();
    const policy = (id: string, finding: string, count: number, at: string) =>
      h.store.write(
        outboxWrites(
          [testAlert(id, { category: 'POLICY_FINDING', eventType: 'Policy:IAMUser/S3BlockPublicAccessDisabled', count })],
          keys.policyFinding(finding),
          new Date(at),
          90,
        ),
      );
    // One finding alerted when new, then its held recurrences flushed (4 occurrences); another first alerted at its 10th.
    await policy('p-1:new', 'p-1', 1, plus(START, HOUR));
    await policy('p-1:held', 'p-1', 4, plus(START, 3 * HOUR));
    await policy('p-2:new', 'p-2', 10, plus(START, 5 * HOUR));
    const group = (id: string, count: number, at: string) =>
      h.store.write(
        outboxWrites(
          [testAlert(id, { category: 'SENSITIVE_DATA_FINDING', eventType: 'SensitiveData:S3Object/Financial', count })],
          keys.findingGroup('job', START, 'bucket-a', 'Financial'),
          new Date(at),
          90,
        ),
      );
    await group('g:first', 1, plus(START, HOUR));
    await group('g:still', 7, plus(START, 2 * HOUR));
    h.clock.set(plus(END, DIGEST_SETTLE_MS));
    await sweep(h.deps);
    const [digest] = digestsOf(h.publisher);
    expect(detail(digest, 'Findings HIGH: Policy:IAMUser/S3BlockPublicAccessDisabled')).toBe('2 findings from 3 alerts');
    expect(detail(digest, 'Findings HIGH: SensitiveData:S3Object/Financial')).toBe('7 findings from 2 alerts');
  });

  test('takes alerts raised in [end - 24 h, end) exactly, and runs by the times Macie gave them', async () => {
    const h = await setup();
    await alertAt(h.store, 'before-start', plus(START, -1));
    await alertAt(h.store, 'at-start', START);
    await alertAt(h.store, 'before-end', plus(END, -1));
    await alertAt(h.store, 'at-end', END);
    const runs = [
      endedRun('ended-before-start', '2026-11-01T01:00:00.000Z', plus(START, -1)),
      endedRun('ended-at-start', '2026-11-01T02:00:00.000Z', START),
      endedRun('ended-before-end', '2026-11-01T03:00:00.000Z', plus(END, -1)),
      endedRun('ended-at-end', '2026-11-01T04:00:00.000Z', END),
      endedRun('started-at-end', END, plus(END, 60_000)),
    ];
    await h.store.write(runs.map((r) => ({ kind: 'put' as const, item: RunCodec.encode(r) })));

    h.clock.set(plus(END, 5 * 60_000));
    await sweep(h.deps);
    const [digest] = digestsOf(h.publisher);
    // at-start and before-end; each of the other two belongs to the digest next to it.
    expect(detail(digest, 'API call: DeleteMember')).toBe('2 alerts');
    // Active: ended at the start (the first instant of the window), ended just before the end, and ended at
    // the end (so still running at the window's end). The first ended before; the last started at the end.
    expect(detail(digest, 'Job runs')).toBe('3 in the window: 0 started, 2 completed, 0 cancelled, 0 paused, 1 still running at the end');

    // The next day's digest has the alert raised at the end, and nothing of the day before.
    h.clock.set(plus(END, DAY_MS + DIGEST_SETTLE_MS));
    await sweep(h.deps);
    const next = digestsOf(h.publisher)[1];
    expect(next.id).toBe(`digest:${plus(END, DAY_MS)}`);
    expect(detail(next, 'API call: DeleteMember')).toBe('1 alert');
    expect(detail(next, 'Job runs')).toBe('2 in the window: 1 started, 2 completed, 0 cancelled, 0 paused, 0 still running at the end');
  });

  test('reads one index partition per UTC day it touches, and the runs in one more request each', async () => {
    const h = await setup({ digestHourUtc: 0 });
    await alertAt(h.store, 'a', '2026-11-01T12:00:00.000Z');
    h.clock.set(plus('2026-11-02T00:00:30.000Z', DIGEST_SETTLE_MS));
    const before = h.store.requests.reads;
    await raiseDueDigests(h.deps);
    // marks (1), alerts of one day (1), runs ended on two days (2: the window's and today), open runs (1),
    // runs read (0: none ended), silences (1).
    expect(h.store.requests.reads - before).toBe(6);
    expect(h.store.requests.writes).toBe(2); // the alert above, then mark and digest in one transaction
  });
});

describe('once per day', () => {
  test('two sweeps at once raise one digest, and later sweeps of the day raise none', async () => {
    const clock = new TestClock(new Date('2026-11-02T09:07:00.000Z'));
    const store = await freshStore(clock.now);
    for (let day = 0; day < 3; day++) {
      clock.set(plus('2026-11-02T09:07:00.000Z', day * DAY_MS));
      const a = await setup({ digestHourUtc: 9 }, store, clock);
      const b = await setup({ digestHourUtc: 9 }, store, clock);
      const [ra, rb] = await Promise.all([sweep(a.deps), sweep(b.deps)]);
      expect([...ra.failures, ...rb.failures]).toEqual([]);
      const ends = plus(END, day * DAY_MS);
      expect([...ra.raised, ...rb.raised]).toEqual([`digest:${ends}`]);
      expect([...digestsOf(a.publisher), ...digestsOf(b.publisher)].map((d) => d.id)).toEqual([`digest:${ends}`]);
      // The rest of the day's sweeps find the mark.
      clock.set(plus(clock.at.toISOString(), 10 * HOUR));
      const c = await setup({ digestHourUtc: 9 }, store, clock);
      await Promise.all([sweep(c.deps), sweep(c.deps)]);
      expect(digestsOf(c.publisher)).toEqual([]);
    }
    const marks = await store.listPrefix('DIGEST', '2026-');
    expect(marks.map((m) => m.sk)).toEqual([0, 1, 2].map((d) => plus(END, d * DAY_MS)));
  });

  test('two sweeps that both decided to raise it meet at the write: one writes, the other finds the mark', async () => {
    const clock = new TestClock(new Date('2026-11-02T09:07:00.000Z'));
    const store = await freshStore(clock.now);
    // Each sweep's write of the digest waits until the other has read the marks and built it too.
    let arrived = 0;
    let release = () => {};
    const bothBuilt = new Promise<void>((resolve) => (release = resolve));
    const gated: StateStore = Object.create(store);
    gated.write = async (ops) => {
      if (ops.some((op) => op.kind === 'put' && op.item.pk === 'DIGEST')) {
        if (++arrived === 2) release();
        await bothBuilt;
      }
      return store.write(ops);
    };
    const [a, b] = [await setup({ digestHourUtc: 9 }, gated, clock), await setup({ digestHourUtc: 9 }, gated, clock)];
    const raised = await Promise.all([raiseDueDigests(a.deps), raiseDueDigests(b.deps)]);
    expect(arrived).toBe(2);
    expect(raised.map((r) => r.length).sort()).toEqual([0, 1]);
    const lost = [a, b].filter((h) => h.telemetry.lines.some((l) => l.message === 'sweeper: daily digest already raised by another sweep'));
    expect(lost).toHaveLength(1);
    expect(await store.get(keys.alert(`digest:${END}`))).toBeDefined();
  });

  test('a digest whose alert already exists (its mark lost) is not raised again', async () => {
    const h = await setup();
    h.clock.set('2026-11-02T09:10:00.000Z');
    await raiseDueDigests(h.deps);
    await h.store.write([{ kind: 'update', key: keys.digest(END), expression: 'SET expiresAt = :past', values: { ':past': 1 } }]);
    expect(await raiseDueDigests(h.deps)).toEqual([]);
    expect(h.telemetry.lines.some((l) => l.message === 'sweeper: daily digest already raised by another sweep')).toBe(true);
  });
});

describe('UTC, never local time', () => {
  test('a window is the 24 h before the UTC hour, on the days clocks change anywhere', () => {
    // US clocks go back on 2026-11-01 at 06:00 UTC and forward on 2026-03-08, Europe's on 2026-10-25 and 2026-03-29.
    for (const day of ['2026-11-01', '2026-10-25', '2026-03-08', '2026-03-29']) {
      const end = latestDigestEnd(new Date(`${day}T09:30:00.000Z`), 9);
      expect(end.toISOString()).toBe(`${day}T09:00:00.000Z`);
      const w = windowEndingAt(end);
      expect(Date.parse(w.end) - Date.parse(w.start)).toBe(24 * HOUR);
    }
    expect(latestDigestEnd(new Date('2026-11-01T08:59:59.999Z'), 9).toISOString()).toBe('2026-10-31T09:00:00.000Z');
    expect(latestDigestEnd(new Date('2026-11-01T09:00:00.000Z'), 9).toISOString()).toBe('2026-11-01T09:00:00.000Z');
  });

  /**
   * The real sweeper handler, in a process whose TZ is a zone changing its clocks within the window: the
   * digest still covers the 24 h before 09:00 UTC. An alert raised half an hour before the window began is
   * out (going back one local calendar day would cover 25 h and take it in) and one half an hour before its
   * end is in.
   */
  let processes: HandlerProcesses;
  let sns: RecordingSnsEndpoint;
  beforeAll(async () => {
    [processes, sns] = await Promise.all([HandlerProcesses.build(), RecordingSnsEndpoint.start()]);
  }, 120_000);
  afterAll(async () => {
    await sns?.close();
    processes?.dispose();
  });

  test.each([
    ['America/New_York', '2026-11-01T09:00:00.000Z', 240, 300],
    ['Europe/Berlin', '2026-10-25T09:00:00.000Z', -120, -60],
    ['Australia/Lord_Howe', '2026-04-05T09:00:00.000Z', -660, -630],
  ])('in %s, on a day its clocks go back: the 24 h before the UTC hour, from the handler itself', async (zone, end, offsetBefore, offsetAfter) => {
    // The zone changes its clocks inside the window (offsets in minutes, as getTimezoneOffset gives them).
    const offset = (at: string) =>
      Number(execFileSync(process.execPath, ['-e', `console.log(new Date(${JSON.stringify(at)}).getTimezoneOffset())`], { env: { TZ: zone } }).toString());
    expect([offset(plus(end, -23 * HOUR)), offset(end)]).toEqual([offsetBefore, offsetAfter]);

    const store = await freshStore();
    for (const [id, at] of [
      [`in-${zone}`, plus(end, -30 * 60_000)],
      [`out-${zone}`, plus(end, -24.5 * HOUR)],
    ]) {
      await store.write(outboxWrites([testAlert(id, { category: 'API_CALL', eventType: 'DeleteMember' })], keys.event(id), new Date(at), 90));
    }
    const run = processes.invoke(
      'sweeper',
      {},
      {
        TZ: zone,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: process.env.TEST_DYNAMODB_ENDPOINT!,
        AWS_ENDPOINT_URL_SNS: sns.url,
        [ENV.tableName]: store.tableName,
        [ENV.topicArn]: 'arn:aws:sns:eu-west-1:111122223333:alerts',
        [ENV.digestHourUtc]: '9',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        [TEST_CLOCK_ENV]: plus(end, DIGEST_SETTLE_MS + 60_000),
      },
    );
    const exit = await run.exited;
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
    const entry = sns.taken.find((e) => e.attributes.alertId === `digest:${end}`)!;
    const json = JSON.parse(entry.messages.default) as { details: { label: string; value: string }[] };
    const row = (label: string) => json.details.find((d) => d.label === label)?.value;
    expect(row('Window (UTC)')).toBe(`${plus(end, -24 * HOUR)} to ${end} (24 h)`);
    expect(row('API call: DeleteMember')).toBe('1 alert');
  });
});

describe('never a day skipped, never one twice', () => {
  /** Sweeps every `rateMinutes` from `first` for `days` days (but the skipped ones); the digests' windows, in order. */
  async function sweepsEvery(rateMinutes: number, first: string, days: number, skip: (i: number) => boolean = () => false) {
    const h = await setup({ digestHourUtc: 6 });
    const sweeps = Math.ceil((days * 24 * 60) / rateMinutes);
    for (let i = 0; i < sweeps; i++) {
      if (skip(i)) continue;
      // Each sweep time is given as if the digest were due at the hour: it is due DIGEST_SETTLE_MS after it.
      h.clock.set(plus(first, DIGEST_SETTLE_MS + i * rateMinutes * 60_000));
      const report = await sweep(h.deps);
      expect(report.failures).toEqual([]);
    }
    return digestsOf(h.publisher).map((d) => detail(d, 'Window (UTC)'));
  }

  /** n consecutive windows, the first ending at `firstEnd`. */
  const windows = (firstEnd: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${plus(firstEnd, (i - 1) * DAY_MS)} to ${plus(firstEnd, i * DAY_MS)} (24 h)`);

  test.each([
    // rate, first sweep, the day its first sweep raises, digests in 6 days
    [90, '2026-11-01T05:10:00.000Z', '2026-10-31T06:00:00.000Z', 7],
    [7 * 60, '2026-11-01T05:59:00.000Z', '2026-10-31T06:00:00.000Z', 7],
    [23 * 60 + 59, '2026-11-01T06:00:00.000Z', '2026-11-01T06:00:00.000Z', 6],
    [24 * 60, '2026-11-01T05:59:59.000Z', '2026-10-31T06:00:00.000Z', 6],
  ])('a sweep every %i minutes from %s raises each day once, in order', async (rate, first, firstEnd, n) => {
    expect(await sweepsEvery(rate, first, 6)).toEqual(windows(firstEnd, n));
  });

  test('a daily sweep that failed one day: the next sweep raises the missed day first, then its own', async () => {
    const ends = await sweepsEvery(24 * 60, '2026-11-01T06:30:00.000Z', 5, (i) => i === 2);
    expect(ends).toEqual(windows('2026-11-01T06:00:00.000Z', 5));
  });

  test('turned on after the hour: the first sweep raises the day just ended, not the one before it', async () => {
    const ends = await sweepsEvery(60, '2026-11-01T15:00:00.000Z', 1);
    expect(ends).toEqual(windows('2026-11-01T06:00:00.000Z', 2));
  });
});

describe('the index it reads', () => {
  test('lists an alert once, under the day it was raised, with its facts only; delivering it changes nothing there', async () => {
    const h = await setup();
    h.clock.set('2026-11-01T23:59:59.000Z');
    const alert = testAlert('x', {
      affected: [
        { kind: 'bucket', items: ['a', 'b', 'c', 'd'], total: 9 },
        { kind: 'object', items: ['k'], total: 1 },
      ],
    });
    await h.store.write(outboxWrites([alert], keys.event('x'), h.clock.at, 90));
    const indexed = () => h.store.listDigestIndex(GSI2.alerts('2026-11-01'), '2026-11-01', '2026-11-02');
    const [entry, ...more] = await indexed();
    expect(more).toEqual([]);
    // Keys and the projected attributes: no alert body in the index.
    expect(Object.keys(entry).sort()).toEqual(['facts', 'gsi2pk', 'gsi2sk', 'ownerPk', 'ownerSk', 'pk', 'sk']);
    expect(entry).toMatchObject({ gsi2pk: 'ALERTS#2026-11-01', gsi2sk: '2026-11-01T23:59:59.000Z#x', ownerPk: 'EVENT#x' });
    expect(entry.facts).toEqual({
      category: 'BUCKET_ERROR',
      severity: 'HIGH',
      eventType: 'BUCKET_ACCESS_DENIED',
      count: 1,
      sample: false,
      accountId: '123456789012',
      affected: [{ kind: 'bucket', items: ['a', 'b', 'c'], total: 9 }],
    });
    h.clock.set('2026-11-02T00:00:05.000Z');
    await deliverPending(deliveryDeps(h.deps), [{ owner: keys.event('x'), alertIds: ['x'] }]);
    expect((await h.store.get(keys.alert('x')))?.status).toBe('SENT');
    expect(await indexed()).toEqual([entry]);
  });

  test('lists a run once it ended, under the day it ended, and an open run nowhere', async () => {
    const ended = RunCodec.encode(endedRun('j', '2026-11-01T10:00:00.000Z', '2026-11-02T00:30:00.000Z'));
    expect(ended).toMatchObject({ gsi2pk: 'RUNS_ENDED#2026-11-02', gsi2sk: `2026-11-02T00:30:00.000Z#JOB#j#RUN#2026-11-01T10:00:00.000Z` });
    const open = RunCodec.encode(endedRun('j', '2026-11-01T10:00:00.000Z', '2026-11-02T00:30:00.000Z', { status: 'RUNNING', endedAt: undefined }));
    expect(open.gsi2pk).toBeUndefined();
    // Macie's microsecond times are written as toISOString writes them, so the day and order are right.
    expect(RunCodec.encode(endedRun('j', 'r', '2026-11-02T00:30:00.123456Z')).gsi2sk).toMatch(/^2026-11-02T00:30:00\.123Z#/);
    // An end that reached the pipeline later is listed where it arrived; one stamped after it arrived, where it ended.
    const arrivedLate = RunCodec.encode(endedRun('j', '2026-11-01T10:00:00.000Z', '2026-11-02T00:30:00.000Z', { endArrivedAt: '2026-11-03T02:00:00.000Z' }));
    expect(arrivedLate).toMatchObject({ gsi2pk: 'RUNS_ENDED#2026-11-03', gsi2sk: `2026-11-03T02:00:00.000Z#JOB#j#RUN#2026-11-01T10:00:00.000Z` });
    const skewed = RunCodec.encode(endedRun('j', '2026-11-01T10:00:00.000Z', '2026-11-02T00:30:00.000Z', { endArrivedAt: '2026-11-02T00:29:00.000Z' }));
    expect(skewed.gsi2sk).toBe(ended.gsi2sk);
  });
});

describe('an end that reaches the pipeline after the digest covering its time', () => {
  test('is in the next digest, told as reported late, and in no other', async () => {
    const h = await setup();
    const R = '2026-11-01T10:00:00.000Z';
    await logs(h, '2026-11-01T10:01:00.000Z', [jobEvent('backlogged', R, 'ONE_TIME_JOB_STARTED', R)]);
    h.clock.set(plus(END, DIGEST_SETTLE_MS));
    await sweep(h.deps);
    expect(detail(digestsOf(h.publisher)[0], 'Job runs')).toBe('1 in the window: 1 started, 0 completed, 0 cancelled, 0 paused, 1 still running at the end');

    // Its completion, an hour before that digest's end, reaches the pipeline an hour after the digest was sent.
    await logs(h, plus(END, HOUR), [jobEvent('backlogged', R, 'JOB_COMPLETED', plus(END, -HOUR))]);
    h.clock.set(plus(END, DAY_MS + DIGEST_SETTLE_MS));
    await sweep(h.deps);
    const next = digestsOf(h.publisher)[1];
    expect(next.headline).toBe(`Macie daily digest ${plus(END, DAY_MS).slice(0, 10)} 09:00 UTC: 1 run, 0 errors, 0 findings, 0 API-call alerts`);
    expect(detail(next, 'Job runs')).toBe(
      '1 in the window: 0 started, 1 completed, 0 cancelled, 0 paused, 0 still running at the end, 1 reported late (ended before the window)',
    );
    expect(detail(next, 'Reported late')).toBe(
      'ended before this window, reached this pipeline after the digest that covers their end: backlogged_job (COMPLETED 2026-11-02 08:00 UTC)',
    );

    h.clock.set(plus(END, 2 * DAY_MS + DIGEST_SETTLE_MS));
    await sweep(h.deps);
    const third = digestsOf(h.publisher)[2];
    expect(detail(third, 'Job runs')).toBe('none');
    expect(detail(third, 'Reported late')).toBeUndefined();
  });

  test('an end that arrives on time is told once, in the digest of its time, and not as late', async () => {
    const h = await setup();
    const R = '2026-11-01T10:00:00.000Z';
    await logs(h, '2026-11-01T10:01:00.000Z', [jobEvent('prompt', R, 'ONE_TIME_JOB_STARTED', R)]);
    await logs(h, plus(END, -HOUR + 60_000), [jobEvent('prompt', R, 'JOB_COMPLETED', plus(END, -HOUR))]);
    h.clock.set(plus(END, DIGEST_SETTLE_MS));
    await sweep(h.deps);
    h.clock.set(plus(END, DAY_MS + DIGEST_SETTLE_MS));
    await sweep(h.deps);
    const [first, second] = digestsOf(h.publisher);
    expect(detail(first, 'Job runs')).toBe('1 in the window: 1 started, 1 completed, 0 cancelled, 0 paused, 0 still running at the end');
    expect(detail(first, 'Reported late')).toBeUndefined();
    expect(detail(second, 'Job runs')).toBe('none');
  });
});
