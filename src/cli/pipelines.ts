import type { PipelineDeps } from '../../lambda/pipeline-deps';
import type { Pipelines } from './replay';

/**
 * The Lambda pipelines, resolved when first used. TEMPORARY: the job log and API call pipelines are still
 * being written; this becomes static imports when they land.
 */
function load<T>(module: string, name: string): (input: unknown, deps: PipelineDeps) => Promise<T> {
  return (input, deps) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(module) as Record<string, (input: unknown, deps: PipelineDeps) => Promise<T>>;
    if (typeof mod[name] !== 'function') throw new Error(`${module} has no ${name}`);
    return mod[name](input, deps);
  };
}

export const replayPipelines: Pipelines = {
  subscriptionEvent: load('../../lambda/job-log-pipeline', 'processSubscriptionEvent'),
  logsPayload: load('../../lambda/job-log-pipeline', 'processLogsPayload'),
  finding: load('../../lambda/findings-pipeline', 'processFindingEvent'),
  apiCall: load('../../lambda/api-calls-pipeline', 'processApiCallEvent'),
};
