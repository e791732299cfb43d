import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { ALERT_CATEGORIES, type AlertCategory } from '../lambda/core/alert';
import { JOB_EVENT_TYPES } from '../lambda/job-log/event-types';
import { isSeverity, type Severity } from '../lambda/core/severity';
import {
  DEFAULT_BATCHING,
  parseSeverityOverrides,
  resolveBatching,
  resolveSettings,
  SettingsError,
  severitySetting,
  type BatchingSettings,
  type PipelineSettings,
} from '../lambda/core/settings';
import type { MacieAlertsProps } from './macie-alerts-props';
import { REGION_NAME } from './region-name';

/**
 * Turns plain settings (CDK context, or the replay CLI's --config file) into MacieAlerts props. Pure: an
 * object in, props out, no CDK app. Every error is a SettingsError naming the setting and the bad value,
 * so `cdk synth` fails with a message a user can act on.
 */

/** One email address, phone number or HTTPS URL, and what it wants to receive. */
export interface Subscriber {
  /** Email address, E.164 phone number or https:// URL. */
  readonly endpoint: string;
  /**
   * Alerts below this severity are not delivered to this subscriber.
   * @default 'INFO' (everything)
   */
  readonly minSeverity?: Severity;
  /**
   * Only alerts of these categories are delivered (PIPELINE is always added: a broken pipeline concerns
   * everyone who relies on it).
   * @default - every category
   */
  readonly categories?: readonly AlertCategory[];
}

export type SubscriberKind = 'email' | 'sms' | 'https';

/** Every context key the app reads; docs/settings.md documents each (test/docs checks it). */
export const CONTEXT_KEYS = [
  'alertEmails',
  'alertSmsNumbers',
  'alertHttpsEndpoints',
  'slackWorkspaceId',
  'slackChannelId',
  'teamsTenantId',
  'teamsTeamId',
  'teamsChannelId',
  'chatMinSeverity',
  'minFindingSeverity',
  'repeatIntervalMinutes',
  'policyFindingRepeatHours',
  'longRunningRunHours',
  'stateRetentionDays',
  'severityOverrides',
  'knownErrors',
  'findingAlertsPer',
  'digestHourUtc',
  'smsMaxPerHour',
  'sweeperRateMinutes',
  'apiCallAlerts',
  'healthEventAlerts',
  'regions',
  'removalPolicy',
  'logRetentionDays',
  'logLevel',
  'dashboard',
  // How Lambda reads the findings and API-call queues (BatchingSettings).
  'findingsBatchSize',
  'findingsBatchWindowSeconds',
  'findingsMaxConcurrency',
  'apiCallsBatchSize',
  'apiCallsBatchWindowSeconds',
  'apiCallsMaxConcurrency',
] as const;

/** What the settings describe, in the context keys' units; settingsToProps makes the construct's props of it. */
export interface ParsedSettings extends BatchingSettings {
  readonly pipelineSettings: PipelineSettings;
  readonly emailSubscribers: readonly Subscriber[];
  readonly smsSubscribers: readonly Subscriber[];
  readonly httpsSubscribers: readonly Subscriber[];
  readonly slack?: { readonly workspaceId: string; readonly channelId: string };
  readonly teams?: { readonly tenantId: string; readonly teamId: string; readonly channelId: string };
  readonly chatMinSeverity: Severity;
  readonly sweeperRateMinutes: number;
  readonly apiCallAlerts: boolean;
  readonly healthEventAlerts: boolean;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetentionDays: number;
  readonly logLevel: LogLevel;
  readonly dashboard: boolean;
  /** Regions to deploy to (one stack each); empty means the CLI's default Region. */
  readonly regions: readonly string[];
}

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Retention values CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const DEFAULT_SWEEPER_RATE_MINUTES = 60;
export const DEFAULT_LOG_RETENTION_DAYS = 30;

const EMAIL = /^[^\s@:,]+@[^\s@:,]+\.[^\s@:,]+$/;
const E164 = /^\+[1-9][0-9]{6,14}$/;
const SLACK_WORKSPACE = /^[0-9A-Z]{1,255}$/;
const SLACK_CHANNEL = /^[A-Za-z0-9]+$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Validates one endpoint for its kind; the construct uses it too, so props and context agree. `entry` is what
 * the user wrote for this subscriber (e.g. `nobody:HIGH`), quoted whole in the error.
 */
