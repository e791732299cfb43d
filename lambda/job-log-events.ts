import { CloudWatchLogsSchema } from '@aws-lambda-powertools/parser/schemas';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import { z } from 'zod';

/**
 * Macie job log events: the log group /aws/macie/classificationjobs, one stream per job, one JSON object per
 * log event. Decoding is split in two on purpose:
 *   - the subscription envelope (base64 + gzip + CloudWatch payload) is all-or-nothing: a payload that does
 *     not decode cannot be fixed by a retry, so it is reported once and dropped (decodeSubscriptionEvent);
 *   - each log event is validated on its own (parseJobLogEvent): Powertools' CloudWatchEnvelope would fail the
 *     whole batch for one bad message, losing the good events next to it, so the per-event schema runs with
 *     safeParse per record instead.
 */

/** An ISO 8601 date-time, with or without sub-second digits (Macie writes microseconds), Z or an offset. */
const isoDateTime = z.iso.datetime({ offset: true });

/**
 * Event types become DynamoDB map keys and parts of alert ids, so they are restricted to what Macie uses
 * (UPPER_SNAKE_CASE) with some slack for future types; an unknown type that fits is classified UNKNOWN_EVENT.
 */
const eventTypeText = z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/, 'eventType must be a short identifier (letters, digits, _ . : -)');

/** Optional fields may come as null from other producers: treat null as absent. */
const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .nullish()
    .transform((v) => v ?? undefined);

export const JobLogEventSchema = z
  .object({
    adminAccountId: z.string().min(1).max(64),
    jobId: z.string().min(1).max(128).regex(/^[^\s#]+$/, 'jobId must not contain spaces or #'),
    eventType: eventTypeText,
    occurredAt: isoDateTime,
    description: z.string().max(4096),
    jobName: z.string().max(1024),
    affectedAccount: optionalText(64),
    affectedResource: z
      .object({ type: z.string().max(256), value: z.string().max(1024) })
      .loose()
      .nullish()
      .transform((v) => (v ? { type: v.type, value: v.value } : undefined)),
    operation: optionalText(256),
    runDate: isoDateTime.nullish().transform((v) => v ?? undefined),
  })
  // Macie may add fields: they are allowed and ignored, never a reason to reject an event.
  .loose();

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

export type ParseResult = { ok: true; event: JobLogEvent } | { ok: false; reason: string };

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
  const parsed = JobLogEventSchema.safeParse(json);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason };
  }
  const e = parsed.data;
  const event: JobLogEvent = {
    adminAccountId: e.adminAccountId,
    jobId: e.jobId,
    eventType: e.eventType,
    occurredAt: e.occurredAt,
    description: e.description,
    jobName: e.jobName,
    ...(e.affectedAccount !== undefined ? { affectedAccount: e.affectedAccount } : {}),
    ...(e.affectedResource !== undefined ? { affectedResource: e.affectedResource } : {}),
    ...(e.operation !== undefined ? { operation: e.operation } : {}),
    ...(e.runDate !== undefined ? { runDate: e.runDate } : {}),
  };
  return { ok: true, event };
}

export type DecodeResult = { ok: true; payload: CloudWatchLogsDecodedData } | { ok: false; reason: string; rawSample: string };

/** `{awslogs: {data}}` -> the CloudWatch Logs payload (Powertools' schema does base64 + gunzip + shape). */
export function decodeSubscriptionEvent(event: CloudWatchLogsEvent): DecodeResult {
  const parsed = CloudWatchLogsSchema.safeParse(event);
  if (parsed.success) return { ok: true, payload: parsed.data.awslogs.data as CloudWatchLogsDecodedData };
  const raw = (event as { awslogs?: { data?: unknown } } | undefined)?.awslogs?.data;
  return {
    ok: false,
    reason: parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; '),
    // The first KB is enough to tell a truncated upload from a wrong producer, without logging megabytes.
    rawSample: typeof raw === 'string' ? raw.slice(0, 1024) : JSON.stringify(event ?? null)?.slice(0, 1024) ?? '',
  };
}

/** Orders ISO date-times by instant (offsets differ, digits differ), then by text so the order is total. */
export function compareIso(a: string, b: string): number {
  const d = Date.parse(a) - Date.parse(b);
  if (d !== 0 && Number.isFinite(d)) return d < 0 ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxIso(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareIso(a, b) >= 0 ? a : b;
}

export function minIso(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareIso(a, b) <= 0 ? a : b;
}
