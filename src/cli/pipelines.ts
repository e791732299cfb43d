import type { CloudWatchLogsDecodedData } from 'aws-lambda';
import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processHealthBatch } from '../../lambda/health/pipeline';
import { processLogsPayload, processSubscriptionEvent } from '../../lambda/job-log/pipeline';
import type { Pipelines } from './replay';

/** The same pipeline functions the Lambda handlers call: replay exercises the deployed code paths. */
export const replayPipelines: Pipelines = {
  subscriptionEvent: (event, deps) => processSubscriptionEvent(event, deps),
  // The reader only builds payloads from validated JSON; the pipeline re-validates every log event anyway.
  logsPayload: (payload, deps) => processLogsPayload(payload as unknown as CloudWatchLogsDecodedData, deps),
  findingBatch: (event, deps) => processFindingBatch(event, deps),
  apiCallBatch: (event, deps) => processApiCallBatch(event, deps),
  healthBatch: (event, deps) => processHealthBatch(event, deps),
};
