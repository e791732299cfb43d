import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processHealthBatch } from '../health/pipeline';
import { createRuntime, forInvocation } from './runtime';
import { runSelfTest, selfTestRequestOf, type SelfTestReport } from './self-test';

const runtime = createRuntime('health');

/** The Health queue's event source mapping (ReportBatchItemFailures): only records not written, or whose alerts SNS refused, come back. */
export const handler = async (event: SQSEvent, context?: { getRemainingTimeInMillis(): number }): Promise<SQSBatchResponse & Partial<SelfTestReport>> => {
  try {
    const selfTest = selfTestRequestOf(event);
    if (selfTest !== undefined) return { batchItemFailures: [], ...(await runSelfTest('health', selfTest, forInvocation(runtime, context))) };
    const { batchItemFailures } = await processHealthBatch(event, forInvocation(runtime, context));
    return { batchItemFailures };
  } finally {
    runtime.telemetry.flush();
  }
};
