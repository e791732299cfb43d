import type { Alert } from '../../lambda/core/alert';
import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processSubscriptionEvent, type JobLogReport } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings';
import type { StateStore } from '../../lambda/state/store';
import { keys } from '../../lambda/state/table';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { deliverOne, type BatchPipeline } from '../findings/kit';
import { freshStore } from '../support/dynamodb';
import { FaultyPublisher } from '../support/faults';
import { GLUED_URL, apiCallCorpus, findingCorpus, jobLogCorpus, type EventCase } from './hostile-corpus';
import { renderingProblems } from './render-checks';

/**
 * The hostile corpus: 620 generated cases (seeded, so a failing case can be replayed by its name), run through
 * the real pipelines on DynamoDB Local. Failures are collected per case and reported together, so one run
 * shows every case that misbehaves, not only the first.
 */
const SEED = 20241114;
const now = new Date(); // TTLs are wall-clock: the store must not see these items as expired

function deps(store: StateStore, publisher: FaultyPublisher): PipelineDeps & { telemetry: RecordingTelemetry } {
  return { store, publisher, settings: DEFAULT_SETTINGS, telemetry: new RecordingTelemetry(), region: 'us-east-1', now: () => now };
}

const published: Alert[] = [];
const JOB_LOG_CASES = 400;
const FINDING_CASES = 120;
const API_CALL_CASES = 100;

