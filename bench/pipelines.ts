import { processFindingBatch } from '../lambda/findings/pipeline';
import { processSubscriptionEvent } from '../lambda/job-log/pipeline';
import { sweep } from '../lambda/sweeper/sweep';
import type { Pipelines } from './measure';

/** The pipelines the deployed handlers run (lambda/handlers/*), called the way the handlers call them. */
export const ourPipelines: Pipelines = {
  logs: (event, deps) => processSubscriptionEvent(event, deps),
  findings: (event, deps) => processFindingBatch(event, deps),
  sweep: (deps) => sweep(deps),
};
