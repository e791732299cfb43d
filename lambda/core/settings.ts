import { isSeverity, type Severity } from './severity';

/**
 * What the pipeline's behaviour depends on. The construct turns its props into these environment
 * variables (settingsToEnv), handlers read them once per container (settingsFromEnv), and the replay CLI
 * builds the same object from a config file: one definition, three users.
 */
export interface PipelineSettings {
  /** Findings below this severity are not alerted (the EventBridge pattern filters them first). */
  readonly minFindingSeverity: Severity;
  /** A growing group gets at most one "still occurring" alert per this many minutes of event time. */
  readonly repeatIntervalMinutes: number;
  /** A recurring policy finding alerts at most once per this many hours. */
  readonly policyFindingRepeatHours: number;
  /** The sweeper reports a run RUNNING (or PAUSED by quota) longer than this. */
  readonly longRunningRunHours: number;
  /** State items expire (DynamoDB TTL) this many days after their last update. */
  readonly stateRetentionDays: number;
  /** Severity per Macie job event type, replacing the default of the classification table. */
  readonly severityOverrides: Readonly<Record<string, Severity>>;
  /**
   * A periodic job's error group whose every resource failed the same way in the job's previous completed
   * run: `summary` reports it in the run summary only (no alert at once, summary at most MEDIUM); `alert`
   * alerts it like a new one.
   */
  readonly knownErrors: KnownErrors;
  /**
   * Sensitive-data findings of a job run: `type` alerts the first bucket of each finding type at once and
   * rolls further buckets of that type up into one alert per repeatIntervalMinutes; `bucket` alerts each
   * bucket's first finding on its own.
   */
  readonly findingAlertsPer: FindingAlertsPer;
  /**
   * The hour (UTC, 0 to 23) at which the sweeper sends the daily digest of the 24 hours before it; undefined:
   * no digest (the default).
   */
  readonly digestHourUtc: number | undefined;
  /**
   * SMS subscribers receive at most this many alerts per fixed UTC hour (0 to 100; 0: no budget). Past it,
   * alerts still go to every other channel, and the next sweep sends one SMS saying how many.
   */
  readonly smsMaxPerHour: number;
}

export const KNOWN_ERRORS = ['alert', 'summary'] as const;
export type KnownErrors = (typeof KNOWN_ERRORS)[number];
export const FINDING_ALERTS_PER = ['type', 'bucket'] as const;
export type FindingAlertsPer = (typeof FINDING_ALERTS_PER)[number];

export const DEFAULT_SETTINGS: PipelineSettings = {
  minFindingSeverity: 'LOW',
  repeatIntervalMinutes: 60,
  policyFindingRepeatHours: 24,
  longRunningRunHours: 24,
  stateRetentionDays: 90,
  severityOverrides: {},
  knownErrors: 'summary',
  findingAlertsPer: 'type',
  digestHourUtc: undefined,
  smsMaxPerHour: 10,
};

/**
 * With the digest on, state must outlive its window by up to two days: the digest of the 24 h before an hour
 * is built at the first sweep after it (a sweep may be a day apart) and may be the one catching up a day the
 * sweeper missed, so it reads alerts up to 3 days old.
 */
export const DIGEST_MIN_RETENTION_DAYS = 3;

/** Environment variable names set by the construct and read by the handlers. */
export const ENV = {
  tableName: 'STATE_TABLE_NAME',
  topicArn: 'ALERT_TOPIC_ARN',
  minFindingSeverity: 'MIN_FINDING_SEVERITY',
  repeatIntervalMinutes: 'REPEAT_INTERVAL_MINUTES',
  policyFindingRepeatHours: 'POLICY_FINDING_REPEAT_HOURS',
  longRunningRunHours: 'LONG_RUNNING_RUN_HOURS',
  stateRetentionDays: 'STATE_RETENTION_DAYS',
  severityOverrides: 'SEVERITY_OVERRIDES',
  knownErrors: 'KNOWN_ERRORS',
  findingAlertsPer: 'FINDING_ALERTS_PER',
  digestHourUtc: 'DIGEST_HOUR_UTC',
  smsMaxPerHour: 'SMS_MAX_PER_HOUR',
  /** The SMS subscriptions' filter policies (JSON array), set by the construct: what counts against the budget. */
  smsFilterPolicies: 'SMS_FILTER_POLICIES',
} as const;