afterAll(() => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test('the corpus is deterministic and large enough', () => {
  const names = (seed: number, n: number) => [...jobLogCorpus(seed, n), ...findingCorpus(seed, n), ...apiCallCorpus(seed, n)].map((c) => c.name);
  expect(names(SEED, 40)).toEqual(names(SEED, 40));
  expect(names(SEED, 40)).not.toEqual(names(SEED + 1, 40));
  expect(JOB_LOG_CASES + FINDING_CASES + API_CALL_CASES).toBeGreaterThanOrEqual(500);
});

test('job log batches: no batch crashes, valid events around bad ones are applied, one warn line per bad record', async () => {
  const store = await freshStore(() => now);
  const publisher = new FaultyPublisher();
  const failures: string[] = [];
  const corpus = jobLogCorpus(SEED, JOB_LOG_CASES);
  expect(corpus.filter((c) => c.badEnvelope).length).toBeGreaterThan(20);
  expect(corpus.reduce((n, c) => n + c.badIds.length, 0)).toBeGreaterThan(300);
  for (const c of corpus) {
    const d = deps(store, publisher);
    let report: JobLogReport;
    try {
      report = await processSubscriptionEvent(c.event, d);
    } catch (error) {
      failures.push(`${c.name}: threw ${String(error)}`);
      continue;
    }
    const warnLines = d.telemetry.lines.filter((l) => l.level !== 'info');
    if (c.badEnvelope) {
      if (!report.badBatch) failures.push(`${c.name}: not reported as a bad batch`);
      if (warnLines.length !== 1 || typeof warnLines[0].fields.reason !== 'string')
        failures.push(`${c.name}: expected one error line with a reason, got ${warnLines.length}`);
      if (d.telemetry.counters.BadBatches !== 1) failures.push(`${c.name}: BadBatches not counted`);
      continue;
    }
    const badLines = warnLines.filter((l) => l.message === 'bad job log event');
    const loggedIds = badLines.map((l) => l.fields.logEventId).sort();
    if (JSON.stringify(loggedIds) !== JSON.stringify([...c.badIds].sort()))
      failures.push(`${c.name}: bad lines name ${JSON.stringify(loggedIds)}, expected ${JSON.stringify(c.badIds)}`);
    if (badLines.some((l) => typeof l.fields.reason !== 'string' || !l.fields.reason)) failures.push(`${c.name}: a bad line has no reason`);
    if (warnLines.length !== badLines.length) failures.push(`${c.name}: unexpected warn/error lines: ${warnLines.map((l) => l.message).join('; ')}`);
    if ((d.telemetry.counters.BadRecords ?? 0) !== c.badIds.length)
      failures.push(`${c.name}: BadRecords ${d.telemetry.counters.BadRecords}, expected ${c.badIds.length}`);
    for (const l of badLines)
      if (JSON.stringify(l).length > 4096)
        failures.push(`${c.name}: a bad-record log line is ${JSON.stringify(l).length} chars (a 1 MB message must not be logged whole)`);

    const run = await store.get(keys.run(c.jobId, c.runDate));
    const validEvents = c.expectBucketsMatched + c.expectErrorEvents;
    if (validEvents === 0) {
      if (run) failures.push(`${c.name}: a run was written without valid events`);
      continue;
    }
    if (!run) {
      failures.push(`${c.name}: valid events lost (no run item)`);
      continue;
    }
    const groups = (run.groups ?? {}) as Record<string, { count: number }>;
    const errorCount = Object.values(groups).reduce((s, g) => s + g.count, 0);
    if (run.bucketsMatched !== c.expectBucketsMatched) failures.push(`${c.name}: bucketsMatched ${run.bucketsMatched}, expected ${c.expectBucketsMatched}`);
    if (errorCount !== c.expectErrorEvents) failures.push(`${c.name}: ${errorCount} error events counted, expected ${c.expectErrorEvents}`);
    if (c.expectAlerts && report.published.length === 0) failures.push(`${c.name}: no alert for its errors`);
  }
  published.push(...publisher.delivered);
  expect(failures).toEqual([]);
}, 300_000);

async function runEventCorpus(kind: string, corpus: EventCase[], pipeline: BatchPipeline) {
  const store = await freshStore(() => now);
  const publisher = new FaultyPublisher();
  const failures: string[] = [];
  for (const c of corpus) {
    const d = deps(store, publisher);
    let report: Awaited<ReturnType<typeof deliverOne>>;
    try {
      report = await deliverOne(pipeline, c.event, d);
    } catch (error) {
      failures.push(`${c.name}: threw ${String(error)}`);
      continue;
    }
    const warnLines = d.telemetry.lines.filter((l) => l.level !== 'info');
    if (report.outcome === 'bad') {
      if (warnLines.length !== 1) failures.push(`${c.name}: ${warnLines.length} warn lines for one bad event`);
      else {
        if (warnLines[0].fields.eventId !== c.eventId)
          failures.push(`${c.name}: warn line names ${String(warnLines[0].fields.eventId)}, expected ${String(c.eventId)}`);
        if (typeof warnLines[0].fields.reason !== 'string' || !warnLines[0].fields.reason) failures.push(`${c.name}: warn line has no reason`);
      }
      if (d.telemetry.counters.BadRecords !== 1) failures.push(`${c.name}: BadRecords not counted`);
    } else if (c.mustBeBad) {
      failures.push(`${c.name}: accepted (${report.outcome}), expected rejected`);
    }
    if (!c.mustBeBad && report.outcome === 'bad') failures.push(`${c.name}: a valid hostile ${kind} was rejected: ${report.reason}`);
  }
  published.push(...publisher.delivered);
  return { failures, publisher };
}

test('finding events: none crashes, malformed ones are rejected with one warn line each, hostile valid ones alert', async () => {
  const corpus = findingCorpus(SEED, FINDING_CASES);
  const { failures, publisher } = await runEventCorpus('finding', corpus, processFindingBatch);
  expect(failures).toEqual([]);
  expect(publisher.delivered.length).toBeGreaterThan(20);
});

test('API call events: none crashes, malformed ones are rejected with one warn line each, hostile valid ones alert', async () => {
  const corpus = apiCallCorpus(SEED, API_CALL_CASES);
  const { failures, publisher } = await runEventCorpus('API call', corpus, processApiCallBatch);
  expect(failures).toEqual([]);
  expect(publisher.delivered.length).toBeGreaterThan(20);
});

test('every alert the corpus produced renders safely in every channel (no control characters, no live markup, within limits)', () => {
  expect(published.length).toBeGreaterThan(200);
  const problems = published.flatMap((a) => renderingProblems(a));
  expect(problems.slice(0, 40)).toEqual([]);
}, 180_000);

// Found by this corpus: defangUrls once anchored on \b and missed a scheme glued to a word.
test('a URL inside a longer token ("My_Jobhttps://evil.example", "x)(https://evil.example") is defanged', () => {
  const glued = published.filter((a) => JSON.stringify(a).includes('evil.example'));
  expect(glued.length).toBeGreaterThan(0);
  const problems = glued.flatMap((a) => renderingProblems(a).filter((p) => p.includes(GLUED_URL.source)));
  expect(problems).toEqual([]);
}, 180_000);

// Found by this corpus: a name over DynamoDB's key size once threw ValidationException (retried, then
// dead-lettered); state/table.ts now bounds every key part taken from an event.
test('a finding whose bucket name exceeds a DynamoDB key (2,000 chars) is handled without throwing', async () => {
  const [base] = findingCorpus(SEED, 40).filter((c) => !c.mustBeBad && JSON.stringify(c.event).includes('SensitiveData:S3Object'));
  const event = JSON.parse(JSON.stringify(base.event)) as { detail: { resourcesAffected: { s3Bucket: { name: string } } } };
  event.detail.resourcesAffected.s3Bucket.name = 'b'.repeat(2000);
  const store = await freshStore(() => now);
  const publisher = new FaultyPublisher();
  const report = await deliverOne(processFindingBatch, event, deps(store, publisher));
  expect(report.outcome).toBe('alerted');
  expect(report.published).toHaveLength(1);
  // The redelivery finds the same (bounded) keys: a duplicate, not a second alert.
  const again = await deliverOne(processFindingBatch, event, deps(store, publisher));
  expect(again.outcome).toBe('duplicate');
  expect(again.published).toEqual([]);
});
