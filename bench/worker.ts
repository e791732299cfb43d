import { localDynamoClient } from '../src/local/dynamodb-local';
import { runForked } from './forked-child';
import { ourPipelines } from './pipelines';
import { benchScenario, type ScenarioBenchOptions, type ScenarioResult } from './scenario-bench';
import { FULL_SIZES, scenarioNamed, type Scenario, type ScenarioSizes } from './scenarios';

/**
 * One scenario in its own node process, so that its peak RSS is its own and one scenario's heap and JIT
 * state do not colour the next one's figures. run.ts forks it and gets the result over IPC.
 */
export interface WorkerRequest {
  readonly scenario: Scenario['name'];
  readonly seed: number;
  readonly sizes?: ScenarioSizes;
  readonly endpoint: string;
  readonly options: ScenarioBenchOptions;
}

export type WorkerMessage = { readonly progress: string } | { readonly result: ScenarioResult } | { readonly error: string };

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]) as WorkerRequest;
  const send = (message: WorkerMessage) => process.send?.(message);
  const scenario = scenarioNamed(request.scenario, request.seed, request.sizes ?? FULL_SIZES);
  const beforeMb = process.memoryUsage().rss / 1024 / 1024;
  const result = await benchScenario(
    scenario,
    () => localDynamoClient(request.endpoint),
    ourPipelines,
    request.options,
    (progress) => send({ progress }),
  );
  send({ result: { ...result, rssMb: { beforeMb, peakMb: result.rssMb?.peakMb ?? NaN } } });
}

runForked(main);
