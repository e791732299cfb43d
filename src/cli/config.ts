import { readFileSync } from 'node:fs';
import { DEFAULT_BATCHING, DEFAULT_SETTINGS, resolveBatching, resolveSettings, SettingsError, type BatchingSettings, type PipelineSettings } from '../../lambda/core/settings';

/** A --config file that cannot be used: the message names the file and the setting. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const PIPELINE_SETTINGS = Object.keys(DEFAULT_SETTINGS) as (keyof PipelineSettings)[];
/** The queues' batch sizes decide how the replay cuts its SQS batches (the other batching settings have no effect on it). */
const BATCHING_SETTINGS = Object.keys(DEFAULT_BATCHING) as (keyof BatchingSettings)[];
const SETTING_NAMES: string[] = [...PIPELINE_SETTINGS, ...BATCHING_SETTINGS];

export interface ReplayConfig {
  readonly settings: PipelineSettings;
  readonly batching: BatchingSettings;
}

/**
 * Settings for the replay from a JSON file: either the settings object itself ({"repeatIntervalMinutes": 30,
 * ...}), where an unknown key is an error (a typo must not silently fall back to a default), or a cdk.json,
 * whose `context` holds the same keys among CDK's own flags.
 */
export function loadConfig(file: string): ReplayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`--config ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(error)})`}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`--config ${file}: not JSON: ${(error as Error).message}`);
  }
  return settingsFromConfig(file, parsed);
}

export function settingsFromConfig(file: string, parsed: unknown): ReplayConfig {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`--config ${file}: expected a JSON object of settings (${SETTING_NAMES.join(', ')})`);
  }
  const record = parsed as Record<string, unknown>;
  let input: Record<string, unknown>;
  if (typeof record.context === 'object' && record.context !== null && !Array.isArray(record.context)) {
    const context = record.context as Record<string, unknown>;
    input = Object.fromEntries(SETTING_NAMES.filter((k) => k in context).map((k) => [k, context[k]]));
  } else {
    const unknown = Object.keys(record).filter((k) => !SETTING_NAMES.includes(k));
    if (unknown.length > 0) {
      throw new ConfigError(`--config ${file}: unknown setting ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${SETTING_NAMES.join(', ')})`);
    }
    input = record;
  }
  try {
    const pick = (names: readonly string[]) => Object.fromEntries(Object.entries(input).filter(([k]) => names.includes(k)));
    return { settings: resolveSettings(pick(PIPELINE_SETTINGS)), batching: resolveBatching(pick(BATCHING_SETTINGS)) };
  } catch (error) {
    if (error instanceof SettingsError) throw new ConfigError(`--config ${file}: ${error.message}`);
    throw error;
  }
}
