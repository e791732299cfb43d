import { gzipSync } from 'node:zlib';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { MACIE_JOB_LOG_GROUP } from '../lambda/links';

/**
 * Builds a CloudWatch Logs subscription event exactly as Lambda receives it: the DATA_MESSAGE JSON,
 * gzipped, base64-encoded, under awslogs.data. The bench encodes its own (rather than importing the test
 * helper) so that it never depends on test code.
 */

export interface LogEventInput {
  readonly id: string;
  readonly timestamp: number;
  /** The Macie job log event, serialised as Macie writes it: one JSON object per log event. */
  readonly message: string;
}

export function subscriptionEvent(owner: string, logStream: string, logEvents: readonly LogEventInput[]): CloudWatchLogsEvent {
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner,
    logGroup: MACIE_JOB_LOG_GROUP,
    logStream,
    subscriptionFilters: ['MacieAlerts-JobLogs'],
    logEvents,
  };
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString('base64') } };
}

/**
 * CloudWatch Logs event ids are 56-digit decimal strings, unique per event; the bench derives them from the
 * timestamp and a sequence number so that a replayed batch carries the same ids (as a redelivery does).
 */
export function logEventId(timestampMs: number, sequence: number): string {
  return `${String(timestampMs).padStart(16, '0')}${String(sequence).padStart(40, '0')}`;
}
