import { SNSClient } from '@aws-sdk/client-sns';
import type { PipelineDeps } from './pipeline-deps';
import { ENV, requiredEnv, settingsFromEnv } from './settings';
import { SnsAlertPublisher } from './sns-publisher';
import { StateStore } from './store';
import { PowertoolsTelemetry } from './telemetry';

/**
 * Built once per Lambda container, at module load: the only place handlers read the environment. Clients
 * use the SDK's default configuration, so AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SNS can point them at
 * local endpoints.
 */
export interface Runtime {
  readonly deps: PipelineDeps;
  readonly telemetry: PowertoolsTelemetry;
}

export function createRuntime(serviceName: string, env: NodeJS.ProcessEnv = process.env): Runtime {
  // The construct names each function's service (POWERTOOLS_SERVICE_NAME); the argument is the fallback.
  const telemetry = PowertoolsTelemetry.create(env.POWERTOOLS_SERVICE_NAME ?? serviceName);
  const deps: PipelineDeps = {
    store: StateStore.fromDefaults(requiredEnv(env, ENV.tableName)),
    publisher: new SnsAlertPublisher({ client: new SNSClient({}), topicArn: requiredEnv(env, ENV.topicArn), telemetry }),
    settings: settingsFromEnv(env),
    telemetry,
    region: env.AWS_REGION ?? 'us-east-1',
    now: () => new Date(),
  };
  return { deps, telemetry };
}

/** Per invocation: the Lambda context's time budget, so delivery never claims alerts it cannot publish in time. */
export function forInvocation(runtime: Runtime, context: { getRemainingTimeInMillis(): number } | undefined): PipelineDeps {
  return context ? { ...runtime.deps, remainingMs: () => context.getRemainingTimeInMillis() } : runtime.deps;
}
