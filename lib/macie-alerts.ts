import { CfnOutput, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALERTED_API_CALLS } from '../lambda/api-calls/call-types';
import { MACIE_JOB_LOG_GROUP } from '../lambda/core/links';
import { ENV, settingsToEnv, type BatchingSettings, type PipelineSettings } from '../lambda/core/settings';
import { severityScore } from '../lambda/core/severity';
import { METRICS_NAMESPACE } from '../lambda/core/telemetry';
import { AlertTopics } from './alert-topics';
import { PipelineDashboard } from './dashboard';
import { FailureQueues } from './failure-queues';
import { FUNCTIONS_OUTPUT } from './functions-output';
import { JobLogSubscription } from './job-log-subscription';
import { resolveProps, type MacieAlertsProps, type ResolvedProps } from './macie-alerts-props';
import { PipelineAlarms } from './pipeline-alarms';
import { PipelineFunction, type HandlerSpec, type PipelineFunctionShared } from './pipeline-function';
import { QUEUE_HANDLER_TIMEOUT, QueuedEventSource, type QueuedEventSourceProps } from './queued-event-source';
import { functionTarget } from './rule-delivery';
import { StateTable } from './state-table';
import { alertFilterPolicy } from './subscription-filters';

export type { MacieAlertsProps } from './macie-alerts-props';
export type { SlackChannel, TeamsChannel } from './alert-topics';

/**
 * The Macie API calls the EventBridge rule matches: exactly the calls the API-call pipeline classifies
 * (lambda/api-calls/call-types.ts), so a call added there reaches the function.
 */
export const MACIE_API_CALLS: readonly string[] = ALERTED_API_CALLS;
/** Macie's job log group, which the construct subscribes to (and creates if Macie has not yet). */
export { MACIE_JOB_LOG_GROUP };

/**
 * Everything the pipeline needs in one Region: Macie job log subscription, finding and API-call rules, the
 * sweeper, the state table, the alert topic with per-subscriber filter policies, chat, and alarms on the
 * pipeline itself. Its parts (lib/alert-topics.ts, state-table.ts, pipeline-function.ts,
 * queued-event-source.ts, failure-queues.ts, pipeline-alarms.ts) make their resources in this construct's
 * own scope: construct ids are a contract with deployed stacks (test/cdk/logical-ids.test.ts).
 */
/** AWS Health events about Macie are few: a small batch at once, two writers, no setting of their own. */
export const HEALTH_BATCHING = { batchSize: 10, windowSeconds: 0, maxConcurrency: 2 } as const;

/** Makes one pipeline function with the shared settings. */
type MakeFunction = (spec: HandlerSpec) => nodejs.NodejsFunction;

/** A queued event source's function and queue. */
interface QueuedHandler {
  readonly handler: nodejs.NodejsFunction;
  readonly queue: sqs.Queue;
}

export class MacieAlerts extends Construct {
  /** Alerts from the handlers (MessageStructure json, with message attributes for filtering). */
  readonly alertTopic: sns.Topic;
  /** CloudWatch alarms on the pipeline (AlertTopics says why a topic of their own). */
  readonly alarmTopic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly table: dynamodb.TableV2;
  readonly jobLogHandler: nodejs.NodejsFunction;
  readonly findingsHandler: nodejs.NodejsFunction;
  readonly apiCallHandler?: nodejs.NodejsFunction;
  /** EventBridge delivers findings here; the findings handler reads it in batches. */
  readonly findingsQueue: sqs.Queue;
  readonly apiCallQueue?: sqs.Queue;
  readonly healthHandler?: nodejs.NodejsFunction;
  /** EventBridge delivers AWS Health events about Macie here (undefined when `healthEventAlerts: false`). */
  readonly healthQueue?: sqs.Queue;
  readonly sweeper: nodejs.NodejsFunction;
  readonly settings: PipelineSettings;
  readonly batching: BatchingSettings;
  readonly alarms: cloudwatch.Alarm[];
  /** On the age of the oldest record in findingsQueue and apiCallQueue (BACKLOG_ALARM_MARGIN says why their threshold). */
  readonly backlogAlarms: cloudwatch.Alarm[] = [];
  /** Undefined when `dashboard: false`. */
  readonly dashboard?: cloudwatch.Dashboard;

  private readonly topics: AlertTopics;
  private readonly pipelineAlarms: PipelineAlarms;
  private readonly failureQueues: FailureQueues;
  /** Every function, for the dashboard and the Functions output. */
  private readonly functions: PipelineFunction[] = [];

