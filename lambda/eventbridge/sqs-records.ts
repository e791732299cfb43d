import * as z from 'zod/mini';
import { badRecord, describeIssues, type RecordReport } from '../core/event-report';
import type { Telemetry } from '../core/telemetry';
import { EventBridgeEnvelopeShape } from './envelope';

/**
 * EventBridge events as they arrive through SQS. A record that is not a valid expected event is bad: one warn line,
 * one BadRecords count, never retried (a retry cannot fix it); the rest of the batch goes on.
 */
export interface ExpectedEvents<T> {
  /** What the records are, for log lines ("finding", "API call"). */
  readonly kind: string;
  readonly source: string;
  readonly detailType: string;
  /** The whole event: envelope and detail. */
  readonly schema: z.ZodMiniType<T>;
}

export interface DecodedRecord<T> {
  readonly messageId: string;
  readonly event: T;
}

/** Every record of the batch, in order: decoded, or the report of a bad one (already logged and counted). */
export type DecodedBatch<T> = (DecodedRecord<T> | RecordReport)[];

const EnvelopeSchema = z.object(EventBridgeEnvelopeShape);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function decodeRecords<T extends { readonly id: string; readonly source: string; readonly 'detail-type': string }>(
  batch: unknown,
  expected: ExpectedEvents<T>,
  telemetry: Telemetry,
): DecodedBatch<T> {
  const records = isObject(batch) && Array.isArray(batch.Records) ? batch.Records : undefined;
  if (!records) {
    // Not an SQS event at all (an invocation by hand, a misrouted trigger): nothing to report per record.
    telemetry.error(`Not an SQS batch: no ${expected.kind} records to process`, { keys: isObject(batch) ? Object.keys(batch).slice(0, 10) : typeof batch });
    telemetry.count('BadBatches');
    return [];
  }
  return records.map((record: unknown, index): DecodedRecord<T> | RecordReport => {
    const id = isObject(record) ? record.messageId : undefined;
    // Lambda always sets both; without a message id a record could not even be listed for a retry.
    const messageId = typeof id === 'string' && id !== '' ? id : `#${index}`;
    const body = isObject(record) ? record.body : undefined;
    const outcome =
      messageId !== id ? { reason: 'record has no messageId' } : typeof body === 'string' ? decodeBody(body, expected) : { reason: 'record has no body' };
    if ('event' in outcome) return { messageId, event: outcome.event };
    return badRecord(telemetry, { messageId, eventId: 'eventId' in outcome ? outcome.eventId : undefined }, outcome.reason, expected.kind);
  });
}

function decodeBody<T extends { readonly source: string; readonly 'detail-type': string }>(
  body: string,
  expected: ExpectedEvents<T>,
): { event: T } | { reason: string; eventId?: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { reason: `body is not JSON (${(error as Error).message}; ${body.length} characters)` };
  }
  const parsed = expected.schema.safeParse(json);
  if (parsed.success && parsed.data.source === expected.source && parsed.data['detail-type'] === expected.detailType) return { event: parsed.data };
  // Why it is not the expected event, from the outside in: not an event at all, another source or
  // detail-type, or an event of the right kind with a detail this version cannot read.
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) return { reason: `not an EventBridge event: ${describeIssues(envelope.error.issues)}`, eventId: idOf(json) };
  const { id: eventId, source, 'detail-type': detailType } = envelope.data;
  if (source !== expected.source) return { reason: `source "${source}" is not "${expected.source}"`, eventId };
  if (detailType !== expected.detailType) return { reason: `detail-type "${detailType}" is not "${expected.detailType}"`, eventId };
  return { reason: parsed.success ? 'unreadable event' : describeIssues(parsed.error.issues), eventId };
}

function idOf(json: unknown): string | undefined {
  return isObject(json) && typeof json.id === 'string' ? json.id : undefined;
}
