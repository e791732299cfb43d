import { gunzipSync } from 'node:zlib';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { describeIssues, type DescribeIssuesOptions } from '../core/event-report';
import { instantOf, type Instant } from '../core/iso-time';
import { classify, type Classification } from './event-types';

/**
 * Macie job log events (/aws/macie/classificationjobs, one JSON object per log event): the subscription envelope
 * decodes all or nothing, each log event is validated on its own, so one bad message never costs its neighbours.
 */

// zod/mini ships without messages (every issue reads "Invalid input"): the English locale gives the per-record
// reasons in the logs their detail ("Too small: expected string to have >=1 characters"). Idempotent, global.
z.config(en());

/** An ISO 8601 date-time, with or without sub-second digits (Macie writes microseconds), Z or an offset. */
const isoDateTime = z.iso.datetime({ offset: true });

/**
 * The patterns the schema checks, shared with the fast path below. A jobId is part of item keys ('#' separates
 * parts); event types become map keys and alert id parts, so they are restricted to Macie's form, with some slack.
 */
const JOB_ID = /^[^\s#]+$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/;
const ISO_DATE_TIME = isoDateTime._zod.def.pattern ?? isoDateTime._zod.pattern;

/** Optional fields may come as null from other producers: treat null as absent. */
const absentIfNull = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.nullish(schema),
    z.transform((v: z.output<T> | null | undefined) => v ?? undefined),
  );
const optionalText = (max: number) => absentIfNull(z.string().check(z.maxLength(max)));

/**
 * What a job log event must be: the schema decides every message the fast path (acceptedAsIs) does not, and words
 * every rejection. Fields Macie may add are allowed and ignored, never a reason to reject.
 */
export const JobLogEventSchema = z.looseObject({
  adminAccountId: z.string().check(z.minLength(1), z.maxLength(64)),
  jobId: z.string().check(z.minLength(1), z.maxLength(128), z.regex(JOB_ID, 'jobId must not contain spaces or #')),
  eventType: z.string().check(z.regex(EVENT_TYPE, 'eventType must be a short identifier (letters, digits, _ . : -)')),
  occurredAt: isoDateTime,
  description: z.string().check(z.maxLength(4096)),
  jobName: z.string().check(z.maxLength(1024)),
  affectedAccount: optionalText(64),
  affectedResource: z.pipe(
    z.nullish(z.looseObject({ type: z.string().check(z.maxLength(256)), value: z.string().check(z.maxLength(1024)) })),
    z.transform((v) => (v ? { type: v.type, value: v.value } : undefined)),
  ),
  operation: optionalText(256),
  runDate: absentIfNull(isoDateTime),
});

export interface JobLogEvent {
  readonly adminAccountId: string;
  readonly jobId: string;
  readonly eventType: string;
  readonly occurredAt: string;
  readonly description: string;
  readonly jobName: string;
  readonly affectedAccount?: string;
  readonly affectedResource?: { readonly type: string; readonly value: string };
  readonly operation?: string;
  readonly runDate?: string;
}

// The job-log pipeline's own wording of rejection reasons, kept so that log searches for them still match:
// "(root)" for the value as a whole, no "and N more"; the subscription envelope lists at most three issues.
const LOG_ISSUES: DescribeIssuesOptions = { rootLabel: '(root)', countRest: false };
const ENVELOPE_ISSUES: DescribeIssuesOptions = { ...LOG_ISSUES, max: 3 };

export type ParseResult = { ok: true; event: JobLogEvent } | { ok: false; reason: string };

/** A job log event as the pipeline handles it: what its type is and when it occurred are worked out here, once. */
export interface LogEvent {
  /** The CloudWatch Logs id: a log event delivered again has the same id. */
  readonly id: string;
  readonly event: JobLogEvent;
  readonly kind: Classification;
  /** occurredAt, with its instant. */
  readonly at: Instant;
}

export function toLogEvent(id: string, event: JobLogEvent): LogEvent {
  return { id, event, kind: classify(event.eventType), at: instantOf(event.occurredAt) };
}

