import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processFindingBatch } from '../findings/pipeline';
import { createRuntime, forInvocation } from './runtime';

const runtime = createRuntime('findings');

/** The findings queue's event source mapping (ReportBatchItemFailures): only unwritten records come back. */
export const handler = async (event: SQSEvent, context?: { getRemainingTimeInMillis(): number }): Promise<SQSBatchResponse> => {
  try {
    const { batchItemFailures } = await processFindingBatch(event, forInvocation(runtime, context));
    return { batchItemFailures };
  } finally {
    runtime.telemetry.flush();
  }
};
