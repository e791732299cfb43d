import { processFindingEvent } from '../findings/pipeline';
import { createRuntime, forInvocation } from './runtime';

const runtime = createRuntime('findings');

export const handler = async (event: unknown, context?: { getRemainingTimeInMillis(): number }) => {
  try {
    return await processFindingEvent(event, forInvocation(runtime, context));
  } finally {
    runtime.telemetry.flush();
  }
};
