import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { PipelineDeps } from '../pipeline-deps';
import { ENV, requiredEnv, settingsFromEnv } from '../core/settings';
import { SnsAlertPublisher } from '../delivery/sns-publisher';
import { StateStore } from '../state/store';
import { PowertoolsTelemetry } from '../core/telemetry';

/**
 * Built once per Lambda container, at module load: the only place handlers read the environment. Clients
 * use the SDK's default configuration, so AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SNS can point them at
 * local endpoints.
 */
export interface Runtime {
  readonly deps: PipelineDeps;
  readonly telemetry: PowertoolsTelemetry;
}

/**
 * No call may hang: delivery claims alerts only while enough time is left to publish them (and release them
 * on failure) before Lambda's timeout, which needs a bound on every request. SNS: 4 publisher attempts of at
 * most 4 s plus backoff, about 17 s per chunk, inside delivery's 30 s guard.
 */
const SNS_TIMEOUTS = { connectionTimeout: 1000, requestTimeout: 3000 };
const DYNAMODB_TIMEOUTS = { connectionTimeout: 1000, requestTimeout: 5000 };

export function createRuntime(serviceName: string, env: NodeJS.ProcessEnv = process.env): Runtime {
  // The construct names each function's service (POWERTOOLS_SERVICE_NAME); the argument is the fallback.
  const telemetry = PowertoolsTelemetry.create(env.POWERTOOLS_SERVICE_NAME ?? serviceName);
  const deps: PipelineDeps = {
    store: StateStore.fromDefaults(requiredEnv(env, ENV.tableName), new DynamoDBClient({ requestHandler: DYNAMODB_TIMEOUTS })),
    // One SDK attempt per call: SnsAlertPublisher retries itself (per entry, with backoff).
    publisher: new SnsAlertPublisher({ client: new SNSClient({ maxAttempts: 1, requestHandler: SNS_TIMEOUTS }), topicArn: requiredEnv(env, ENV.topicArn), telemetry }),
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
