import { ArnFormat, CfnOutput, Duration, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ENV, resolveBatching, resolveSettings, SettingsError, settingsToEnv, type BatchingSettings, type PipelineSettings } from '../lambda/core/settings';
import { severityScore, type Severity } from '../lambda/core/severity';
import { ALERTED_API_CALLS } from '../lambda/api-calls/call-types';
import { MACIE_JOB_LOG_GROUP } from '../lambda/core/links';
import { TABLE_KEYS } from '../lambda/state/table';
import { METRICS_NAMESPACE } from '../lambda/core/telemetry';
import {
  checkLogLevel,
  checkLogRetentionDays,
  checkSeverity,
  checkSweeperRateMinutes,
  DEFAULT_LOG_RETENTION_DAYS,
  DEFAULT_SWEEPER_RATE_MINUTES,
  TEAMS_CHANNEL_ID,
  validateEndpoint,
  type LogLevel,
  type Subscriber,
  type SubscriberKind,
} from './context-settings';
import { alertFilterPolicy } from './subscription-filters';
import { PipelineDashboard, type DashboardFunction } from './dashboard';
import { FAILURE_QUEUES_OUTPUT, type FailureQueue } from '../src/cli/failure-queues';
import { handlerCode } from './handler-code';
import { FUNCTIONS_OUTPUT } from '../src/cli/stack-functions';
import { STATE_ACCESS, type FunctionName, type StateAccess } from '../lambda/handlers/state-access';

/**
 * The Macie API calls the EventBridge rule matches: exactly the calls the API-call pipeline classifies
 * (lambda/api-calls/call-types.ts), so a call added there reaches the function.
 */
export const MACIE_API_CALLS: readonly string[] = ALERTED_API_CALLS;
/** Macie's job log group, which the construct subscribes to (and creates if Macie has not yet). */
export { MACIE_JOB_LOG_GROUP };

export interface SlackChannel {
  /** Slack workspace id (T...), from the Amazon Q Developer console after authorising the workspace. */
  readonly workspaceId: string;
  /** Slack channel id (C...). */
  readonly channelId: string;
}

export interface TeamsChannel {
  readonly tenantId: string;
  readonly teamId: string;
  readonly channelId: string;
}

export interface MacieAlertsProps {
  /**
   * Pipeline behaviour (thresholds, repeat intervals, retention, severity overrides, knownErrors,
   * findingAlertsPer (a job run's findings rolled up per type, or one alert per bucket), the daily digest's
   * hour `digestHourUtc`); validated with resolveSettings and passed to the handlers as environment
   * variables.
   * @default DEFAULT_SETTINGS (no digest)
   */
  readonly pipelineSettings?: Partial<Record<keyof PipelineSettings, unknown>>;
  /**
   * Email recipients, each with its own minimum severity and categories.
   * @default - none
   */
  readonly emailSubscribers?: readonly Subscriber[];
  /**
   * SMS recipients (E.164 numbers). They never receive sample findings.
   * @default - none
   */
  readonly smsSubscribers?: readonly Subscriber[];
  /**
   * HTTPS endpoints (they must confirm the SNS subscription).
   * @default - none
   */
  readonly httpsSubscribers?: readonly Subscriber[];
  /**
   * Slack channel for Amazon Q Developer in chat applications (the workspace must be authorised first).
   * @default - no Slack
   */
  readonly slack?: SlackChannel;
  /**
   * Microsoft Teams channel for Amazon Q Developer in chat applications (the team must be authorised first).
   * @default - no Teams
   */
  readonly teams?: TeamsChannel;
  /**
   * Lowest severity meant for chat. The chat service creates its own SNS subscription, which CloudFormation
   * cannot give a filter policy, so the stack outputs the policy (ChatFilterPolicy) to apply once with
   * `aws sns set-subscription-attributes` (README, "Chat").
   * @default INFO (every alert)
   */
  readonly chatMinSeverity?: Severity;
  /**
   * How often the sweeper looks for stuck runs and undelivered alerts, in minutes (1 to 1440).
   * @default 60
   */
  readonly sweeperRateMinutes?: number;
  /**
   * Alert on security-relevant Macie API calls (CloudTrail, including read-only reveals).
   * @default true
   */
  readonly apiCallAlerts?: boolean;
  /**
   * What `cdk destroy` does with the state table, the topic key and the handlers' log groups. Macie's job log
   * group is never deleted (the log group of the custom resource that creates it always is).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the handlers' own log groups, in days (a value CloudWatch Logs accepts).
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Log level of the handlers.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Bundle the AWS SDK clients into each function instead of using the SDK that the Lambda Node.js runtime
   * ships. Bundling pins the exact client versions the tests ran with, at the cost of ~550 KB per function
   * (650-710 KB bundles instead of 70-125 KB) for about the same load time. The handlers use only long-stable
   * APIs (BatchGetItem, PutItem/UpdateItem, TransactWriteItems, Query, PublishBatch).
   * @default false
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * A CloudWatch dashboard of the pipeline's health and of Macie's activity (its URL is the DashboardUrl
   * output). Dashboards cost 3 USD a month each beyond the account's first three.
   * @default true
   */
  readonly dashboard?: boolean;