export class SettingsError extends Error {
  constructor(
    readonly setting: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`Invalid setting ${setting}=${JSON.stringify(value)}: ${reason}`);
    this.name = 'SettingsError';
  }
}

function positiveNumber(setting: string, value: unknown, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > max) {
    throw new SettingsError(setting, value, `expected a number greater than 0 and at most ${max}`);
  }
  return n;
}

/** A severity as a setting gives it, in any case (`high`, `High`), spelled as the scale spells it. */
export function severitySetting(setting: string, value: unknown): Severity {
  const upper = typeof value === 'string' ? value.trim().toUpperCase() : value;
  if (!isSeverity(upper)) throw new SettingsError(setting, value, 'expected one of INFO, LOW, MEDIUM, HIGH');
  return upper;
}

function knownErrors(value: unknown): KnownErrors {
  const lower = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (!(KNOWN_ERRORS as readonly unknown[]).includes(lower)) throw new SettingsError('knownErrors', value, `expected ${KNOWN_ERRORS.join(' or ')}`);
  return lower as KnownErrors;
}

function findingAlertsPer(value: unknown): FindingAlertsPer {
  const lower = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (!(FINDING_ALERTS_PER as readonly unknown[]).includes(lower))
    throw new SettingsError('findingAlertsPer', value, `expected ${FINDING_ALERTS_PER.join(' or ')}`);
  return lower as FindingAlertsPer;
}

/** A whole hour of the UTC day, or off (undefined, '' or "off"). */
function digestHour(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '' || value === 'off') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d{1,2}\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 23) throw new SettingsError('digestHourUtc', value, 'expected a whole hour from 0 to 23 (UTC), or off');
  return n;
}

/** The SMS budget: a whole number of alerts per hour, 0 (no budget) to 100 (the counter keeps the ids it let through). */
function smsMaxPerHour(value: unknown): number {
  if (value === undefined || value === null || value === '') return DEFAULT_SETTINGS.smsMaxPerHour;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d{1,3}\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new SettingsError('smsMaxPerHour', value, 'expected a whole number of alerts from 0 (no budget) to 100');
  return n;
}

/** Accepts an object {EVENT_TYPE: SEVERITY}, its JSON, or "EVENT_TYPE=SEVERITY,..." (handy with `-c`). */
export function parseSeverityOverrides(setting: string, value: unknown): Record<string, Severity> {
  if (value === undefined || value === null || value === '') return {};
  let entries: [string, unknown][];
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('{')) {
      try {
        return parseSeverityOverrides(setting, JSON.parse(text));
      } catch (error) {
        if (error instanceof SettingsError) throw error;
        throw new SettingsError(setting, value, 'not valid JSON');
      }
    }
    entries = text.split(',').map((pair) => {
      const [key, sev] = pair.split('=').map((s) => s.trim());
      return [key, sev];
    });
  } else if (typeof value === 'object' && !Array.isArray(value)) {
    entries = Object.entries(value as Record<string, unknown>);
  } else {
    throw new SettingsError(setting, value, 'expected {"EVENT_TYPE": "SEVERITY"} or "EVENT_TYPE=SEVERITY,..."');
  }
  const result: Record<string, Severity> = Object.create(null);
  for (const [key, sev] of entries) {
    if (!/^[A-Z][A-Z0-9_]{1,63}$/.test(key ?? '')) {
      throw new SettingsError(setting, value, `"${key}" is not an event type (UPPER_SNAKE_CASE)`);
    }
    result[key] = severitySetting(`${setting}.${key}`, sev);
  }
  return { ...result };
}

/**
 * Validates and completes partial settings (from props, context or a config file). Every error names the
 * setting and the bad value.
 */