  constructor(scope: Construct, id: string, props: MacieAlertsProps = {}) {
    super(scope, id);
    const resolved = resolveProps(props);
    this.settings = resolved.settings;
    this.batching = resolved.batching;

    this.topics = new AlertTopics(this, resolved.removalPolicy);
    this.alertTopic = this.topics.alertTopic;
    this.alarmTopic = this.topics.alarmTopic;
    this.topicKey = this.topics.topicKey;
    this.pipelineAlarms = new PipelineAlarms(this, this.alarmTopic);
    this.alarms = this.pipelineAlarms.all;
    this.failureQueues = new FailureQueues(this, this.pipelineAlarms);
    const stateTable = new StateTable(this, resolved.removalPolicy);
    this.table = stateTable.table;
    const shared = this.functionShared(resolved, stateTable);
    const fn = (spec: HandlerSpec) => this.pipelineFunction(shared, spec);

    this.jobLogHandler = this.jobLogSource(fn, resolved);
    const findings = this.findingsSource(fn);
    this.findingsHandler = findings.handler;
    this.findingsQueue = findings.queue;
    if (props.apiCallAlerts ?? true) {
      const apiCalls = this.apiCallSource(fn);
      this.apiCallHandler = apiCalls.handler;
      this.apiCallQueue = apiCalls.queue;
    }
    if (props.healthEventAlerts ?? true) {
      const health = this.healthSource(fn);
      this.healthHandler = health.handler;
      this.healthQueue = health.queue;
    }
    // A new queued event source (EventBridge -> SQS -> function) goes here, as the three above.
    this.sweeper = this.sweeperSchedule(fn, resolved);

    for (const [kind, list] of resolved.subscribers) {
      for (const subscriber of list) this.topics.subscribe(kind, subscriber);
    }
    if (props.slack || props.teams) this.topics.chat(props.slack, props.teams);
    this.pipelineAlarmsOnDelivery();
    this.outputs(resolved, Boolean(props.slack || props.teams));
    // Last: the dashboard draws every function and queue made above.
    if (props.dashboard ?? true) this.dashboard = this.pipelineDashboard();
  }

  /** Job log events: a subscription filter on Macie's log group. */
  private jobLogSource(fn: MakeFunction, resolved: ResolvedProps): nodejs.NodejsFunction {
    const handler = fn({
      id: 'JobLogHandler',
      name: 'job-log',
      description: 'Macie classification job log events -> run state and alerts',
      memorySize: 512,
      timeout: Duration.minutes(5),
      invokedBy: 'async',
    });
    new JobLogSubscription(this, handler, resolved.logRetention);
    return handler;
  }

  /**
   * Findings: filtered in the pattern (free) rather than in Lambda (an invocation each), then queued so a
   * burst of thousands becomes batches worked off by findingsMaxConcurrency writers.
   */
  private findingsSource(fn: MakeFunction): QueuedHandler {
    const handler = fn({
      id: 'FindingsHandler',
      name: 'findings',
      description: 'Macie findings (EventBridge -> SQS) -> grouped alerts',
      memorySize: 256,
      timeout: QUEUE_HANDLER_TIMEOUT,
      invokedBy: 'queue',
    });
    const { queue } = this.queuedEventSource({
      queueId: 'FindingsQueue',
      ruleId: 'FindingRule',
      ruleDescription: 'Macie findings, not archived, at or above the minimum severity',
      eventPattern: {
        source: ['aws.macie'],
        detailType: ['Macie Finding'],
        detail: { archived: [false], severity: { score: events.Match.greaterThanOrEqual(Math.max(1, severityScore(this.settings.minFindingSeverity))) } },
      },
      record: 'finding',
      fn: handler,
      batching: {
        batchSize: this.batching.findingsBatchSize,
        windowSeconds: this.batching.findingsBatchWindowSeconds,
        maxConcurrency: this.batching.findingsMaxConcurrency,
      },
    });
    return { handler, queue };
  }

  /** Macie API calls through CloudTrail, on a queue of their own: a backlog of findings never holds back "someone disabled Macie". */
  private apiCallSource(fn: MakeFunction): QueuedHandler {
    const handler = fn({
      id: 'ApiCallHandler',
      name: 'api-calls',
      description: 'Security-relevant Macie API calls (CloudTrail -> EventBridge -> SQS) -> alerts',
      memorySize: 256,
      timeout: QUEUE_HANDLER_TIMEOUT,
      invokedBy: 'queue',
    });
    const apiCalls = this.queuedEventSource({
      queueId: 'ApiCallQueue',
      ruleId: 'ApiCallRule',
      ruleDescription: 'Security-relevant Macie API calls, including read-only reveals of sensitive data',
      eventPattern: {
        source: ['aws.macie2'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['macie2.amazonaws.com'], eventName: [...MACIE_API_CALLS] },
      },
      record: 'API call',
      fn: handler,
      batching: {
        batchSize: this.batching.apiCallsBatchSize,
        windowSeconds: this.batching.apiCallsBatchWindowSeconds,
        maxConcurrency: this.batching.apiCallsMaxConcurrency,
      },
    });
    // Without this state EventBridge drops read-only calls, and GetSensitiveDataOccurrences is one.
    (apiCalls.rule.node.defaultChild as events.CfnRule).state = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
    return { handler, queue: apiCalls.queue };
  }