export function validateEndpoint(setting: string, kind: SubscriberKind, endpoint: string, entry: unknown = endpoint): void {
  const ok = kind === 'email' ? EMAIL.test(endpoint) : kind === 'sms' ? E164.test(endpoint) : isHttpsUrl(endpoint);
  if (!ok) {
    const expected = kind === 'email' ? 'an email address' : kind === 'sms' ? 'a phone number in E.164 form (+12065550100)' : 'an https:// URL';
    throw new SettingsError(setting, entry, `${entry === endpoint ? '' : `"${endpoint}": `}expected ${expected}`);
  }
}

/*
 * The checkers below are shared with the construct (MacieAlerts), so a value is refused with the same message
 * whether it came from context or from props. Each takes the value as the caller resolved it (default
 * applied) and, where the caller parsed it from text, what the user wrote, which the message quotes.
 */

/** A severity in any case (`high`), as the scale spells it (`HIGH`). */
export function checkSeverity(setting: string, value: unknown): Severity {
  return severitySetting(setting, value);
}

export function checkSweeperRateMinutes(minutes: number, given: unknown = minutes): number {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    throw new SettingsError('sweeperRateMinutes', given, 'expected a whole number from 1 to 1440');
  }
  return minutes;
}

export function checkLogRetentionDays(days: number, given: unknown = days): number {
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(days)) {
    throw new SettingsError('logRetentionDays', given, `expected one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  return days;
}

export function checkLogLevel(level: unknown): LogLevel {
  const upper = typeof level === 'string' ? level.trim().toUpperCase() : level;
  if (!(LOG_LEVELS as readonly unknown[]).includes(upper)) throw new SettingsError('logLevel', level, `expected one of ${LOG_LEVELS.join(', ')}`);
  return upper as LogLevel;
}

function isHttpsUrl(text: string): boolean {
  try {
    return new URL(text).protocol === 'https:' && !/\s/.test(text);
  } catch {
    return false;
  }
}

function isCategory(value: unknown): value is AlertCategory {
  return typeof value === 'string' && (ALERT_CATEGORIES as readonly string[]).includes(value);
}

/** `entry` is the whole subscriber entry the categories are part of: the error quotes it, not a fragment. */
function categoriesOf(setting: string, value: unknown, entry: unknown = value): AlertCategory[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? value.split('|').map((s) => s.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new SettingsError(setting, entry, `expected a non-empty list of categories (${ALERT_CATEGORIES.join(', ')})`);
  }
  for (const c of list) {
    if (!isCategory(c)) throw new SettingsError(setting, entry, `"${String(c)}" is not a category (${ALERT_CATEGORIES.join(', ')})`);
  }
  return [...new Set(list as AlertCategory[])];
}

/** A subscriber and what the user wrote for it, which an error about it quotes whole. */
type SubscriberEntry = { readonly subscriber: Subscriber; readonly entry: unknown };

/**
 * A suffix of the short form: a severity in any case, or categories (UPPER_CASE). Anything else is part of
 * the endpoint, so ports and paths of URLs are left alone.
 */
function isSuffix(part: string): boolean {
  return isSeverity(part.toUpperCase()) || /^[A-Z_|]+$/.test(part);
}

/**
 * Short form for `-c`: "a@x.com:MEDIUM,b@y.com" and, with categories, "a@x.com:HIGH:API_CALL|POLICY_FINDING".
 * Suffixes are read from the right (isSuffix).
 */
function parseShortForm(setting: string, text: string): SubscriberEntry[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      const parts = entry.split(':');
      const suffixes: string[] = [];
      while (parts.length > 1 && suffixes.length < 2 && isSuffix(parts[parts.length - 1])) {
        suffixes.unshift(parts.pop() as string);
      }
      const endpoint = parts.join(':');
      const [severityText, categoryText] = suffixes;
      if (severityText !== undefined && !isSeverity(severityText.toUpperCase())) {
        throw new SettingsError(setting, entry, `"${severityText}" is not a severity (INFO, LOW, MEDIUM, HIGH)`);
      }
      const subscriber = {
        endpoint,
        ...(severityText !== undefined ? { minSeverity: severityText.toUpperCase() as Severity } : {}),
        ...(categoryText !== undefined ? { categories: categoriesOf(setting, categoryText, entry) } : {}),
      };
      return { subscriber, entry };
    });
}

/** Accepts an array of {endpoint, minSeverity?, categories?} (or its JSON), or the short form. */
export function parseSubscribers(setting: string, kind: SubscriberKind, value: unknown): Subscriber[] {
  if (value === undefined || value === null || value === '') return [];
  let list: SubscriberEntry[];
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new SettingsError(setting, value, 'not valid JSON');
      }
      return parseSubscribers(setting, kind, parsed);
    }
    list = parseShortForm(setting, text);
  } else if (Array.isArray(value)) {
    list = value.map((item, i) => {
      if (typeof item === 'string') return parseShortForm(`${setting}[${i}]`, item)[0] ?? { subscriber: { endpoint: '' }, entry: item };
      if (typeof item !== 'object' || item === null || typeof (item as { endpoint?: unknown }).endpoint !== 'string') {
        throw new SettingsError(`${setting}[${i}]`, item, 'expected {"endpoint": "...", "minSeverity"?: "...", "categories"?: [...]}');
      }
      const { endpoint, minSeverity, categories, ...rest } = item as Record<string, unknown>;
      const unknownKeys = Object.keys(rest);
      if (unknownKeys.length > 0) throw new SettingsError(`${setting}[${i}]`, item, `unknown field ${unknownKeys[0]}`);
      const subscriber = {
        endpoint: endpoint as string,
        ...(minSeverity !== undefined ? { minSeverity: checkSeverity(`${setting}[${i}].minSeverity`, minSeverity) } : {}),
        ...(categories !== undefined ? { categories: categoriesOf(`${setting}[${i}].categories`, categories) } : {}),
      };
      return { subscriber, entry: item };
    });
  } else {
    throw new SettingsError(setting, value, 'expected a JSON array of {endpoint, minSeverity?, categories?} or "endpoint[:SEVERITY],..."');
  }
  const seen = new Set<string>();
  for (const { subscriber, entry } of list) {
    validateEndpoint(setting, kind, subscriber.endpoint, entry);
    if (seen.has(subscriber.endpoint)) throw new SettingsError(setting, entry, `"${subscriber.endpoint}" is listed twice`);
    seen.add(subscriber.endpoint);
  }
  return list.map(({ subscriber }) => subscriber);
}

function optionalId(setting: string, value: unknown, pattern: RegExp, expected: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  // `-c slackChannelId=C0123` arrives as a string, but a numeric-looking id from cdk.json may be a number.
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !pattern.test(text)) throw new SettingsError(setting, value, `expected ${expected}`);
  return text;
}

function optionalSeverity(setting: string, value: unknown, fallback: Severity): Severity {
  if (value === undefined || value === '') return fallback;
  return checkSeverity(setting, value);
}

function bool(setting: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new SettingsError(setting, value, 'expected true or false');
}

/** A number from context (where `-c key=30` arrives as text); NaN when it is not one, so the check refuses it. */
function numberOr(value: unknown, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  return typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
}

function integerIn(setting: string, value: unknown, fallback: number, min: number, max: number): number {
  const n = numberOr(value, fallback);
  if (!Number.isInteger(n) || n < min || n > max) throw new SettingsError(setting, value, `expected a whole number from ${min} to ${max}`);
  return n;
}

function removalPolicy(value: unknown): RemovalPolicy {
  const lower = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (lower === undefined || lower === '' || lower === 'retain') return RemovalPolicy.RETAIN;
  if (lower === 'destroy') return RemovalPolicy.DESTROY;
  throw new SettingsError('removalPolicy', value, 'expected retain or destroy');
}

function regions(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  let list: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        list = JSON.parse(text);
      } catch {
        throw new SettingsError('regions', value, 'not valid JSON');
      }
    } else {
      list = text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    }
  }
  if (!Array.isArray(list)) throw new SettingsError('regions', value, 'expected a comma-separated list of Regions (us-east-1,eu-west-1)');
  for (const r of list) {
    if (typeof r !== 'string' || !REGION_NAME.test(r)) throw new SettingsError('regions', value, `"${String(r)}" is not a Region name`);
  }
  return [...new Set(list as string[])];
}

export function parseSettings(input: Readonly<Record<string, unknown>>): ParsedSettings {
  const slackWorkspaceId = optionalId('slackWorkspaceId', input.slackWorkspaceId, SLACK_WORKSPACE, 'a Slack workspace id (e.g. T01ABCDEF)');
  const slackChannelId = optionalId('slackChannelId', input.slackChannelId, SLACK_CHANNEL, 'a Slack channel id (e.g. C01ABCDEF)');
  if ((slackWorkspaceId === undefined) !== (slackChannelId === undefined)) {
    const missing = slackWorkspaceId === undefined ? 'slackWorkspaceId' : 'slackChannelId';
    throw new SettingsError(missing, undefined, 'Slack needs both slackWorkspaceId and slackChannelId');
  }
  const teamsTenantId = optionalId('teamsTenantId', input.teamsTenantId, UUID, 'a Microsoft Teams tenant id (a UUID)');
  const teamsTeamId = optionalId('teamsTeamId', input.teamsTeamId, UUID, 'a Microsoft Teams team id (a UUID)');
  const teamsChannelId = teamsChannel(input.teamsChannelId);
  const teamsGiven = [teamsTenantId, teamsTeamId, teamsChannelId].filter((v) => v !== undefined).length;
  if (teamsGiven !== 0 && teamsGiven !== 3) {
    const missing = teamsTenantId === undefined ? 'teamsTenantId' : teamsTeamId === undefined ? 'teamsTeamId' : 'teamsChannelId';
    throw new SettingsError(missing, undefined, 'Microsoft Teams needs teamsTenantId, teamsTeamId and teamsChannelId');
  }
  const logRetentionDays = checkLogRetentionDays(
    integerIn('logRetentionDays', input.logRetentionDays, DEFAULT_LOG_RETENTION_DAYS, 1, 3653),
    input.logRetentionDays,
  );
  const logLevel = checkLogLevel(input.logLevel === undefined || input.logLevel === '' ? 'INFO' : input.logLevel);
  return {
    pipelineSettings: resolveSettings({
      minFindingSeverity: emptyToUndefined(input.minFindingSeverity),
      repeatIntervalMinutes: emptyToUndefined(input.repeatIntervalMinutes),
      policyFindingRepeatHours: emptyToUndefined(input.policyFindingRepeatHours),
      longRunningRunHours: emptyToUndefined(input.longRunningRunHours),
      stateRetentionDays: emptyToUndefined(input.stateRetentionDays),
      severityOverrides: parseSeverityOverrides('severityOverrides', input.severityOverrides),
      knownErrors: emptyToUndefined(input.knownErrors),
      findingAlertsPer: emptyToUndefined(input.findingAlertsPer),
      digestHourUtc: emptyToUndefined(input.digestHourUtc),
      smsMaxPerHour: emptyToUndefined(input.smsMaxPerHour),
    }),
    emailSubscribers: parseSubscribers('alertEmails', 'email', input.alertEmails),
    smsSubscribers: parseSubscribers('alertSmsNumbers', 'sms', input.alertSmsNumbers),
    httpsSubscribers: parseSubscribers('alertHttpsEndpoints', 'https', input.alertHttpsEndpoints),
    ...(slackWorkspaceId && slackChannelId ? { slack: { workspaceId: slackWorkspaceId, channelId: slackChannelId } } : {}),
    ...(teamsTenantId && teamsTeamId && teamsChannelId ? { teams: { tenantId: teamsTenantId, teamId: teamsTeamId, channelId: teamsChannelId } } : {}),
    chatMinSeverity: optionalSeverity('chatMinSeverity', input.chatMinSeverity, 'INFO'),
    sweeperRateMinutes: checkSweeperRateMinutes(numberOr(input.sweeperRateMinutes, DEFAULT_SWEEPER_RATE_MINUTES), input.sweeperRateMinutes),
    apiCallAlerts: bool('apiCallAlerts', input.apiCallAlerts, true),
    healthEventAlerts: bool('healthEventAlerts', input.healthEventAlerts, true),
    removalPolicy: removalPolicy(input.removalPolicy),
    logRetentionDays,
    logLevel,
    dashboard: bool('dashboard', input.dashboard, true),
    regions: regions(input.regions),
    ...resolveBatching(Object.fromEntries(Object.keys(DEFAULT_BATCHING).map((key) => [key, emptyToUndefined(input[key])]))),
  };
}

/** CloudFormation wants the channel id URL-encoded (19%3A...%40thread.tacv2); Teams shows it decoded. */
export const TEAMS_CHANNEL_ID = /^[a-zA-Z0-9\-_=+/.,]*%3[aA][a-zA-Z0-9\-_=+/.,]*%40[a-zA-Z0-9\-_=+/.,]*$/;

function teamsChannel(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const encoded = typeof value === 'string' ? (value.includes(':') || value.includes('@') ? encodeURIComponent(value) : value) : '';
  if (!TEAMS_CHANNEL_ID.test(encoded)) throw new SettingsError('teamsChannelId', value, 'expected a Microsoft Teams channel id (19:...@thread.tacv2)');
  return encoded;
}

function emptyToUndefined(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}

/** Context keys CDK and its CLI set themselves: feature flags (@...), aws:cdk:..., lookups (a:b), telemetry. */
function isCdkOwnKey(key: string): boolean {
  return key.startsWith('@') || key.includes(':') || key === 'cli-telemetry' || key === 'acknowledged-issue-numbers';
}

/**
 * A mistyped setting (`-c alertEmail=...`) would deploy without subscribers and nobody would know: every
 * context key that is neither ours nor CDK's fails the synth, with the setting it probably meant.
 */
export function checkContextKeys(context: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(context)) {
    if (isCdkOwnKey(key) || (CONTEXT_KEYS as readonly string[]).includes(key)) continue;
    const near = closestKey(key);
    throw new SettingsError(key, value, `unknown setting${near ? `; did you mean ${near}?` : ''} (see the README's Settings)`);
  }
}

function closestKey(key: string): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const candidate of CONTEXT_KEYS) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (!best || d < best.d) best = { key: candidate, d };
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * Settings that deploy but are probably not what was meant: worth a line at synth, not a failure. `given` is
 * what the user wrote (the context), for what the parsed settings cannot tell (a default set explicitly).
 */
