import { gunzipSync } from 'node:zlib';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import type { Invocation } from './scenarios';

/**
 * The decode floor: the work no design can skip. A log delivery must be base64-decoded, gunzipped and
 * parsed, and each Macie message in it parsed again; an SQS batch must be parsed (the Lambda runtime does
 * it before the handler) and each record's body, the EventBridge event, parsed again. Returns how many events
 * it decoded so the work cannot be optimised away and the caller can check it saw the whole scenario.
 */
export function decodeFloor(invocation: Invocation): number {
  if (invocation.kind === 'findings') {
    const batch = JSON.parse(invocation.raw) as { Records: { body: string }[] };
    let decoded = 0;
    for (const record of batch.Records) if ((JSON.parse(record.body) as { detail?: unknown }).detail) decoded++;
    return decoded;
  }
  return decodeLogs(invocation.event).decoded;
}

/** One subscription delivery decoded as the floor decodes it; the I/O floor keys its state by the stream. */
export function decodeLogs(event: CloudWatchLogsEvent): { logStream: string; decoded: number } {
  const payload = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8')) as {
    logStream: string;
    logEvents: { message: string }[];
  };
  let decoded = 0;
  for (const logEvent of payload.logEvents) {
    const message = JSON.parse(logEvent.message) as { eventType?: unknown };
    if (message.eventType) decoded++;
  }
  return { logStream: payload.logStream, decoded };
}