  // --- How Lambda reads the findings and API-call queues (validated with resolveBatching).
  /**
   * Findings per invocation of the findings handler, at most (1 to 10,000; above 10 needs a batching window).
   * @default 100
   */
  readonly findingsBatchSize?: number;
  /**
   * Seconds Lambda waits to fill a findings batch (0 to 300). The first alert of a group waits up to this long.
   * @default 10
   */
  readonly findingsBatchWindowSeconds?: number;
  /**
   * Concurrent findings invocations, at most (2 to 1,000): a burst is worked off by this many writers, not
   * by as many as Lambda would start.
   * @default 2
   */
  readonly findingsMaxConcurrency?: number;
  /**
   * API calls per invocation of the API-call handler, at most (1 to 10,000; above 10 needs a batching window).
   * @default 10
   */
  readonly apiCallsBatchSize?: number;
  /**
   * Seconds Lambda waits to fill an API-call batch (0 to 300): 0 sends what is in the queue at once.
   * @default 0
   */
  readonly apiCallsBatchWindowSeconds?: number;
  /**
   * Concurrent API-call invocations, at most (2 to 1,000).
   * @default 2
   */
  readonly apiCallsMaxConcurrency?: number;
}

interface HandlerSpec {
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

/** One queue's event source mapping: what resolveBatching validated for it. */
interface QueueBatching {
  readonly batchSize: number;
  readonly windowSeconds: number;
  readonly maxConcurrency: number;
}

/** AWS's guidance for an SQS trigger: the visibility timeout at least 6x the function timeout (plus the batching window). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** A record received this many times without being applied goes to the queue's dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;
/**
 * The findings and API-call functions' timeout. Delivery claims an alert only while a whole settle still
 * fits (DEFAULT_MIN_REMAINING_MS, 48.7 s: delivery/lease.ts), so a batch has the rest to read and write
 * (71 s; a batch of 100 findings takes well under a second, more only when other batches contend for its
 * groups). The queues' visibility timeout is 6 times this.
 */
export const QUEUE_HANDLER_TIMEOUT = Duration.minutes(2);

/** How long a record a handler took stays hidden: 6 times the function's timeout, plus the batching window. */
export function queueVisibilityTimeout(functionTimeout: Duration, windowSeconds: number): Duration {
  return Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * functionTimeout.toSeconds() + windowSeconds);
}

/**
 * The findings and API-call queues' alarms on their oldest record: a record the function failed once comes
 * back after the visibility timeout (about 12 minutes; a retry, not yet a problem). One older than that by
 * this margin was failed again, or nothing is taking records from the queue (the function throttled, broken,
 * its mapping disabled), or a backlog is bigger than the maximum concurrency works off: alerts are that late.
 * A burst of findings is worked off in about a minute, so it never gets here; the dead-letter queue's alarm
 * comes only after 5 receives, about an hour.
 */
export const BACKLOG_ALARM_MARGIN = Duration.minutes(5);

/**
 * Everything the pipeline needs in one Region: Macie job log subscription, finding and API-call rules, the
 * sweeper, the state table, the alert topic with per-subscriber filter policies, chat, and alarms on the
 * pipeline itself.
 */