export function settingsWarnings(settings: ParsedSettings, given: Readonly<Record<string, unknown>> = {}): string[] {
  const warnings: string[] = [];
  // Overrides for event types Macie does not publish (yet) are kept: Macie adds types.
  for (const type of Object.keys(settings.pipelineSettings.severityOverrides)) {
    if (Object.hasOwn(JOB_EVENT_TYPES, type)) continue;
    warnings.push(`severityOverrides: ${type} is not a Macie job event type this version knows (a typo?); it applies only if Macie publishes it`);
  }
  const chat = settings.slack !== undefined || settings.teams !== undefined;
  const subscribers = settings.emailSubscribers.length + settings.smsSubscribers.length + settings.httpsSubscribers.length;
  if (subscribers === 0 && !chat) {
    warnings.push(
      'no subscribers: alerts are published to the alert topic and nobody receives them; set alertEmails, alertSmsNumbers, ' +
        'alertHttpsEndpoints or a Slack or Teams channel, or subscribe to the AlertTopicArn output yourself',
    );
  }
  if (!chat && given.chatMinSeverity !== undefined && given.chatMinSeverity !== '') {
    warnings.push(
      `chatMinSeverity=${settings.chatMinSeverity} does nothing without a chat channel: set slackWorkspaceId and slackChannelId, or the three teams* settings`,
    );
  }
  return warnings;
}

/** The construct's props of parsed settings: the context keys' numbers become Durations and RetentionDays (Regions are the app's). */
export function settingsToProps(settings: ParsedSettings): MacieAlertsProps {
  const {
    regions: _regions,
    pipelineSettings,
    sweeperRateMinutes,
    findingsBatchWindowSeconds,
    apiCallsBatchWindowSeconds,
    logRetentionDays,
    ...same
  } = settings;
  const { repeatIntervalMinutes, policyFindingRepeatHours, longRunningRunHours, stateRetentionDays, ...untimed } = pipelineSettings;
  return {
    ...same,
    pipelineSettings: {
      ...untimed,
      repeatInterval: Duration.minutes(repeatIntervalMinutes),
      policyFindingRepeat: Duration.hours(policyFindingRepeatHours),
      longRunningRun: Duration.hours(longRunningRunHours),
      stateRetention: Duration.days(stateRetentionDays),
    },
    sweeperRate: Duration.minutes(sweeperRateMinutes),
    findingsBatchingWindow: Duration.seconds(findingsBatchWindowSeconds),
    apiCallsBatchingWindow: Duration.seconds(apiCallsBatchWindowSeconds),
    logRetention: logRetentionDays as logs.RetentionDays,
  };
}
