import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { PipelineDeps } from '../pipeline-deps';
import { ENV, SettingsError, requiredEnv, settingsFromEnv } from '../core/settings';
import { DYNAMODB_CLIENT, SNS_CLIENT } from '../delivery/lease';
import { SnsAlertPublisher } from '../delivery/sns-publisher';
import { StateStore } from '../state/store';
import type { FilterPolicy } from '../delivery/filter-policy';
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
 * Tests only: the crash tests start a handler process with its clock at a chosen time (a sweep "two hours
 * later", a Lambda retry after a lease ran out). The construct never sets it.
 */
export const TEST_CLOCK_ENV = 'MACIE_ALERTS_TEST_CLOCK_START';

/**
 * No call may hang: every request is bounded (delivery/lease.ts derives the delivery lease and the time
 * guard from these client settings), so a delivery that is alive settles its claims in time.
 */
export function createRuntime(serviceName: string, env: NodeJS.ProcessEnv = process.env): Runtime {
  // The construct names each function's service (POWERTOOLS_SERVICE_NAME); the argument is the fallback.
  const telemetry = PowertoolsTelemetry.create(env.POWERTOOLS_SERVICE_NAME ?? serviceName);
  const now = clock(env[TEST_CLOCK_ENV]);
  const deps: PipelineDeps = {
    store: StateStore.fromDefaults(requiredEnv(env, ENV.tableName), new DynamoDBClient(DYNAMODB_CLIENT), now),
    publisher: new SnsAlertPublisher({ client: new SNSClient(SNS_CLIENT), topicArn: requiredEnv(env, ENV.topicArn), telemetry }),
    settings: settingsFromEnv(env),
    telemetry,
    region: env.AWS_REGION ?? 'us-east-1',
    now,
    smsPolicies: smsPolicies(env[ENV.smsFilterPolicies]),
  };
  return { deps, telemetry };
}

/** The SMS subscriptions' filter policies, as the construct wrote them (absent: no SMS subscriber). */
function smsPolicies(json: string | undefined): FilterPolicy[] | undefined {
  if (!json) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new SettingsError(ENV.smsFilterPolicies, json, 'not JSON');
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'object' && p !== null && !Array.isArray(p))) {
    throw new SettingsError(ENV.smsFilterPolicies, json, 'expected an array of filter policies');
  }
  return parsed as FilterPolicy[];
}

/** The wall clock, or one that started at `start` and runs at the wall clock's pace. */
function clock(start: string | undefined): () => Date {
  if (start === undefined) return () => new Date();
  const offset = Date.parse(start) - Date.now();
  if (!Number.isFinite(offset)) throw new SettingsError(TEST_CLOCK_ENV, start, 'not an ISO 8601 time');
  return () => new Date(Date.now() + offset);
}

/** Per invocation: the Lambda context's time budget, so delivery never claims alerts it cannot publish in time. */
export function forInvocation(runtime: Runtime, context: { getRemainingTimeInMillis(): number } | undefined): PipelineDeps {
  return context ? { ...runtime.deps, remainingMs: () => context.getRemainingTimeInMillis() } : runtime.deps;
}
