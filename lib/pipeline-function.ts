import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { STATE_ACCESS, type FunctionName } from '../lambda/handlers/state-access';
import type { AlertTopics } from './alert-topics';
import type { DashboardFunction } from './dashboard';
import type { FailureQueues } from './failure-queues';
import { handlerCode } from './handler-code';
import type { PipelineAlarms } from './pipeline-alarms';
import type { StateTable } from './state-table';

export interface HandlerSpec {
  readonly id: string;
  /** The handler (lambda/handlers/<name>.ts), which names its state table access (STATE_ACCESS). */
  readonly name: FunctionName;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /**
   * How Lambda invokes it: asynchronously (EventBridge schedule, CloudWatch Logs: retried twice, then its
   * failure queue) or from an SQS queue's event source mapping (the queue redelivers, then dead-letters).
   */
  readonly invokedBy: 'async' | 'queue';
}

/** What every function of the pipeline shares: where it writes, what it may touch, where its failures go. */
export interface PipelineFunctionShared {
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly bundleAwsSdk: boolean;
  readonly stateTable: StateTable;
  readonly topics: AlertTopics;
  readonly alarms: PipelineAlarms;
  readonly failureQueues: FailureQueues;
}

/**
 * One handler as a function: its own role (logs, exactly its state table access, publish alerts), log group,
 * failure queue when invoked asynchronously, and an alarm on its errors. A part of MacieAlerts: its resources
 * are made in the construct's own scope, so their logical ids stay what deployed stacks have.
 */
export class PipelineFunction implements DashboardFunction {
  readonly fn: nodejs.NodejsFunction;
  readonly label: FunctionName;
  /** Powertools' `service` of the handler, which its plain metrics carry as a dimension. */
  readonly service: string;

  constructor(owner: Construct, shared: PipelineFunctionShared, spec: HandlerSpec) {
    this.label = spec.name;
    this.service = `macie-alerts-${spec.name}`;
    const role = new iam.Role(owner, `${spec.id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${spec.description} (logs, state table, publish alerts)`,
    });
    const logGroup = new logs.LogGroup(owner, `${spec.id}Logs`, { retention: shared.logRetention, removalPolicy: shared.removalPolicy });
    logGroup.grantWrite(role);
    this.fn = new nodejs.NodejsFunction(owner, spec.id, {
      ...handlerCode(spec.name, shared.bundleAwsSdk),
      description: spec.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: { ...shared.environment, POWERTOOLS_SERVICE_NAME: this.service },
      ...this.asyncInvoke(shared.failureQueues, spec),
    });
    shared.stateTable.grant(role, STATE_ACCESS[spec.name]);
    shared.topics.grantPublishAlerts(role);
    const afterErrors =
      spec.invokedBy === 'async'
        ? 'each error is retried, then lands in its failure queue'
        : 'its batch returns to its queue, and after 5 receives goes to the dead-letter queue';
    shared.alarms.add(`${spec.id}Errors`, `${spec.id} threw (${afterErrors})`, this.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }));
  }

  /** An SQS-triggered function is invoked synchronously by its event source mapping: its queue retries. */
  private asyncInvoke(failureQueues: FailureQueues, spec: HandlerSpec): Partial<lambda.EventInvokeConfigOptions> {
    if (spec.invokedBy !== 'async') return {};
    const failures = failureQueues.make(`${spec.id}Failures`, `${spec.id} failed after its retries (invocation records)`, () => ({
      kind: 'lambda-on-failure',
      name: spec.name,
      fn: this.fn,
    }));
    return { retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(failures) };
  }
}
