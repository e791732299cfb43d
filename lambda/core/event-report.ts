import type { Alert } from './alert';
import type { Telemetry } from './telemetry';

/**
 * What happened to one SQS record (one EventBridge event), as the replay CLI prints it and the tests assert
 * (each outcome: docs/design-notes.md).
 */
export type EventOutcome = 'alerted' | 'grouped' | 'silenced' | 'duplicate' | 'ignored' | 'bad' | 'below-threshold' | 'failed' | 'held';

export interface RecordReport {
  readonly messageId: string;
  /** The EventBridge event id, when the record was one. */
  readonly eventId?: string;
  readonly outcome: EventOutcome;
  readonly reason?: string;
}

/** What one invocation did with its SQS batch; the handler returns only `batchItemFailures` to Lambda. */
export interface BatchReport {
  /** The records SQS must deliver again: exactly those whose aggregate could not be written. */
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
  /** One per record, in the batch's order. */
  readonly records: readonly RecordReport[];
  /** Alerts the batch's events created (published now or by whoever delivers the outbox next). */
  readonly created: readonly Alert[];
  /** Alerts this invocation published (a redelivery may publish alerts an earlier attempt created). */
  readonly published: readonly Alert[];
}

/** A malformed record: one warn line with its message id and the reason, one BadRecords count; never retried. */
export function badRecord(telemetry: Telemetry, ids: { messageId: string; eventId?: string }, reason: string, kind: string): RecordReport {
  telemetry.warn(`Malformed ${kind} record skipped`, { messageId: ids.messageId, eventId: ids.eventId, reason });
  telemetry.count('BadRecords');
  return { ...ids, outcome: 'bad', reason };
}

export interface DescribeIssuesOptions {
  /** Where the validated value sits in what was received: prefixed to every issue's path. */
  readonly path?: readonly PropertyKey[];
  /** How many issues are listed. */
  readonly max?: number;
  /** What an issue of the value as a whole is labelled with. */
  readonly rootLabel?: string;
  /** End with "; and N more" when issues were left out. */
  readonly countRest?: boolean;
}

/**
 * Zod issues as one short line for a bad-record log: "detail.severity: ...; detail.count: ...". The
 * defaults are the EventBridge pipelines' wording; the job-log decoder passes its own (see job-log/log-events.ts).
 */
export function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  { path = [], max = 5, rootLabel = '(event)', countRest = true }: DescribeIssuesOptions = {},
): string {
  const shown = issues.slice(0, max).map((i) => `${[...path, ...i.path].map(String).join('.') || rootLabel}: ${i.message}`);
  return countRest && issues.length > max ? `${shown.join('; ')}; and ${issues.length - max} more` : shown.join('; ');
}

/** A valid event the pipeline does not alert on: one info line, one EventsIgnored count. */
export function ignoredRecord(
  telemetry: Telemetry,
  ids: { messageId: string; eventId?: string },
  reason: string,
  fields: Record<string, unknown> = {},
): RecordReport {
  telemetry.info('Event ignored', { ...ids, reason, ...fields });
  telemetry.count('EventsIgnored');
  return { ...ids, outcome: 'ignored', reason };
}
