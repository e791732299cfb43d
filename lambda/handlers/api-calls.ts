import { processApiCallEvent } from '../api-calls/pipeline';
import { createRuntime, forInvocation } from './runtime';

const runtime = createRuntime('api-calls');

export const handler = async (event: unknown, context?: { getRemainingTimeInMillis(): number }) => {
  try {
    return await processApiCallEvent(event, forInvocation(runtime, context));
  } finally {
    runtime.telemetry.flush();
  }
};