export class MacieAlerts extends Construct {
  /** Alerts from the handlers (MessageStructure json, with message attributes for filtering). */
  readonly alertTopic: sns.Topic;
  /**
   * CloudWatch alarms on the pipeline. Separate from alertTopic because alarm notifications carry no message
   * attributes, and SNS filter policies (even `exists: false`) never match a message without attributes.
   */
  readonly alarmTopic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly table: dynamodb.TableV2;
  readonly jobLogHandler: nodejs.NodejsFunction;
  readonly findingsHandler: nodejs.NodejsFunction;
  readonly apiCallHandler?: nodejs.NodejsFunction;
  /** EventBridge delivers findings here; the findings handler reads it in batches. */
  readonly findingsQueue: sqs.Queue;
  readonly apiCallQueue?: sqs.Queue;
  readonly sweeper: nodejs.NodejsFunction;
  readonly settings: PipelineSettings;
  readonly batching: BatchingSettings;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** On the age of the oldest record in findingsQueue and apiCallQueue (BACKLOG_ALARM_MARGIN says why their threshold). */
  readonly backlogAlarms: cloudwatch.Alarm[] = [];
  /** Undefined when `dashboard: false`. */
  readonly dashboard?: cloudwatch.Dashboard;

  private readonly removalPolicy: RemovalPolicy;
  private readonly logRetention: logs.RetentionDays;
  private readonly baseEnv: Record<string, string>;
  private readonly bundleAwsSdk: boolean;
  /** Every function, for the dashboard. */
  private readonly functions: DashboardFunction[] = [];
  /** Every queue made by queue(): the FailureQueues output and the dashboard list them (see failureQueues()). */
  private readonly failureQueueSet = new Set<sqs.Queue>();

  constructor(scope: Construct, id: string, props: MacieAlertsProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.settings = resolveSettings(props.pipelineSettings ?? {});
    this.batching = resolveBatching(props);
    const chatMinSeverity = checkSeverity('chatMinSeverity', props.chatMinSeverity ?? 'INFO');
    const sweeperRateMinutes = checkSweeperRateMinutes(props.sweeperRateMinutes ?? DEFAULT_SWEEPER_RATE_MINUTES);
    const logRetentionDays = checkLogRetentionDays(props.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS);
    const logLevel = checkLogLevel(props.logLevel ?? 'INFO');
    this.bundleAwsSdk = props.bundleAwsSdk ?? false;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy !== RemovalPolicy.RETAIN && removalPolicy !== RemovalPolicy.DESTROY) {
      throw new SettingsError('removalPolicy', removalPolicy, 'expected RETAIN or DESTROY');
    }
    const given: [SubscriberKind, string, readonly Subscriber[]][] = [
      ['email', 'emailSubscribers', props.emailSubscribers ?? []],
      ['sms', 'smsSubscribers', props.smsSubscribers ?? []],
      ['https', 'httpsSubscribers', props.httpsSubscribers ?? []],
    ];
    // A severity in any case is accepted, and spelled as the filter policies need it.
    const subscribers = given.map(([kind, setting, list]) => {
      const checked = list.map((s) => {
        validateEndpoint(setting, kind, s.endpoint);
        return s.minSeverity === undefined ? s : { ...s, minSeverity: checkSeverity(`${setting}.minSeverity`, s.minSeverity) };
      });
      return [kind, setting, checked] as const;
    });
    if (props.teams && !TEAMS_CHANNEL_ID.test(props.teams.channelId)) {
      throw new SettingsError('teams.channelId', props.teams.channelId, 'expected the URL-encoded channel id (19%3A...%40thread.tacv2)');
    }
    this.removalPolicy = removalPolicy;
    this.logRetention = logRetentionDays as logs.RetentionDays;