const MAX_MESSAGE_CHARS = 64 * 1024;

/** One log event's message -> a Macie job event, or the reason it is not one (never throws). */
export function parseJobLogEvent(message: string): ParseResult {
  if (typeof message !== 'string') return { ok: false, reason: 'message is not a string' };
  if (message.length > MAX_MESSAGE_CHARS) return { ok: false, reason: `message longer than ${MAX_MESSAGE_CHARS} characters` };
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { ok: false, reason: 'message is not JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'message is not a JSON object' };
  const fast = acceptedAsIs(json as Record<string, unknown>);
  if (fast) return { ok: true, event: fast };
  const parsed = JobLogEventSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: describeIssues(parsed.error.issues, LOG_ISSUES) };
  }
  return { ok: true, event: jobLogEvent(parsed.data) };
}

/**
 * The schema's verdict without zod for messages that pass every check it makes, or undefined to let the schema
 * decide. It may only say yes where the schema does: lengths in UTF-16 units, never fewer than zod's code points.
 */
function acceptedAsIs(m: Record<string, unknown>): JobLogEvent | undefined {
  const { adminAccountId, jobId, eventType, occurredAt, description, jobName, affectedAccount, affectedResource, operation, runDate } = m;
  if (typeof adminAccountId !== 'string' || adminAccountId.length < 1 || adminAccountId.length > 64) return undefined;
  if (typeof jobId !== 'string' || jobId.length < 1 || jobId.length > 128 || !JOB_ID.test(jobId)) return undefined;
  if (typeof eventType !== 'string' || !EVENT_TYPE.test(eventType)) return undefined;
  if (typeof occurredAt !== 'string' || !ISO_DATE_TIME.test(occurredAt)) return undefined;
  if (typeof description !== 'string' || description.length > 4096) return undefined;
  if (typeof jobName !== 'string' || jobName.length > 1024) return undefined;
  if (!(affectedAccount == null || (typeof affectedAccount === 'string' && affectedAccount.length <= 64))) return undefined;
  if (!(operation == null || (typeof operation === 'string' && operation.length <= 256))) return undefined;
  if (!(runDate == null || (typeof runDate === 'string' && ISO_DATE_TIME.test(runDate)))) return undefined;
  let resource: JobLogEvent['affectedResource'];
  if (affectedResource != null) {
    if (typeof affectedResource !== 'object' || Array.isArray(affectedResource)) return undefined;
    const { type, value } = affectedResource as Record<string, unknown>;
    if (typeof type !== 'string' || type.length > 256 || typeof value !== 'string' || value.length > 1024) return undefined;
    resource = { type, value };
  }
  return jobLogEvent({
    adminAccountId,
    jobId,
    eventType,
    occurredAt,
    description,
    jobName,
    affectedAccount: affectedAccount ?? undefined,
    affectedResource: resource,
    operation: operation ?? undefined,
    runDate: runDate ?? undefined,
  });
}

/** The event with only the fields this version knows, absent ones left out (both paths build it here). */
function jobLogEvent(e: JobLogEvent): JobLogEvent {
  // Assigned one by one, not spread from temporaries: 10,000 events per storm.
  const out: { -readonly [K in keyof JobLogEvent]: JobLogEvent[K] } = {
    adminAccountId: e.adminAccountId,
    jobId: e.jobId,
    eventType: e.eventType,
    occurredAt: e.occurredAt,
    description: e.description,
    jobName: e.jobName,
  };
  if (e.affectedAccount !== undefined) out.affectedAccount = e.affectedAccount;
  if (e.affectedResource !== undefined) out.affectedResource = e.affectedResource;
  if (e.operation !== undefined) out.operation = e.operation;
  if (e.runDate !== undefined) out.runDate = e.runDate;
  return out;
}

export type DecodeResult = { ok: true; payload: CloudWatchLogsDecodedData } | { ok: false; reason: string; rawSample: string };