  /** AWS Health events about Macie (every event type code), queued like the API calls. */
  private healthSource(fn: MakeFunction): QueuedHandler {
    const handler = fn({
      id: 'HealthHandler',
      name: 'health',
      description: 'AWS Health events about Macie (EventBridge -> SQS) -> alerts',
      memorySize: 256,
      timeout: QUEUE_HANDLER_TIMEOUT,
      invokedBy: 'queue',
    });
    const { queue } = this.queuedEventSource({
      queueId: 'HealthQueue',
      ruleId: 'HealthRule',
      ruleDescription: 'AWS Health events about Macie',
      eventPattern: { source: ['aws.health'], detailType: ['AWS Health Event'], detail: { service: ['MACIE'] } },
      record: 'AWS Health event',
      fn: handler,
      batching: HEALTH_BATCHING,
    });
    return { handler, queue };
  }

  /** The sweeper: the clock-driven checks and the outbox safety net. */
  private sweeperSchedule(fn: MakeFunction, resolved: ResolvedProps): nodejs.NodejsFunction {
    const sweeper = fn({
      id: 'Sweeper',
      name: 'sweeper',
      description: 'Scheduled: stuck runs, missed periodic runs, undelivered alerts, the daily digest',
      memorySize: 256,
      timeout: Duration.minutes(5),
      invokedBy: 'async',
    });
    new events.Rule(this, 'SweeperSchedule', {
      description: 'Runs the Macie alerts sweeper',
      schedule: events.Schedule.rate(resolved.sweeperRate),
      targets: [functionTarget(this.failureQueues, 'SweeperSchedule', sweeper)],
    });
    return sweeper;
  }

  /** The environment, log settings, table, topics, alarms and failure queues every function shares. */
  private functionShared(resolved: ResolvedProps, stateTable: StateTable): PipelineFunctionShared {
    return {
      environment: {
        ...settingsToEnv(this.settings),
        ...smsPoliciesEnv(resolved),
        [ENV.tableName]: stateTable.table.tableName,
        [ENV.topicArn]: this.alertTopic.topicArn,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: resolved.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      },
      logRetention: resolved.logRetention,
      removalPolicy: resolved.removalPolicy,
      bundleAwsSdk: resolved.bundleAwsSdk,
      stateTable,
      topics: this.topics,
      alarms: this.pipelineAlarms,
      failureQueues: this.failureQueues,
    };
  }

  private pipelineFunction(shared: PipelineFunctionShared, spec: HandlerSpec): nodejs.NodejsFunction {
    const made = new PipelineFunction(this, shared, spec);
    this.functions.push(made);
    return made.fn;
  }

  /** EventBridge -> SQS -> Lambda for a queue function, its backlog alarm among backlogAlarms. */
  private queuedEventSource(
    source: Pick<QueuedEventSourceProps, 'queueId' | 'ruleId' | 'ruleDescription' | 'eventPattern' | 'record'> & {
      readonly fn: nodejs.NodejsFunction;
      readonly batching: { readonly batchSize: number; readonly windowSeconds: number; readonly maxConcurrency: number };
    },
  ): QueuedEventSource {
    const { batchSize, windowSeconds, maxConcurrency } = source.batching;
    const queued = new QueuedEventSource(this, {
      ...source,
      functionTimeout: QUEUE_HANDLER_TIMEOUT,
      batching: { batchSize, batchingWindow: Duration.seconds(windowSeconds), maxConcurrency },
      failureQueues: this.failureQueues,
      alarms: this.pipelineAlarms,
    });
    this.backlogAlarms.push(queued.backlogAlarm);
    return queued;
  }

  /** Alarms on delivery into and out of the pipeline: the job log subscription and the alert topic. */
  private pipelineAlarmsOnDelivery(): void {
    const alarms = this.pipelineAlarms;
    alarms.add('JobLogDeliveryErrors', 'The job log subscription failed to deliver events to the handler', JobLogSubscription.deliveryMetric('DeliveryErrors'));
    alarms.add(
      'JobLogDeliveryThrottling',
      'The job log subscription was throttled delivering to the handler',
      JobLogSubscription.deliveryMetric('DeliveryThrottling'),
    );
    alarms.add(
      'AlertNotificationsFailed',
      'SNS failed to deliver alerts to a subscriber',
      this.alertTopic.metricNumberOfNotificationsFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
    );
  }

