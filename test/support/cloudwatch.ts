import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent, CloudWatchLogsLogEvent } from 'aws-lambda';
import { MACIE_JOB_LOG_GROUP } from '../../lambda/core/links';
import { encodeSubscriptionEvent, logEventId as logEventIdOf } from '../../src/local/cloudwatch-payload';

/**
 * Real CloudWatch Logs subscription events for tests: the payload gzip-compressed and base64-encoded exactly
 * as CloudWatch Logs delivers it to Lambda, so the handler's decoding is exercised, not bypassed.
 */

let sequence = 0;

/** A CloudWatch-style log event id: a long decimal string, unique per call (or chosen with `id`). */
export function logEventId(timestamp: number): string {
  sequence++;
  return logEventIdOf(timestamp, sequence);
}

/** One log event; objects are JSON-encoded, strings are used as they are (to build bad records). */
export function logEvent(message: unknown, opts: { id?: string; timestamp?: number } = {}): CloudWatchLogsLogEvent {
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  const occurred =
    typeof message === 'object' && message && 'occurredAt' in message ? Date.parse(String((message as { occurredAt: unknown }).occurredAt)) : NaN;
  const timestamp = opts.timestamp ?? (Number.isFinite(occurred) ? occurred : Date.parse('2024-04-14T17:00:00Z'));
  return { id: opts.id ?? logEventId(timestamp), timestamp, message: text };
}

export interface PayloadOptions {
  readonly logStream?: string;
  readonly logGroup?: string;
  readonly owner?: string;
  readonly messageType?: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  readonly subscriptionFilters?: string[];
}

/** The decoded payload for log events of one stream (Macie names the stream after the job id). */
export function logsPayload(events: readonly CloudWatchLogsLogEvent[], opts: PayloadOptions = {}): CloudWatchLogsDecodedData {
  const firstJobId = (() => {
    try {
      return String((JSON.parse(events[0]?.message ?? '{}') as { jobId?: unknown }).jobId ?? 'job');
    } catch {
      return 'job';
    }
  })();
  return {
    messageType: opts.messageType ?? 'DATA_MESSAGE',
    owner: opts.owner ?? '123456789012',
    logGroup: opts.logGroup ?? MACIE_JOB_LOG_GROUP,
    logStream: opts.logStream ?? firstJobId,
    subscriptionFilters: opts.subscriptionFilters ?? ['macie-alerts-job-log'],
    logEvents: [...events],
  };
}

/** `{awslogs: {data: base64(gzip(JSON))}}`, as Lambda receives it (a string is encoded as it is). */
export const subscriptionEvent = encodeSubscriptionEvent;

/** Shorthand: messages (Macie events or raw strings) -> a subscription event of one stream. */
export function subscriptionEventOf(messages: readonly unknown[], opts: PayloadOptions = {}): CloudWatchLogsEvent {
  return subscriptionEvent(
    logsPayload(
      messages.map((m) => logEvent(m)),
      opts,
    ),
  );
}

/** The reachability check CloudWatch Logs sends when a subscription filter is created. */
export function controlMessageEvent(): CloudWatchLogsEvent {
  return subscriptionEvent(
    logsPayload([logEvent('CWL CONTROL MESSAGE: Checking health of destination Lambda function.', { timestamp: Date.now() })], {
      messageType: 'CONTROL_MESSAGE',
      logStream: '',
      owner: 'CloudwatchLogs',
      subscriptionFilters: [],
    }),
  );
}

/** Splits log events into consecutive batches of at most `size` (how CloudWatch delivers a busy stream). */
export function inBatches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