/** The decoded payload, as CloudWatch Logs documents it; unknown keys are dropped, an empty batch is not CloudWatch's. */
export const CloudWatchLogsPayloadSchema = z.object({
  messageType: z.string(),
  owner: z.string(),
  logGroup: z.string(),
  logStream: z.string(),
  subscriptionFilters: z.array(z.string()),
  logEvents: z.array(z.object({ id: z.string(), timestamp: z.number(), message: z.string() })).check(z.minLength(1)),
});

const SubscriptionEventSchema = z.object({ awslogs: z.object({ data: z.base64() }) });

/**
 * CloudWatch Logs delivers at most ~1 MB decoded per invocation; the cap stops a gzip bomb (a few KB that
 * inflate to gigabytes) from exhausting the function's memory before the schema could reject it.
 */
export const MAX_DECODED_BYTES = 8 * 1024 * 1024;

/** `{awslogs: {data}}` -> the CloudWatch Logs payload: base64 -> gunzip (capped) -> JSON -> shape. Never throws. */
export function decodeSubscriptionEvent(event: CloudWatchLogsEvent): DecodeResult {
  const fail = (reason: string): DecodeResult => {
    const raw = (event as { awslogs?: { data?: unknown } } | undefined)?.awslogs?.data;
    return {
      ok: false,
      reason,
      // The first KB is enough to tell a truncated upload from a wrong producer, without logging megabytes.
      rawSample: typeof raw === 'string' ? raw.slice(0, 1024) : (JSON.stringify(event ?? null)?.slice(0, 1024) ?? ''),
    };
  };
  const envelope = SubscriptionEventSchema.safeParse(event);
  if (!envelope.success) return fail(describeIssues(envelope.error.issues, ENVELOPE_ISSUES));
  let text: string;
  try {
    text = gunzipSync(Buffer.from(envelope.data.awslogs.data, 'base64'), { maxOutputLength: MAX_DECODED_BYTES }).toString('utf8');
  } catch (error) {
    const tooLarge = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
    return fail(
      tooLarge
        ? `awslogs.data: Failed to decompress CloudWatch log data (more than ${MAX_DECODED_BYTES} bytes decompressed)`
        : `awslogs.data: Failed to decompress CloudWatch log data (${(error as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('awslogs.data: decompressed CloudWatch log data is not JSON');
  }
  const fast = payloadAsIs(json);
  if (fast) return { ok: true, payload: fast };
  const payload = CloudWatchLogsPayloadSchema.safeParse(json);
  if (!payload.success) return fail(describeIssues(payload.error.issues, { ...ENVELOPE_ISSUES, path: ['awslogs', 'data'] }));
  return { ok: true, payload: payload.data as CloudWatchLogsDecodedData };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * CloudWatchLogsPayloadSchema's verdict without zod for a payload in CloudWatch's format (1,000 log events
 * in a storm batch): the payload as the schema outputs it (documented keys only), or undefined to let the
 * schema decide and word the reason. Says yes only where the schema does.
 */
function payloadAsIs(json: unknown): CloudWatchLogsDecodedData | undefined {
  if (!isRecord(json)) return undefined;
  const { messageType, owner, logGroup, logStream, subscriptionFilters, logEvents } = json;
  if (typeof messageType !== 'string' || typeof owner !== 'string' || typeof logGroup !== 'string' || typeof logStream !== 'string') return undefined;
  if (!Array.isArray(subscriptionFilters) || !subscriptionFilters.every((f) => typeof f === 'string')) return undefined;
  if (!Array.isArray(logEvents) || logEvents.length < 1) return undefined;
  const events: CloudWatchLogsDecodedData['logEvents'] = new Array(logEvents.length);
  for (let i = 0; i < logEvents.length; i++) {
    const e: unknown = logEvents[i];
    if (!isRecord(e)) return undefined;
    const { id, timestamp, message } = e;
    if (typeof id !== 'string' || typeof timestamp !== 'number' || !Number.isFinite(timestamp) || typeof message !== 'string') return undefined;
    events[i] = { id, timestamp, message };
  }
  return { messageType, owner, logGroup, logStream, subscriptionFilters: [...subscriptionFilters], logEvents: events };
}