    // --- Alert and alarm topics: one customer key, usable by CloudWatch for alarm notifications.
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the Macie alerts topics',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.alertTopic = new sns.Topic(this, 'AlertTopic', { displayName: 'Macie alerts', masterKey: this.topicKey, enforceSSL: true });
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Macie alerts pipeline alarms', masterKey: this.topicKey, enforceSSL: true });
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );

    // --- State table (layout shared with the handlers through lambda/state/table.ts).
    const { partitionKey, sortKey, ttlAttribute, gsi1, gsi2 } = TABLE_KEYS;
    this.table = new dynamodb.TableV2(this, 'StateTable', {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      timeToLiveAttribute: ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      globalSecondaryIndexes: [
        {
          indexName: gsi1.indexName,
          partitionKey: { name: gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: gsi1.sortKey, type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        },
        {
          // The daily digest's: only the few attributes it reads, none of which changes after a write.
          indexName: gsi2.indexName,
          partitionKey: { name: gsi2.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: gsi2.sortKey, type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.INCLUDE,
          nonKeyAttributes: [...gsi2.projected],
        },
      ],
      removalPolicy,
    });

    this.baseEnv = {
      ...settingsToEnv(this.settings),
      [ENV.tableName]: this.table.tableName,
      [ENV.topicArn]: this.alertTopic.topicArn,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: logLevel,
      NODE_OPTIONS: '--enable-source-maps',
    };

    // --- Job log events: subscription filter on Macie's log group, which must survive `cdk destroy`.
    this.jobLogHandler = this.handler({
      id: 'JobLogHandler',
      name: 'job-log',
      description: 'Macie classification job log events -> run state and alerts',
      memorySize: 512,
      timeout: Duration.minutes(5),
      invokedBy: 'async',
    });
    const jobLogGroupArn = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: MACIE_JOB_LOG_GROUP, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const ensureJobLogGroup = new cr.AwsCustomResource(this, 'EnsureMacieJobLogGroup', {
      // Create only: the group may already exist (Macie made it), and deleting it would delete Macie's data.
      onCreate: {
        service: 'CloudWatchLogs',
        action: 'CreateLogGroup',
        parameters: { logGroupName: MACIE_JOB_LOG_GROUP },
        physicalResourceId: cr.PhysicalResourceId.of(MACIE_JOB_LOG_GROUP),
        ignoreErrorCodesMatching: 'ResourceAlreadyExistsException',
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['logs:CreateLogGroup'], resources: [jobLogGroupArn] })]),
      installLatestAwsSdk: false,
      logGroup: new logs.LogGroup(this, 'EnsureMacieJobLogGroupLogs', { retention: this.logRetention, removalPolicy: RemovalPolicy.DESTROY }),
    });
    const macieJobLogGroup = logs.LogGroup.fromLogGroupName(this, 'MacieJobLogGroup', MACIE_JOB_LOG_GROUP);
    const jobLogFilter = new logs.SubscriptionFilter(this, 'JobLogSubscription', {
      logGroup: macieJobLogGroup,
      destination: new LambdaDestination(this.jobLogHandler),
      filterPattern: logs.FilterPattern.allEvents(),
      filterName: 'macie-alerts-job-log',
    });
    jobLogFilter.node.addDependency(ensureJobLogGroup);

    // --- Findings: filtered in the pattern (free) rather than in Lambda (an invocation each), then queued so
    // a burst of thousands becomes batches worked off by findingsMaxConcurrency writers.
    this.findingsHandler = this.handler({
      id: 'FindingsHandler',
      name: 'findings',
      description: 'Macie findings (EventBridge -> SQS) -> grouped alerts',
      memorySize: 256,
      timeout: QUEUE_HANDLER_TIMEOUT,
      invokedBy: 'queue',
    });
    this.findingsQueue = this.eventQueue('FindingsQueue', this.findingsHandler, QUEUE_HANDLER_TIMEOUT, {
      batchSize: this.batching.findingsBatchSize,
      windowSeconds: this.batching.findingsBatchWindowSeconds,
      maxConcurrency: this.batching.findingsMaxConcurrency,
    });
    this.backlogAlarm('FindingsQueueBacklog', 'finding', this.findingsQueue, this.batching.findingsBatchWindowSeconds);
    const minScore = Math.max(1, severityScore(this.settings.minFindingSeverity));
    new events.Rule(this, 'FindingRule', {
      description: 'Macie findings, not archived, at or above the minimum severity',
      eventPattern: {
        source: ['aws.macie'],
        detailType: ['Macie Finding'],
        detail: { archived: [false], severity: { score: events.Match.greaterThanOrEqual(minScore) } },
      },
      targets: [this.queueTarget('FindingRule', this.findingsQueue)],
    });

    // --- Macie API calls through CloudTrail (read-only calls need the rule state below).
    if (props.apiCallAlerts ?? true) {
      this.apiCallHandler = this.handler({
        id: 'ApiCallHandler',
        name: 'api-calls',
        description: 'Security-relevant Macie API calls (CloudTrail -> EventBridge -> SQS) -> alerts',
        memorySize: 256,
        timeout: QUEUE_HANDLER_TIMEOUT,
        invokedBy: 'queue',
      });
      // Its own queue: a backlog of findings must never hold back "someone disabled Macie".
      this.apiCallQueue = this.eventQueue('ApiCallQueue', this.apiCallHandler, QUEUE_HANDLER_TIMEOUT, {
        batchSize: this.batching.apiCallsBatchSize,
        windowSeconds: this.batching.apiCallsBatchWindowSeconds,
        maxConcurrency: this.batching.apiCallsMaxConcurrency,
      });
      this.backlogAlarm('ApiCallQueueBacklog', 'API call', this.apiCallQueue, this.batching.apiCallsBatchWindowSeconds);
      const apiRule = new events.Rule(this, 'ApiCallRule', {
        description: 'Security-relevant Macie API calls, including read-only reveals of sensitive data',
        eventPattern: {
          source: ['aws.macie2'],
          detailType: ['AWS API Call via CloudTrail'],
          detail: { eventSource: ['macie2.amazonaws.com'], eventName: [...MACIE_API_CALLS] },
        },
        targets: [this.queueTarget('ApiCallRule', this.apiCallQueue)],
      });
      // Without this state EventBridge drops read-only calls, and GetSensitiveDataOccurrences is one.
      (apiRule.node.defaultChild as events.CfnRule).state = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
    }

    // --- Sweeper: the clock-driven checks and the outbox safety net.
    this.sweeper = this.handler({
      id: 'Sweeper',
      name: 'sweeper',
      description: 'Scheduled: stuck runs, missed periodic runs, undelivered alerts, the daily digest',
      memorySize: 256,
      timeout: Duration.minutes(5),
      invokedBy: 'async',
    });
    new events.Rule(this, 'SweeperSchedule', {
      description: 'Runs the Macie alerts sweeper',
      schedule: events.Schedule.rate(Duration.minutes(sweeperRateMinutes)),
      targets: [this.ruleTarget('SweeperSchedule', this.sweeper)],
    });

    // --- Subscriptions: filtered on the alert topic, unfiltered on the alarm topic.
    for (const [kind, , list] of subscribers) {
      for (const subscriber of list) this.subscribe(kind, subscriber);
    }

    // --- Chat (Amazon Q Developer in chat applications), notifications only.
    if (props.slack || props.teams) this.chat(props.slack, props.teams);

    // --- Alarms on the pipeline itself.
    this.alarm('JobLogDeliveryErrors', 'The job log subscription failed to deliver events to the handler', this.logsMetric('DeliveryErrors'));
    this.alarm('JobLogDeliveryThrottling', 'The job log subscription was throttled delivering to the handler', this.logsMetric('DeliveryThrottling'));
    this.alarm(
      'AlertNotificationsFailed',
      'SNS failed to deliver alerts to a subscriber',
      this.alertTopic.metricNumberOfNotificationsFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
    );

    new CfnOutput(this, 'AlertTopicArn', { value: this.alertTopic.topicArn, description: 'Alerts (subscribe more endpoints here)' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Alarms on the pipeline itself' });
    new CfnOutput(this, 'StateTableName', { value: this.table.tableName });
    // The chat service makes its own SNS subscription, which CloudFormation cannot give a filter policy;
    // the policy for chatMinSeverity is printed for a one-time `aws sns set-subscription-attributes`.
    const chatPolicy = alertFilterPolicy({ endpoint: 'chat', minSeverity: chatMinSeverity }, 'https');
    if (chatPolicy && (props.slack || props.teams)) {
      new CfnOutput(this, 'ChatFilterPolicy', {
        value: JSON.stringify(chatPolicy),
        description: `Filter policy for the chat subscription (chatMinSeverity=${chatMinSeverity}); see README "Chat"`,
      });
    }

    this.acknowledgeNagFindings();
    this.failureQueuesOutput();
    new CfnOutput(this, FUNCTIONS_OUTPUT, {
      value: stack.toJsonString(Object.fromEntries(this.functions.map((f) => [f.label, f.fn.functionArn]))),
      description: 'The functions, by name (read by `macie-alerts selftest`)',
    });
    // Last: the dashboard draws every function and queue made above.
    if (props.dashboard ?? true) this.dashboard = this.pipelineDashboard();
  }

  private handler(spec: HandlerSpec): nodejs.NodejsFunction {
    const role = new iam.Role(this, `${spec.id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${spec.description} (logs, state table, publish alerts)`,
    });
    const logGroup = new logs.LogGroup(this, `${spec.id}Logs`, { retention: this.logRetention, removalPolicy: this.removalPolicy });
    logGroup.grantWrite(role);
    // An SQS-triggered function is invoked synchronously by its event source mapping: its queue retries.
    const asyncInvoke =
      spec.invokedBy === 'async'
        ? {
            retryAttempts: 2,
            maxEventAge: Duration.hours(6),
            onFailure: new SqsDestination(this.queue(`${spec.id}Failures`, `${spec.id} failed after its retries (invocation records)`)),
          }
        : {};
    const fn = new nodejs.NodejsFunction(this, spec.id, {
      ...handlerCode(spec.name, this.bundleAwsSdk),
      description: spec.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: { ...this.baseEnv, POWERTOOLS_SERVICE_NAME: serviceName(spec.name) },
      ...asyncInvoke,
    });
    this.functions.push({ label: spec.name, fn, service: serviceName(spec.name) });
    this.grantState(role, STATE_ACCESS[spec.name]);
    this.grantPublishAlerts(role);
    const afterErrors = spec.invokedBy === 'async' ? 'each error is retried, then lands in its failure queue' : 'its batch returns to its queue, and after 5 receives goes to the dead-letter queue';
    this.alarm(`${spec.id}Errors`, `${spec.id} threw (${afterErrors})`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }));
    return fn;
  }

  /**
   * Exactly the state table actions the function's code performs (STATE_ACCESS): reads (BatchGetItem, Query
   * within a partition), puts and updates, plain or in a transaction, where IAM also checks each
   * ConditionCheck as dynamodb:ConditionCheckItem; the indexes only for the sweeper. No GetItem: StateStore
   * reads even one item with BatchGetItem. test/cdk/roles.recorded.test.ts holds this against every call
   * the tests make.
   */
  private grantState(role: iam.Role, access: StateAccess): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', ...(access.conditionChecks ? ['dynamodb:ConditionCheckItem'] : [])],
        resources: [this.table.tableArn],
      }),
    );
    if (access.indexes) {
      const { gsi1, gsi2 } = TABLE_KEYS;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [gsi1, gsi2].map((index) => `${this.table.tableArn}/index/${index.indexName}`) }),
      );
    }
  }

  /** sns:Publish on the alert topic and the two key actions SNS needs to encrypt the message (no wildcard). */
  private grantPublishAlerts(role: iam.Role): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.alertTopic.topicArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.topicKey.keyArn] }));
  }

  private queue(id: string, description: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter / on-failure queue; after its alarm fires, `macie-alerts redrive` puts its messages back.',
    });
    this.failureQueueSet.add(queue);
    this.alarm(
      `${id}Visible`,
      `Messages in ${id}: ${description}`,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    );
    return queue;
  }

  private ruleTarget(ruleId: string, fn: lambda.IFunction): targets.LambdaFunction {
    return new targets.LambdaFunction(fn, this.ruleDelivery(ruleId, fn.node.id));
  }

  /** How EventBridge delivers a rule's events to its target: 24 retries over up to 12 hours, then the rule's DLQ. */
  private ruleDelivery(ruleId: string, targetName: string): targets.TargetBaseProps {
    return {
      retryAttempts: 24,
      maxEventAge: Duration.hours(12),
      deadLetterQueue: this.queue(`${ruleId}DeadLetters`, `events EventBridge could not deliver to ${targetName}`),
    };
  }

  // --- EventBridge -> SQS -> Lambda (findings, API calls).

  /**
   * The queue EventBridge delivers a rule's events to, read by `fn` in batches. Encrypted with SSE-SQS:
   * EventBridge cannot send to a queue under the AWS managed key aws/sqs (a customer key would need a policy
   * for events.amazonaws.com). A record the handler cannot apply comes back after the visibility timeout,
   * and after MAX_RECEIVE_COUNT receives moves to the dead-letter queue, whose alarm goes to the alarm topic.
   */
  private eventQueue(id: string, fn: lambda.IFunction, functionTimeout: Duration, batching: QueueBatching): sqs.Queue {
    const deadLetters = this.queue(`${id}DeadLetters`, `records ${fn.node.id} could not apply after ${MAX_RECEIVE_COUNT} receives (redrive them: see docs/operations.md)`);
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: queueVisibilityTimeout(functionTimeout, batching.windowSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: batching.batchSize,
        maxBatchingWindow: batching.windowSeconds > 0 ? Duration.seconds(batching.windowSeconds) : undefined,
        maxConcurrency: batching.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    return queue;
  }

  /** The rule's target: the queue, with EventBridge's own retries and dead-letter queue for events it could not send. */
  private queueTarget(ruleId: string, queue: sqs.IQueue): targets.SqsQueue {
    return new targets.SqsQueue(queue, this.ruleDelivery(ruleId, queue.node.id));
  }

  private backlogAlarm(id: string, record: string, queue: sqs.Queue, windowSeconds: number): void {
    const threshold = queueVisibilityTimeout(QUEUE_HANDLER_TIMEOUT, windowSeconds).plus(BACKLOG_ALARM_MARGIN);
    this.backlogAlarms.push(
      this.alarm(
        id,
        `The oldest ${record} in ${queue.node.id} waited more than ${Math.round(threshold.toSeconds() / 60)} minutes: it failed more than once, or nothing is reading the queue (see docs/operations.md)`,
        queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold.toSeconds(),
      ),
    );
  }

  private alarm(id: string, description: string, metric: cloudwatch.IMetric, threshold = 0): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `${id}Alarm`, {
      alarmDescription: `Macie alerts pipeline (category PIPELINE): ${description}`,
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }

  private logsMetric(metricName: 'DeliveryErrors' | 'DeliveryThrottling'): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Logs',
      metricName,
      dimensionsMap: { LogGroupName: MACIE_JOB_LOG_GROUP, DestinationType: 'Lambda', FilterName: 'macie-alerts-job-log' },
      period: Duration.minutes(5),
      statistic: 'Sum',
    });
  }

  private subscribe(kind: SubscriberKind, subscriber: Subscriber): void {
    const json = alertFilterPolicy(subscriber, kind);
    const filterPolicy = json ? Object.fromEntries(Object.entries(json).map(([k, v]) => [k, new sns.SubscriptionFilter(v)])) : undefined;
    const make = (options: { filterPolicy?: Record<string, sns.SubscriptionFilter> }): sns.ITopicSubscription =>
      kind === 'email'
        ? new subs.EmailSubscription(subscriber.endpoint, options)
        : kind === 'sms'
          ? new subs.SmsSubscription(subscriber.endpoint, options)
          : new subs.UrlSubscription(subscriber.endpoint, { ...options, protocol: sns.SubscriptionProtocol.HTTPS });
    this.alertTopic.addSubscription(make(filterPolicy ? { filterPolicy } : {}));
    this.alarmTopic.addSubscription(make({}));
  }

  private chat(slack: SlackChannel | undefined, teams: TeamsChannel | undefined): void {
    const stack = Stack.of(this);
    // Notifications only: the channel role may do nothing, and the guardrail caps channel members at nothing.
    const role = new iam.Role(this, 'ChatRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: 'Amazon Q Developer in chat applications: posts Macie alerts, no other permissions',
    });
    const guardrail = new iam.ManagedPolicy(this, 'ChatGuardrail', {
      description: 'Caps what chat channel members can do through Amazon Q Developer: nothing (notifications only)',
      statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['*'], resources: ['*'] })],
    });
    const topics = [this.alertTopic, this.alarmTopic];
    const baseName = Token.isUnresolved(stack.stackName) ? 'MacieAlerts' : stack.stackName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 100);
    if (slack) {
      new chatbot.SlackChannelConfiguration(this, 'SlackChannel', {
        slackChannelConfigurationName: `${baseName}-slack`,
        slackWorkspaceId: slack.workspaceId,
        slackChannelId: slack.channelId,
        role,
        guardrailPolicies: [guardrail],
        notificationTopics: topics,
        loggingLevel: chatbot.LoggingLevel.ERROR,
      });
    }
    if (teams) {
      new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, 'TeamsChannel', {
        configurationName: `${baseName}-teams`,
        iamRoleArn: role.roleArn,
        teamsTenantId: teams.tenantId,
        teamId: teams.teamId,
        teamsChannelId: teams.channelId,
        guardrailPolicies: [guardrail.managedPolicyArn],
        snsTopicArns: topics.map((t) => t.topicArn),
        loggingLevel: 'ERROR',
      });
    }
  }

  /**
   * Every queue queue() made, with what it holds, told from how it is wired (so a queue added anywhere in the
   * construct needs nothing more): an SQS queue's dead-letter queue; a function's on-failure destination; or
   * the dead-letter queue of an EventBridge rule target (a function, or a queue). A queue that is none of
   * these fails the synth rather than being left out of the list.
   */
  private failureQueues(): { readonly queue: sqs.Queue; readonly entry: FailureQueue }[] {
    const stack = Stack.of(this);
    const same = (a: unknown, b: unknown) => JSON.stringify(stack.resolve(a)) === JSON.stringify(stack.resolve(b));
    const all = this.node.findAll();
    const queues = all.filter((c): c is sqs.Queue => c instanceof sqs.Queue);
    const onFailure = all
      .filter((c): c is lambda.CfnEventInvokeConfig => c instanceof lambda.CfnEventInvokeConfig)
      .map((c) => ({ functionName: c.functionName, destination: (stack.resolve(c.destinationConfig) as { onFailure?: { destination?: unknown } } | undefined)?.onFailure?.destination }));
    const ruleTargets = all
      .filter((c): c is events.CfnRule => c instanceof events.CfnRule)
      .flatMap((rule) => ((stack.resolve(rule.targets) ?? []) as { arn: unknown; deadLetterConfig?: { arn?: unknown } }[]).map((t) => ({ rule, ...t })));
    const describe = (queue: sqs.Queue): FailureQueue => {
      const url = queue.queueUrl;
      const source = queues.find((q) => q.deadLetterQueue?.queue === queue);
      if (source) return { name: kebabCase(source.node.id), kind: 'sqs-dead-letter', url, source: source.queueArn };
      const config = onFailure.find((c) => same(c.destination, queue.queueArn));
      if (config) {
        const owner = this.functions.find((f) => same(f.fn.functionName, config.functionName));
        return { name: owner?.label ?? kebabCase(queue.node.id), kind: 'lambda-on-failure', url, function: config.functionName };
      }
      const target = ruleTargets.find((t) => t.deadLetterConfig && same(t.deadLetterConfig.arn, queue.queueArn));
      const fn = target && this.functions.find((f) => same(f.fn.functionArn, target.arn));
      const targetQueue = target && queues.find((q) => same(q.queueArn, target.arn));
      if (target && (fn || targetQueue)) {
        const to = fn ? { function: fn.fn.functionName } : { queue: targetQueue!.queueUrl };
        return { name: kebabCase(target.rule.node.scope!.node.id), kind: 'eventbridge-dead-letter', url, ...to };
      }
      throw new Error(`MacieAlerts: queue ${queue.node.path} is no dead-letter or on-failure queue of anything in the construct: redrive would not know what to do with it`);
    };
    const list = [...this.failureQueueSet].map((queue) => ({ queue, entry: describe(queue) }));
    const names = list.map((q) => q.entry.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw new Error(`MacieAlerts: two failure queues would be named ${twice}`);
    return list;
  }

  /** The failure queues as one JSON output, computed at synth, read by `macie-alerts redrive`. */
  private failureQueuesOutput(): void {
    new CfnOutput(this, FAILURE_QUEUES_OUTPUT, {
      value: Lazy.string({ produce: () => Stack.of(this).toJsonString(this.failureQueues().map((q) => q.entry)) }),
      description: 'Failure and dead-letter queues, and what each holds (read by `macie-alerts redrive`)',
    });
  }

  private pipelineDashboard(): cloudwatch.Dashboard {
    const stack = Stack.of(this);
    // Dashboard names are global to the account: the Region keeps one stack per Region apart.
    const base = Token.isUnresolved(stack.stackName) || Token.isUnresolved(stack.region) || !stack.stackName.includes(stack.region) ? `${stack.stackName}-${stack.region}` : stack.stackName;
    const dashboardName = this.node.id === 'MacieAlerts' ? base : `${base}-${this.node.id}`;
    const byFunction = (fn: lambda.IFunction) => this.functions.find((f) => f.fn === fn)!;
    const { dashboard } = new PipelineDashboard(this, 'Dashboard', {
      dashboardName,
      stackName: stack.stackName,
      region: stack.region,
      functions: this.functions,
      eventFunctions: this.functions.filter((f) => f.fn !== this.sweeper),
      jobLog: byFunction(this.jobLogHandler),
      queueFunctions: [this.findingsHandler, this.apiCallHandler].flatMap((fn) => (fn ? [byFunction(fn)] : [])),
      eventQueues: [
        { name: 'findings', queue: this.findingsQueue },
        ...(this.apiCallQueue ? [{ name: 'api-calls', queue: this.apiCallQueue }] : []),
      ],
      backlogAlarms: this.backlogAlarms,
      apiCalls: this.apiCallHandler !== undefined,
      queues: this.failureQueues().map(({ queue, entry }) => ({ name: entry.name, queue })),
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
        reason: 'The CDK AwsCustomResource provider (creates the Macie job log group once) writes its own logs with the basic execution role; its only other permission is logs:CreateLogGroup on that one group.',
      });
    }
  }
}

/** Powertools' `service` of a handler, which its plain metrics carry as a dimension. */
function serviceName(name: FunctionName): string {
  return `macie-alerts-${name}`;
}

/** FindingRuleDeadLetters -> finding-rule-dead-letters. */
function kebabCase(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