  private outputs(resolved: ResolvedProps, chat: boolean): void {
    new CfnOutput(this, 'AlertTopicArn', { value: this.alertTopic.topicArn, description: 'Alerts (subscribe more endpoints here)' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Alarms on the pipeline itself' });
    new CfnOutput(this, 'StateTableName', { value: this.table.tableName });
    // The chat service makes its own SNS subscription, which CloudFormation cannot give a filter policy;
    // the policy for chatMinSeverity is printed for a one-time `aws sns set-subscription-attributes`.
    const chatMinSeverity = resolved.chatMinSeverity;
    const chatPolicy = alertFilterPolicy({ endpoint: 'chat', minSeverity: chatMinSeverity }, 'https');
    if (chatPolicy && chat) {
      new CfnOutput(this, 'ChatFilterPolicy', {
        value: JSON.stringify(chatPolicy),
        description: `Filter policy for the chat subscription (chatMinSeverity=${chatMinSeverity}); see README "Chat"`,
      });
    }
    this.acknowledgeNagFindings();
    this.failureQueues.addOutput();
    new CfnOutput(this, FUNCTIONS_OUTPUT, {
      value: Stack.of(this).toJsonString(Object.fromEntries(this.functions.map((f) => [f.label, f.fn.functionArn]))),
      description: 'The functions, by name (read by `macie-alerts selftest`)',
    });
  }

  private pipelineDashboard(): cloudwatch.Dashboard {
    const stack = Stack.of(this);
    // Dashboard names are global to the account: the Region keeps one stack per Region apart.
    const base =
      Token.isUnresolved(stack.stackName) || Token.isUnresolved(stack.region) || !stack.stackName.includes(stack.region)
        ? `${stack.stackName}-${stack.region}`
        : stack.stackName;
    const dashboardName = this.node.id === 'MacieAlerts' ? base : `${base}-${this.node.id}`;
    const byFunction = (fn: nodejs.NodejsFunction) => this.functions.find((f) => f.fn === fn)!;
    const { dashboard } = new PipelineDashboard(this, 'Dashboard', {
      dashboardName,
      stackName: stack.stackName,
      region: stack.region,
      functions: this.functions,
      eventFunctions: this.functions.filter((f) => f.fn !== this.sweeper),
      jobLog: byFunction(this.jobLogHandler),
      queueFunctions: [this.findingsHandler, this.apiCallHandler, this.healthHandler].flatMap((fn) => (fn ? [byFunction(fn)] : [])),
      eventQueues: [
        { name: 'findings', queue: this.findingsQueue },
        ...(this.apiCallQueue ? [{ name: 'api-calls', queue: this.apiCallQueue }] : []),
        ...(this.healthQueue ? [{ name: 'health', queue: this.healthQueue }] : []),
      ],
      backlogAlarms: this.backlogAlarms,
      apiCalls: this.apiCallHandler !== undefined,
      queues: this.failureQueues.list().map(({ queue, entry }) => ({ name: entry.name, queue })),
      alertTopic: this.alertTopic,
      alarmTopic: this.alarmTopic,
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards/dashboard/${dashboardName}`,
      description: 'The CloudWatch dashboard of the pipeline and of Macie activity',
    });
    return dashboard;
  }

  private acknowledgeNagFindings(): void {
    // The AwsCustomResource provider is a CDK singleton function at the stack root.
    const provider = Stack.of(this).node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
    if (provider) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'The CDK AwsCustomResource provider (creates the Macie job log group once) writes its own logs with the basic execution role; its only other permission is logs:CreateLogGroup on that one group.',
      });
    }
  }
}

/**
 * The SMS subscriptions' filter policies, for delivery to know which alerts count against the SMS budget
 * (lambda/delivery/sms-routing.ts); each distinct policy once. None without SMS subscribers or a budget.
 */
function smsPoliciesEnv(resolved: ResolvedProps): Record<string, string> {
  if (resolved.settings.smsMaxPerHour === 0) return {};
  const sms = resolved.subscribers.flatMap(([kind, list]) => (kind === 'sms' ? list : []));
  const policies = [...new Set(sms.map((s) => JSON.stringify(alertFilterPolicy(s, 'sms'))))];
  return policies.length > 0 ? { [ENV.smsFilterPolicies]: `[${policies.join(',')}]` } : {};
}
