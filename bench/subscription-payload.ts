import type { CloudWatchLogsEvent } from 'aws-lambda';
import { MACIE_JOB_LOG_GROUP } from '../lambda/core/links';
import { encodeSubscriptionEvent } from '../src/local/cloudwatch-payload';

export { logEventId } from '../src/local/cloudwatch-payload';

export interface LogEventInput {
  readonly id: string;
  readonly timestamp: number;
  /** The Macie job log event, serialised as Macie writes it: one JSON object per log event. */
  readonly message: string;
}

/** The DATA_MESSAGE CloudWatch Logs delivers for one batch of one job's stream, encoded as Lambda receives it. */
export function subscriptionEvent(owner: string, logStream: string, logEvents: readonly LogEventInput[]): CloudWatchLogsEvent {
  return encodeSubscriptionEvent({
    messageType: 'DATA_MESSAGE',
    owner,
    logGroup: MACIE_JOB_LOG_GROUP,
    logStream,
    subscriptionFilters: ['MacieAlerts-JobLogs'],
    logEvents: [...logEvents],
  });
}
