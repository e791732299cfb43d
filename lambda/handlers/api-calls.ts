import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processApiCallBatch } from '../api-calls/pipeline';
import { createRuntime, forInvocation } from './runtime';

const runtime = createRuntime('api-calls');

/** The API-call queue's event source mapping (ReportBatchItemFailures): only unwritten records come back. */
export const handler = async (event: SQSEvent, context?: { getRemainingTimeInMillis(): number }): Promise<SQSBatchResponse> => {
  try {
    const { batchItemFailures } = await processApiCallBatch(event, forInvocation(runtime, context));
    return { batchItemFailures };
  } finally {
    runtime.telemetry.flush();
  }
};
