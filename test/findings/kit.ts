import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import type { Alert } from '../../lambda/core/alert';
import type { BatchReport, RecordReport } from '../../lambda/core/event-report';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { resolveSettings, type PipelineSettings } from '../../lambda/core/settings';
import type { StateStore } from '../../lambda/state/store';
import { keys } from '../../lambda/state/table';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { eventMessages, sqsEvent } from '../../src/local/sqs-queue';
import { freshStore } from '../support/dynamodb';

/** Shared by the findings and API-call suites: fixtures and pipeline deps on DynamoDB Local. */
export const FIXTURES = join(__dirname, '..', 'fixtures');

export function fixture<T = Record<string, any>>(path: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as T;
}

export interface TestDeps extends PipelineDeps {
  readonly store: StateStore;
  readonly publisher: RecordingPublisher;
  readonly telemetry: RecordingTelemetry;
}

export async function testDeps(settings: Partial<Record<keyof PipelineSettings, unknown>> = {}, extra: Partial<PipelineDeps> = {}): Promise<TestDeps> {
  return {
    // TTLs use the wall clock, as in Lambda: event times in fixtures are years old.
    store: await freshStore(),
    publisher: new RecordingPublisher(),
    settings: resolveSettings(settings),
    telemetry: new RecordingTelemetry(),
    region: 'us-east-1',
    now: () => new Date(),
    ...extra,
  } as TestDeps;
}

/** A deep copy with changes, so one fixture can stand for many events. */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The finding event with its EventBridge id, finding id, times and anything else replaced. */
export function findingEvent(base: Record<string, any>, changes: { eventId?: string; detail?: Record<string, any> } = {}): Record<string, any> {
  const event = clone(base);
  if (changes.eventId) event.id = changes.eventId;
  Object.assign(event.detail, changes.detail ?? {});
  return event;
}

/** The sensitive-data finding most tests vary: one job, bucket-a, Financial, High. */
export const SENSITIVE_BASE = fixture('findings/sensitive-Financial.json');
export const SENSITIVE_JOB_ID = SENSITIVE_BASE.detail.classificationDetails.jobId as string;

/** The job's current run, as the job-log pipeline records it (findings of the job go to that run's groups). */
export async function setCurrentRun(store: StateStore, runDate: string, jobId = SENSITIVE_JOB_ID): Promise<void> {
  await store.write([{ kind: 'put', item: { ...keys.job(jobId), currentRunDate: runDate, expiresAt: Math.floor(Date.now() / 1000) + 86400 } }]);
}

export const minutesAfter = (start: string, minutes: number) => new Date(Date.parse(start) + minutes * 60_000).toISOString();

/** Sensitive-data finding number n (event id event-n, finding id finding-n, object objects/n.csv) of the base job. */
export function sensitiveFinding(
  n: number,
  opts: { bucket?: string; type?: string; at?: string; severity?: 'Low' | 'Medium' | 'High'; sample?: boolean } = {},
): Record<string, any> {
  const bucket = opts.bucket ?? 'bucket-a';
  const at = opts.at ?? '2024-04-14T17:11:30.000Z';
  const severity = opts.severity ?? 'High';
  const event = findingEvent(SENSITIVE_BASE, {
    eventId: `event-${n}`,
    detail: {
      id: `finding-${n}`,
      type: opts.type ?? SENSITIVE_BASE.detail.type,
      createdAt: at,
      updatedAt: at,
      severity: { score: { Low: 1, Medium: 2, High: 3 }[severity], description: severity },
      sample: opts.sample ?? false,
    },
  });
  event.detail.resourcesAffected.s3Bucket.name = bucket;
  event.detail.resourcesAffected.s3Object.key = `objects/${n}.csv`;
  return event;
}

/** A CloudTrail record as EventBridge delivers it (detail-type "AWS API Call via CloudTrail", source aws.macie2). */
export function cloudTrailEvent(record: Record<string, any>, eventBridgeId = `eb-${record.eventID}`): Record<string, any> {
  return {
    version: '0',
    id: eventBridgeId,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.macie2',
    account: record.recipientAccountId,
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  };
}

/** The events as one SQS batch, in order (a string is a body as it is). */
export function sqsBatch(events: readonly unknown[]): SQSEvent {
  return sqsEvent(eventMessages(events));
}

export type BatchPipeline = (batch: unknown, deps: PipelineDeps) => Promise<BatchReport>;

/**
 * One event delivered alone, in a batch of one (the same event gets the same message id again, as a
 * redelivery does): its record's outcome and reason, and what the invocation created and published.
 */
export async function deliverOne(
  pipeline: BatchPipeline,
  event: unknown,
  deps: PipelineDeps,
): Promise<RecordReport & { published: readonly Alert[]; created: readonly Alert[] }> {
  const report = await pipeline(sqsBatch([event]), deps);
  return { ...report.records[0], published: report.published, created: report.created };
}