export function resolveSettings(input: Partial<Record<keyof PipelineSettings, unknown>> = {}): PipelineSettings {
  const d = DEFAULT_SETTINGS;
  const settings: PipelineSettings = {
    minFindingSeverity: input.minFindingSeverity === undefined ? d.minFindingSeverity : severitySetting('minFindingSeverity', input.minFindingSeverity),
    repeatIntervalMinutes:
      input.repeatIntervalMinutes === undefined ? d.repeatIntervalMinutes : positiveNumber('repeatIntervalMinutes', input.repeatIntervalMinutes, 7 * 24 * 60),
    policyFindingRepeatHours:
      input.policyFindingRepeatHours === undefined
        ? d.policyFindingRepeatHours
        : positiveNumber('policyFindingRepeatHours', input.policyFindingRepeatHours, 24 * 30),
    longRunningRunHours:
      input.longRunningRunHours === undefined ? d.longRunningRunHours : positiveNumber('longRunningRunHours', input.longRunningRunHours, 24 * 60),
    stateRetentionDays: input.stateRetentionDays === undefined ? d.stateRetentionDays : positiveNumber('stateRetentionDays', input.stateRetentionDays, 3650),
    severityOverrides: parseSeverityOverrides('severityOverrides', input.severityOverrides),
    knownErrors: input.knownErrors === undefined ? d.knownErrors : knownErrors(input.knownErrors),
    findingAlertsPer: input.findingAlertsPer === undefined ? d.findingAlertsPer : findingAlertsPer(input.findingAlertsPer),
    digestHourUtc: digestHour(input.digestHourUtc),
    smsMaxPerHour: smsMaxPerHour(input.smsMaxPerHour),
  };
  if (settings.digestHourUtc !== undefined && settings.stateRetentionDays < DIGEST_MIN_RETENTION_DAYS) {
    throw new SettingsError(
      'stateRetentionDays',
      input.stateRetentionDays,
      `the daily digest (digestHourUtc=${settings.digestHourUtc}) reads alerts up to ${DIGEST_MIN_RETENTION_DAYS} days old: keep state at least ${DIGEST_MIN_RETENTION_DAYS} days`,
    );
  }
  return settings;
}

/**
 * How Lambda reads the findings and API-call queues: the event source mappings' batch size, batching window
 * and maximum concurrency. The construct configures the mappings with them and the replay CLI cuts its
 * batches with them; the handlers take whatever batch they are given, so these are not in the environment.
 */
export interface BatchingSettings {
  /** Findings per invocation, at most (1 to 10,000; above 10 needs a batching window). */
  readonly findingsBatchSize: number;
  /** Seconds Lambda waits to fill a findings batch (0 to 300): the first alert of a group waits up to this long. */
  readonly findingsBatchWindowSeconds: number;
  /** Concurrent findings invocations, at most (2 to 1,000): bounds the writers of one group item. */
  readonly findingsMaxConcurrency: number;
  readonly apiCallsBatchSize: number;
  readonly apiCallsBatchWindowSeconds: number;
  readonly apiCallsMaxConcurrency: number;
}

/**
 * Findings come in bursts of thousands, so they are batched (100 per invocation, waiting up to 10 s). API calls
 * are few and some are urgent (DisableMacie), so they are not held back: Lambda takes what is in the queue.
 */
export const DEFAULT_BATCHING: BatchingSettings = {
  findingsBatchSize: 100,
  findingsBatchWindowSeconds: 10,
  findingsMaxConcurrency: 2,
  apiCallsBatchSize: 10,
  apiCallsBatchWindowSeconds: 0,
  apiCallsMaxConcurrency: 2,
};

/** Lambda's limits for an event source mapping on a standard SQS queue. */
export const SQS_MAPPING_LIMITS = {
  batchSize: { min: 1, max: 10_000 },
  /** The largest batch size allowed without a batching window. */
  batchSizeWithoutWindow: 10,
  windowSeconds: { min: 0, max: 300 },
  maxConcurrency: { min: 2, max: 1_000 },
} as const;

