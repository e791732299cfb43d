import { createHash } from 'node:crypto';
import { MACIE_JOB_LOG_GROUP } from '../../lambda/core/links';

/** Job log events as a CloudWatch Logs subscription delivers them: the payloads the replay builds from bare events. */

export interface LogEvent {
  readonly id: string;
  readonly timestamp: number;
  readonly message: string;
}

/** A decoded CloudWatch Logs subscription payload (what `awslogs.data` holds once un-gzipped). */
export interface LogsPayload {
  readonly messageType: string;
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  readonly logEvents: readonly LogEvent[];
}

/** What the replay puts in subscriptionFilters of the payloads it builds, so they are recognisable. */
export const REPLAY_FILTER_NAME = 'macie-alerts-replay';
/**
 * Job log events without their subscription payload (filter-log-events output, bare events) are cut into the
 * batches a subscription would have delivered: per stream, at most this many log events, and never across a
 * pause longer than BATCH_GAP_MS (a subscription delivers within seconds, so a pause and its resume days
 * later are never one batch).
 */
export const MAX_EVENTS_PER_PAYLOAD = 100;
export const BATCH_GAP_MS = 60_000;

/** One job log event on its way into a payload: its stream, the log group's owner, and what it came from. */
export interface StreamEntry<T> {
  readonly logStream: string;
  readonly owner: string;
  readonly logEvent: LogEvent;
  readonly item: T;
}

/** CloudWatch Logs event ids are 56 decimal digits; this one is a hash of the message, so it is stable. */
export function syntheticLogEventId(message: string): string {
  const digest = createHash('sha256').update(message).digest('hex');
  return BigInt(`0x${digest}`).toString().padStart(56, '0').slice(-56);
}

/**
 * Log events as a subscription delivers them: per stream (in the order streams first appear), in batches cut
 * by subscriptionBatches. The owner of a stream's payloads is that of its first event.
 */
export function subscriptionPayloads<T>(entries: readonly StreamEntry<T>[]): { payload: LogsPayload; items: T[] }[] {
  const byStream = new Map<string, StreamEntry<T>[]>();
  for (const entry of entries) {
    const list = byStream.get(entry.logStream) ?? [];
    list.push(entry);
    byStream.set(entry.logStream, list);
  }
  const payloads: { payload: LogsPayload; items: T[] }[] = [];
  for (const [logStream, list] of byStream) {
    for (const batch of subscriptionBatches(list)) {
      payloads.push({
        payload: {
          messageType: 'DATA_MESSAGE',
          owner: list[0].owner,
          logGroup: MACIE_JOB_LOG_GROUP,
          logStream,
          subscriptionFilters: [REPLAY_FILTER_NAME],
          logEvents: batch.map((e) => e.logEvent),
        },
        items: batch.map((e) => e.item),
      });
    }
  }
  return payloads;
}

function subscriptionBatches<E extends { readonly logEvent: LogEvent }>(entries: readonly E[]): E[][] {
  const batches: E[][] = [];
  let current: E[] = [];
  for (const e of entries) {
    const previous = current[current.length - 1];
    if (current.length >= MAX_EVENTS_PER_PAYLOAD || (previous && Math.abs(e.logEvent.timestamp - previous.logEvent.timestamp) > BATCH_GAP_MS)) {
      batches.push(current);
      current = [];
    }
    current.push(e);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The admin account that owns the log group: the event's adminAccountId, when the message is a Macie event. */
export function ownerOf(message: string): string {
  try {
    const parsed = JSON.parse(message) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { adminAccountId?: unknown }).adminAccountId === 'string') {
      return (parsed as { adminAccountId: string }).adminAccountId;
    }
  } catch {
    // Not JSON: the pipeline reports it as a bad record; the owner is only cosmetic.
  }
  return '000000000000';
}
