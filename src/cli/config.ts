import { readFileSync } from 'node:fs';
import {
  DEFAULT_BATCHING,
  DEFAULT_SETTINGS,
  resolveBatching,
  resolveSettings,
  SettingsError,
  type BatchingSettings,
  type PipelineSettings,
} from '../../lambda/core/settings';
import { checkMatchers, normalizeSilenceId, SilenceError, type Silence } from '../../lambda/silences/silence';
import { parseTime } from './silence';
import { parseWeeklyWindow, WeeklyWindowError } from '../../lambda/silences/weekly-window';

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

/** What a --config file gives the replay: the pipeline settings, the batch sizes, and silences to try on the events. */
export interface ReplayConfig {
  readonly settings: PipelineSettings;
  readonly batching: BatchingSettings;
  readonly silences: readonly Silence[];
}

/**
 * Settings for the replay from a JSON file: either the settings object itself ({"repeatIntervalMinutes": 30,
 * ...}, and "silences": [...]), where an unknown key is an error (a typo must not silently fall back to a
 * default), or a cdk.json, whose `context` holds the same keys among CDK's own flags.
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
  const { silences, ...record } = parsed as Record<string, unknown>;
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
  let resolved: Omit<ReplayConfig, 'silences'>;
  try {
    const pick = (names: readonly string[]) => Object.fromEntries(Object.entries(input).filter(([k]) => names.includes(k)));
    resolved = { settings: resolveSettings(pick(PIPELINE_SETTINGS)), batching: resolveBatching(pick(BATCHING_SETTINGS)) };
  } catch (error) {
    if (error instanceof SettingsError) throw new ConfigError(`--config ${file}: ${error.message}`);
    throw error;
  }
  return { ...resolved, silences: silencesFromConfig(file, silences) };
}

const SILENCE_KEYS = ['id', 'job', 'bucket', 'account', 'type', 'from', 'until', 'every', 'author', 'reason'];
/** A config silence without `from` covers every recorded event before its `until`. */
const BEGINNING = '1970-01-01T00:00:00.000Z';

/**
 * The config's silences, in the words of `macie-alerts silence add` ({"bucket": "logs-*", "until":
 * "2024-06-10T00:00:00Z", "reason": "..."}), to try on recorded events: each is judged at the events' own
 * times, as in the pipelines, so `until` (and the optional `from`) are times of the recording.
 */
function silencesFromConfig(file: string, value: unknown): Silence[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new ConfigError(`--config ${file}: "silences" must be an array of silences ({"bucket": "logs-*", "until": "...", "reason": "..."})`);
  const ids = new Set<string>();
  return value.map((entry, i) => {
    const where = `--config ${file}: silences[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigError(`${where}: expected an object`);
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).filter((k) => !SILENCE_KEYS.includes(k));
    if (unknown.length > 0) throw new ConfigError(`${where}: unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${SILENCE_KEYS.join(', ')})`);
    for (const k of SILENCE_KEYS) if (e[k] !== undefined && typeof e[k] !== 'string') throw new ConfigError(`${where}: "${k}" must be a string`);
    const text = (k: string) => e[k] as string | undefined;
    const id = text('id') === undefined ? `S-${i + 1}` : normalizeSilenceId(text('id')!);
    if (!id) throw new ConfigError(`${where}: "id" ${JSON.stringify(text('id'))} is not a silence id (S- and letters or digits)`);
    if (ids.has(id)) throw new ConfigError(`${where}: id ${id} is used twice`);
    ids.add(id);
    const until = text('until') === undefined ? undefined : parseTime(text('until')!);
    if (!until)
      throw new ConfigError(`${where}: "until" must be an ISO 8601 time (2024-06-10T00:00:00Z) or a date: when the silence ends, in the recording's time`);
    const from = text('from') === undefined ? BEGINNING : parseTime(text('from')!);
    if (!from) throw new ConfigError(`${where}: "from" must be an ISO 8601 time or a date`);
    if (Date.parse(from) >= Date.parse(until)) throw new ConfigError(`${where}: "from" must be before "until"`);
    const reason = text('reason')?.trim();
    if (!reason) throw new ConfigError(`${where}: "reason" is required: why these alerts are silenced`);
    try {
      const match = checkMatchers({ jobId: text('job'), bucket: text('bucket'), accountId: text('account'), type: text('type') });
      const every = text('every') === undefined ? undefined : parseWeeklyWindow(text('every')!);
      return { id, match, startsAt: from, endsAt: until, every, author: text('author') ?? 'replay', reason, createdAt: from };
    } catch (error) {
      if (error instanceof SilenceError) throw new ConfigError(`${where}: ${error.message}`);
      if (error instanceof WeeklyWindowError) throw new ConfigError(`${where}: "every": ${error.message}`);
      throw error;
    }
  });
}
