import { gzipSync } from 'node:zlib';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';

/**
 * CloudWatch Logs subscription events as Lambda receives them, for the tests and the bench: both feed the
 * job-log handler real encoded events so that its decoding is exercised, not bypassed. Here rather than in
 * test/support so that the bench does not depend on test code.
 */

/** `{awslogs: {data: base64(gzip(JSON))}}`. A string is encoded as it is, to build payloads that are not JSON. */
export function encodeSubscriptionEvent(payload: CloudWatchLogsDecodedData | string): CloudWatchLogsEvent {
  const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return { awslogs: { data: gzipSync(Buffer.from(json, 'utf8')).toString('base64') } };
}

/**
 * A CloudWatch-style log event id: 56 decimal digits, from the timestamp and a sequence number, so the same
 * (timestamp, sequence) always gives the same id (as a redelivered batch carries the same ids).
 */
export function logEventId(timestampMs: number, sequence: number): string {
  return `${String(timestampMs).padStart(16, '0')}${String(sequence).padStart(40, '0')}`;
}