function wholeNumber(setting: string, value: unknown, fallback: number, { min, max }: { min: number; max: number }): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new SettingsError(setting, value, `expected a whole number from ${min} to ${max}`);
  return n;
}

/** One queue's mapping settings, checked together: a batch size above 10 needs a window. */
function mappingSettings(input: Partial<Record<keyof BatchingSettings, unknown>>, queue: 'findings' | 'apiCalls') {
  const limits = SQS_MAPPING_LIMITS;
  const [sizeKey, windowKey, concurrencyKey] = [`${queue}BatchSize`, `${queue}BatchWindowSeconds`, `${queue}MaxConcurrency`] as const;
  const size = wholeNumber(sizeKey, input[sizeKey], DEFAULT_BATCHING[sizeKey], limits.batchSize);
  const windowSeconds = wholeNumber(windowKey, input[windowKey], DEFAULT_BATCHING[windowKey], limits.windowSeconds);
  if (size > limits.batchSizeWithoutWindow && windowSeconds === 0) {
    throw new SettingsError(
      windowKey,
      input[windowKey] ?? windowSeconds,
      `Lambda needs a batching window of at least 1 second for a batch size above ${limits.batchSizeWithoutWindow} (${sizeKey}=${size})`,
    );
  }
  return { size, windowSeconds, maxConcurrency: wholeNumber(concurrencyKey, input[concurrencyKey], DEFAULT_BATCHING[concurrencyKey], limits.maxConcurrency) };
}

/** Validates and completes batching settings against Lambda's limits; every error names the setting. */
export function resolveBatching(input: Partial<Record<keyof BatchingSettings, unknown>> = {}): BatchingSettings {
  const findings = mappingSettings(input, 'findings');
  const apiCalls = mappingSettings(input, 'apiCalls');
  return {
    findingsBatchSize: findings.size,
    findingsBatchWindowSeconds: findings.windowSeconds,
    findingsMaxConcurrency: findings.maxConcurrency,
    apiCallsBatchSize: apiCalls.size,
    apiCallsBatchWindowSeconds: apiCalls.windowSeconds,
    apiCallsMaxConcurrency: apiCalls.maxConcurrency,
  };
}

export function settingsToEnv(settings: PipelineSettings): Record<string, string> {
  return {
    [ENV.minFindingSeverity]: settings.minFindingSeverity,
    [ENV.repeatIntervalMinutes]: String(settings.repeatIntervalMinutes),
    [ENV.policyFindingRepeatHours]: String(settings.policyFindingRepeatHours),
    [ENV.longRunningRunHours]: String(settings.longRunningRunHours),
    [ENV.stateRetentionDays]: String(settings.stateRetentionDays),
    [ENV.severityOverrides]: JSON.stringify(settings.severityOverrides),
    [ENV.knownErrors]: settings.knownErrors,
    [ENV.findingAlertsPer]: settings.findingAlertsPer,
    [ENV.smsMaxPerHour]: String(settings.smsMaxPerHour),
    // Only when on: an absent variable is the default (off).
    ...(settings.digestHourUtc !== undefined ? { [ENV.digestHourUtc]: String(settings.digestHourUtc) } : {}),
  };
}

export function settingsFromEnv(env: NodeJS.ProcessEnv): PipelineSettings {
  return resolveSettings({
    minFindingSeverity: env[ENV.minFindingSeverity],
    repeatIntervalMinutes: env[ENV.repeatIntervalMinutes],
    policyFindingRepeatHours: env[ENV.policyFindingRepeatHours],
    longRunningRunHours: env[ENV.longRunningRunHours],
    stateRetentionDays: env[ENV.stateRetentionDays],
    severityOverrides: env[ENV.severityOverrides],
    knownErrors: env[ENV.knownErrors],
    findingAlertsPer: env[ENV.findingAlertsPer],
    digestHourUtc: env[ENV.digestHourUtc],
    smsMaxPerHour: env[ENV.smsMaxPerHour],
  });
}

export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new SettingsError(name, value, 'environment variable is not set (the MacieAlerts construct sets it)');
  return value;
}
