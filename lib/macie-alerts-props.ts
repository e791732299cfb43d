import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import {
  resolveBatching,
  resolveSettings,
  SettingsError,
  type BatchingSettings,
  type FindingAlertsPer,
  type KnownErrors,
  type PipelineSettings,
} from '../lambda/core/settings';
import type { Severity } from '../lambda/core/severity';
import type { SlackChannel, TeamsChannel } from './alert-topics';
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

/** PipelineSettings as props: times as Durations; each unset one takes DEFAULT_SETTINGS' value. */
export interface PipelineSettingsProps {
  /** Findings below this severity are not alerted (the EventBridge pattern filters them first). @default 'LOW' */
  readonly minFindingSeverity?: Severity;
  /** A growing group gets at most one "still occurring" alert per this much event time (up to 7 days). @default Duration.hours(1) */
  readonly repeatInterval?: Duration;
  /** A recurring policy finding alerts at most once per this long (up to 30 days). @default Duration.days(1) */
  readonly policyFindingRepeat?: Duration;
  /** The sweeper reports a run RUNNING (or PAUSED by quota) longer than this (up to 60 days). @default Duration.days(1) */
  readonly longRunningRun?: Duration;
  /** State items expire (DynamoDB TTL) this long after their last update (up to 3650 days). @default Duration.days(90) */
  readonly stateRetention?: Duration;
  /** Severity per Macie job event type, replacing the default of the classification table. @default - none */
  readonly severityOverrides?: Readonly<Record<string, Severity>>;
  /** What a known error group does (PipelineSettings.knownErrors). @default 'summary' */
  readonly knownErrors?: KnownErrors;
  /** The hour (UTC, 0 to 23) of the daily digest of the 24 hours before it. @default - no digest */
  readonly digestHourUtc?: number;
  /** SMS subscribers receive at most this many alerts per fixed UTC hour (0 to 100; 0: no budget). @default 10 */
  readonly smsMaxPerHour?: number;
  /** A job run's sensitive-data findings: one roll-up alert per finding type ('type'), or one alert per bucket ('bucket'). @default 'type' */
  readonly findingAlertsPer?: FindingAlertsPer;
}

export interface MacieAlertsProps {
  /**
   * Pipeline behaviour (thresholds, repeat intervals, retention, severity overrides, knownErrors,
   * findingAlertsPer, the daily digest's hour); validated with resolveSettings and passed to the handlers as environment variables.
   * @default DEFAULT_SETTINGS (no digest)
   */
  readonly pipelineSettings?: PipelineSettingsProps;
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
   * How often the sweeper looks for stuck runs and undelivered alerts: whole minutes, 1 minute to 1 day.
   * @default Duration.hours(1)
   */
  readonly sweeperRate?: Duration;
  /**
   * Alert on security-relevant Macie API calls (CloudTrail, including read-only reveals).
   * @default true
   */
  readonly apiCallAlerts?: boolean;
  /**
   * Alert on AWS Health events about Macie (service issues, notices about the account, a paused job about
   * to expire).
   * @default true
   */
  readonly healthEventAlerts?: boolean;
  /**
   * What `cdk destroy` does with the state table, the topic key and the handlers' log groups. Macie's job log
   * group is never deleted (the log group of the custom resource that creates it always is).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the handlers' own log groups (context key `logRetentionDays`, in days).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
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
   * How long Lambda waits to fill a findings batch: whole seconds, 0 to 5 minutes. The first alert of a group
   * waits up to this long.
   * @default Duration.seconds(10)
   */
  readonly findingsBatchingWindow?: Duration;
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
   * How long Lambda waits to fill an API-call batch: whole seconds, 0 to 5 minutes; 0 sends what is in the
   * queue at once.
   * @default Duration.seconds(0)
   */
  readonly apiCallsBatchingWindow?: Duration;
  /**
   * Concurrent API-call invocations, at most (2 to 1,000).
   * @default 2
   */
  readonly apiCallsMaxConcurrency?: number;
}

/** The props checked and completed with their defaults: what the parts of MacieAlerts are made from. */
export interface ResolvedProps {
  readonly settings: PipelineSettings;
  readonly batching: BatchingSettings;
  readonly chatMinSeverity: Severity;
  readonly sweeperRate: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly logLevel: LogLevel;
  readonly bundleAwsSdk: boolean;
  readonly removalPolicy: RemovalPolicy;
  /** Each kind's subscribers, severities spelled as the filter policies need them. */
  readonly subscribers: readonly (readonly [SubscriberKind, readonly Subscriber[]])[];
}

/** Every prop checked with the checks the context parser uses, so props and context fail alike. */
export function resolveProps(props: MacieAlertsProps): ResolvedProps {
  const settings = resolveSettings(settingsInput(props.pipelineSettings ?? {}));
  const batching = resolveBatching(batchingInput(props));
  const chatMinSeverity = checkSeverity('chatMinSeverity', props.chatMinSeverity ?? 'INFO');
  const sweeperRateMinutes = checkSweeperRateMinutes(props.sweeperRate?.toMinutes({ integral: false }) ?? DEFAULT_SWEEPER_RATE_MINUTES);
  const logRetention = checkLogRetentionDays(props.logRetention ?? DEFAULT_LOG_RETENTION_DAYS) as logs.RetentionDays;
  const logLevel = checkLogLevel(props.logLevel ?? 'INFO');
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
    return [kind, checked] as const;
  });
  if (props.teams && !TEAMS_CHANNEL_ID.test(props.teams.channelId)) {
    throw new SettingsError('teams.channelId', props.teams.channelId, 'expected the URL-encoded channel id (19%3A...%40thread.tacv2)');
  }
  const bundleAwsSdk = props.bundleAwsSdk ?? false;
  return {
    settings,
    batching,
    chatMinSeverity,
    sweeperRate: Duration.minutes(sweeperRateMinutes),
    logRetention,
    logLevel,
    bundleAwsSdk,
    removalPolicy,
    subscribers,
  };
}

/** The props' settings in the units of the context keys, which resolveSettings checks. */
function settingsInput(given: PipelineSettingsProps): Partial<Record<keyof PipelineSettings, unknown>> {
  const { repeatInterval, policyFindingRepeat, longRunningRun, stateRetention, ...rest } = given;
  const inexact = { integral: false };
  return {
    ...rest,
    repeatIntervalMinutes: repeatInterval?.toMinutes(inexact),
    policyFindingRepeatHours: policyFindingRepeat?.toHours(inexact),
    longRunningRunHours: longRunningRun?.toHours(inexact),
    stateRetentionDays: stateRetention?.toDays(inexact),
  };
}

/** The props' batching in the units of the context keys, which resolveBatching checks. */
function batchingInput(props: MacieAlertsProps): Partial<Record<keyof BatchingSettings, unknown>> {
  const { findingsBatchSize, findingsMaxConcurrency, apiCallsBatchSize, apiCallsMaxConcurrency } = props;
  return {
    findingsBatchSize,
    findingsBatchWindowSeconds: props.findingsBatchingWindow?.toSeconds({ integral: false }),
    findingsMaxConcurrency,
    apiCallsBatchSize,
    apiCallsBatchWindowSeconds: props.apiCallsBatchingWindow?.toSeconds({ integral: false }),
    apiCallsMaxConcurrency,
  };
}
