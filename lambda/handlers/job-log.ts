import type { CloudWatchLogsEvent, Context } from 'aws-lambda';
import { processSubscriptionEvent, type JobLogReport } from '../job-log/pipeline';
import { createRuntime, forInvocation } from './runtime';

const runtime = createRuntime('job-log');

export const handler = async (event: CloudWatchLogsEvent, context: Context): Promise<JobLogReport> => {
  try {
    return await processSubscriptionEvent(event, forInvocation(runtime, context));
  } finally {
    runtime.telemetry.flush();
  }
};
