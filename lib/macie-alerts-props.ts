import { RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { resolveBatching, resolveSettings, SettingsError, type BatchingSettings, type PipelineSettings } from '../lambda/core/settings';
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

export interface MacieAlertsProps {
  /**
   * Pipeline behaviour (thresholds, repeat intervals, retention, severity overrides, knownErrors, the daily
   * digest's hour `digestHourUtc`); validated with resolveSettings and passed to the handlers as environment
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

/** The props checked and completed with their defaults: what the parts of MacieAlerts are made from. */
export interface ResolvedProps {
  readonly settings: PipelineSettings;
  readonly batching: BatchingSettings;
  readonly chatMinSeverity: Severity;
  readonly sweeperRateMinutes: number;
  readonly logRetention: logs.RetentionDays;
  readonly logLevel: LogLevel;
  readonly bundleAwsSdk: boolean;
  readonly removalPolicy: RemovalPolicy;
  /** Each kind's subscribers, severities spelled as the filter policies need them. */
  readonly subscribers: readonly (readonly [SubscriberKind, readonly Subscriber[]])[];
}

/** Every prop checked with the checks the context parser uses, so props and context fail alike. */
export function resolveProps(props: MacieAlertsProps): ResolvedProps {
  const settings = resolveSettings(props.pipelineSettings ?? {});
  const batching = resolveBatching(props);
  const chatMinSeverity = checkSeverity('chatMinSeverity', props.chatMinSeverity ?? 'INFO');
  const sweeperRateMinutes = checkSweeperRateMinutes(props.sweeperRateMinutes ?? DEFAULT_SWEEPER_RATE_MINUTES);
  const logRetentionDays = checkLogRetentionDays(props.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS);
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
  return { settings, batching, chatMinSeverity, sweeperRateMinutes, logRetention: logRetentionDays as logs.RetentionDays, logLevel, bundleAwsSdk, removalPolicy, subscribers };
}
