import type { CloudWatchLogsEvent, Context } from 'aws-lambda';
import { processSubscriptionEvent, type JobLogReport } from '../job-log/pipeline';
import { createRuntime, forInvocation } from './runtime';
import { runSelfTest, selfTestRequestOf, type SelfTestReport } from './self-test';

const runtime = createRuntime('job-log');

export const handler = async (event: CloudWatchLogsEvent, context: Context): Promise<JobLogReport | SelfTestReport> => {
  try {
    const selfTest = selfTestRequestOf(event);
    if (selfTest !== undefined) return await runSelfTest('job-log', selfTest, forInvocation(runtime, context));
    return await processSubscriptionEvent(event, forInvocation(runtime, context));
  } finally {
    runtime.telemetry.flush();
  }
};
