import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MACIE_JOB_LOG_GROUP } from '../../lambda/core/links';

/**
 * Reading replay inputs: files and directories, JSON and JSON Lines, and the detection of what each JSON
 * value is. Everything here is pure over the file contents, so the same inputs always give the same units
 * in the same order (what makes `--format json` output byte-identical from run to run).
 */

/** Where a value came from, as a user would look for it: file, line (JSON Lines), element of an array. */
export interface Origin {
  readonly file: string;
  readonly line?: number;
  /** Path of array indexes inside the value, e.g. [3] or [3][0]. */
  readonly elements?: readonly number[];
}

export function describeOrigin(origin: Origin): string {
  const line = origin.line === undefined ? '' : `:${origin.line}`;
  const elements = origin.elements?.length ? ` element ${origin.elements.map((e) => `[${e}]`).join('')}` : '';
  return `${origin.file}${line}${elements}`;
}

export interface LogEvent {
  readonly id: string;
  readonly timestamp: number;
  readonly message: string;
}

/** A decoded CloudWatch Logs subscription payload (what `awslogs.data` holds once un-gzipped). */
export interface LogsPayload {
  readonly messageType: string;
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  readonly logEvents: readonly LogEvent[];
}

export interface EventBridgeEvent {
  readonly version?: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources?: readonly unknown[];
  readonly detail: Record<string, unknown>;
}

/** One thing the pipelines are given, in the form Lambda would get it. */
export type ReplayUnit =
  | { readonly kind: 'subscription-event'; readonly event: { awslogs: { data: string } }; readonly payload: LogsPayload; readonly origin: Origin }
  | { readonly kind: 'logs-payload'; readonly payload: LogsPayload; readonly origin: Origin }
  | { readonly kind: 'finding'; readonly event: EventBridgeEvent; readonly origin: Origin }
  | { readonly kind: 'api-call'; readonly event: EventBridgeEvent; readonly origin: Origin };

export interface InputProblem {
  readonly origin: Origin;
  readonly reason: string;
}

export interface ReadResult {
  readonly units: ReplayUnit[];
  readonly problems: InputProblem[];
  /** Files whose contents were read (directories expanded). */
  readonly files: string[];
  /** JSON values read (top-level values of .json files, lines of .jsonl files). */
  readonly values: number;
}

/** What the replay puts in subscriptionFilters of the payloads it builds, so they are recognisable. */
export const REPLAY_FILTER_NAME = 'macie-alerts-replay';
/**
 * filter-log-events output is cut into the batches a subscription would have delivered: per stream, at most
 * this many log events, and never across a pause longer than BATCH_GAP_MS (a subscription delivers within
 * seconds, so a pause and its resume days later are never one batch).
 */
export const MAX_EVENTS_PER_PAYLOAD = 100;
export const BATCH_GAP_MS = 60_000;

/** Settings for --config, not events: skipped when a directory is read (samples/demo.config.json). */
const CONFIG_SUFFIX = '.config.json';
const LINE_EXTENSIONS = ['.jsonl', '.ndjson'];
const INPUT_EXTENSIONS = ['.json', ...LINE_EXTENSIONS];

/** Events a unit carries: each job log event counts one, an EventBridge event one. */
export function eventCount(unit: ReplayUnit): number {
  return unit.kind === 'subscription-event' || unit.kind === 'logs-payload' ? unit.payload.logEvents.length : 1;
}

export interface ReadOptions {
  /** Reads standard input when a path is `-`. */
  readonly stdin?: () => string;
  /** A file not to read when a directory holds it (the --config file). */
  readonly skip?: string;
}

/** Reads every path (files, directories recursively in name order, `-` for standard input). */
export function readInputs(paths: readonly string[], options: ReadOptions = {}): ReadResult {
  const acc: Accumulator = { units: [], problems: [], files: [], values: 0 };
  for (const path of paths) readPath(path, true, options, acc);
  return acc;
}

type Accumulator = { units: ReplayUnit[]; problems: InputProblem[]; files: string[]; values: number };

function readPath(path: string, explicit: boolean, options: ReadOptions, acc: Accumulator): void {
  if (path === '-' && explicit) {
    const text = options.stdin ? options.stdin() : readFileSync(0, 'utf8');
    acc.files.push('-');
    readText('-', text, looksLikeJsonLines(text), acc);
    return;
  }
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    acc.problems.push({ origin: { file: path }, reason: code === 'ENOENT' ? 'no such file or directory' : `cannot read (${code ?? String(error)})` });
    return;
  }
  if (stats.isDirectory()) {
    let entries: string[];
    try {
      entries = readdirSync(path);
    } catch (error) {
      acc.problems.push({ origin: { file: path }, reason: `cannot list directory (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
      return;
    }
    // Code-point order, not locale order: the same on every machine.
    for (const name of entries.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (name.startsWith('.')) continue;
      const child = join(path, name);
      if (options.skip !== undefined && resolve(child) === resolve(options.skip)) continue;
      let childIsDir = false;
      try {
        childIsDir = statSync(child).isDirectory();
      } catch {
        // A dangling link: reported below only if it looks like an input.
      }
      const input = INPUT_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext)) && !name.toLowerCase().endsWith(CONFIG_SUFFIX);
      if (childIsDir || input) readPath(child, false, options, acc);
    }
    return;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    acc.problems.push({ origin: { file: path }, reason: `cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
    return;
  }
  acc.files.push(path);
  const lower = path.toLowerCase();
  readText(path, text, LINE_EXTENSIONS.some((ext) => lower.endsWith(ext)), acc);
}

/** Standard input has no extension: one JSON value per line when the first line is a complete value. */
function looksLikeJsonLines(text: string): boolean {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return false;
  try {
    JSON.parse(lines[0]);
    return true;
  } catch {
    return false;
  }
}

function readText(file: string, rawText: string, jsonLines: boolean, acc: Accumulator): void {
  const text = rawText.replace(/^\uFEFF/, '');
  if (jsonLines) {
    const lines = text.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const origin = { file, line: i + 1 };
      acc.values++;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        acc.problems.push({ origin, reason: `not JSON: ${(error as Error).message}` });
        return;
      }
      detect(value, origin, acc);
    });
    return;
  }
  if (text.trim() === '') {
    acc.problems.push({ origin: { file }, reason: 'empty file: expected a JSON value' });
    return;
  }
  acc.values++;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    // A value cut short fails at its end: point at the last line, where the user will look.
    const offset = position ? Number(position[1]) : /end of JSON input/.test(message) ? text.trimEnd().length : undefined;
    const line = offset === undefined ? undefined : text.slice(0, offset).split('\n').length;
    const hint = line !== undefined && line > 1 && looksLikeJsonLines(text) ? ' (one value per line? name the file .jsonl)' : '';
    acc.problems.push({ origin: { file, line }, reason: `not JSON: ${message}${hint}` });
    return;
  }
  detect(value, { file }, acc);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Classifies one JSON value (recursing into arrays) and adds the units it stands for. */
export function detect(value: unknown, origin: Origin, acc: Pick<Accumulator, 'units' | 'problems'>): void {
  if (Array.isArray(value)) {
    value.forEach((element, i) => detect(element, { ...origin, elements: [...(origin.elements ?? []), i] }, acc));
    return;
  }
  const outcome = classify(value);
  if ('reason' in outcome) acc.problems.push({ origin, reason: outcome.reason });
  else for (const unit of outcome.units) acc.units.push({ ...unit, origin } as ReplayUnit);
}

type UnitWithoutOrigin = ReplayUnit extends infer U ? (U extends ReplayUnit ? Omit<U, 'origin'> : never) : never;

function classify(value: unknown): { units: UnitWithoutOrigin[] } | { reason: string } {
  if (!isObject(value)) return { reason: `unknown shape: expected a JSON object or array, got ${value === null ? 'null' : typeof value}` };

  if (isObject(value.awslogs)) {
    const data = value.awslogs.data;
    if (typeof data !== 'string') return { reason: 'CloudWatch Logs subscription event without a string awslogs.data' };
    let payload: unknown;
    try {
      payload = JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8'));
    } catch (error) {
      return { reason: `awslogs.data is not base64 of gzipped JSON (${(error as Error).message})` };
    }
    const problem = payloadProblem(payload);
    if (problem) return { reason: `awslogs.data: ${problem}` };
    return { units: [{ kind: 'subscription-event', event: { awslogs: { data } }, payload: payload as LogsPayload }] };
  }

  if ('messageType' in value || 'logEvents' in value) {
    const problem = payloadProblem(value);
    if (problem) return { reason: problem };
    return { units: [{ kind: 'logs-payload', payload: value as unknown as LogsPayload }] };
  }

  if (typeof value['detail-type'] === 'string') {
    const detailType = value['detail-type'];
    if (!isObject(value.detail)) return { reason: `EventBridge event "${detailType}" without a detail object` };
    const event = value as unknown as EventBridgeEvent;
    if (detailType === 'Macie Finding') return { units: [{ kind: 'finding', event }] };
    if (detailType === 'AWS API Call via CloudTrail') return { units: [{ kind: 'api-call', event }] };
    return { reason: `EventBridge event of detail-type "${detailType}": expected "Macie Finding" or "AWS API Call via CloudTrail"` };
  }

  if (Array.isArray(value.events)) return fromFilterLogEvents(value.events);

  if (typeof value.jobId === 'string' && typeof value.eventType === 'string' && typeof value.occurredAt === 'string') {
    return { units: [{ kind: 'logs-payload', payload: wrapJobLogEvent(value) }] };
  }

  const keys = Object.keys(value).slice(0, 6).join(', ');
  return {
    reason:
      `unknown shape (keys: ${keys || 'none'}): expected a CloudWatch Logs subscription event, a decoded subscription payload, ` +
      'a Macie job log event, `aws logs filter-log-events` output, or an EventBridge "Macie Finding" / "AWS API Call via CloudTrail" event',
  };
}

function payloadProblem(payload: unknown): string | undefined {
  if (!isObject(payload)) return 'subscription payload is not a JSON object';
  if (typeof payload.messageType !== 'string') return 'subscription payload without messageType';
  if (!Array.isArray(payload.logEvents)) return 'subscription payload without a logEvents array';
  const bad = payload.logEvents.findIndex((e) => !isObject(e) || typeof e.message !== 'string');
  if (bad >= 0) return `logEvents[${bad}] has no string message`;
  return undefined;
}

/**
 * A bare job log event (e.g. copied from the console) becomes a one-event payload. Its log event id is
 * derived from the message, so replaying it twice gives the same id, as a redelivery would.
 */
export function wrapJobLogEvent(event: Record<string, unknown>): LogsPayload {
  const message = JSON.stringify(event);
  const parsed = Date.parse(String(event.occurredAt));
  return {
    messageType: 'DATA_MESSAGE',
    owner: typeof event.adminAccountId === 'string' ? event.adminAccountId : '000000000000',
    logGroup: MACIE_JOB_LOG_GROUP,
    logStream: String(event.jobId),
    subscriptionFilters: [REPLAY_FILTER_NAME],
    logEvents: [{ id: syntheticLogEventId(message), timestamp: Number.isFinite(parsed) ? parsed : 0, message }],
  };
}

/** CloudWatch Logs event ids are 56 decimal digits; this one is a hash of the message, so it is stable. */
export function syntheticLogEventId(message: string): string {
  const digest = createHash('sha256').update(message).digest('hex');
  return BigInt(`0x${digest}`).toString().padStart(56, '0').slice(-56);
}

/**
 * `aws logs filter-log-events` output: events of several streams, in time order. They become payloads per
 * stream (one stream per job), cut the way a subscription batches them (subscriptionBatches).
 */
function fromFilterLogEvents(events: unknown[]): { units: UnitWithoutOrigin[] } | { reason: string } {
  const byStream = new Map<string, LogEvent[]>();
  const owners = new Map<string, string>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (!isObject(e) || typeof e.message !== 'string' || typeof e.logStreamName !== 'string') {
      return { reason: `filter-log-events output: events[${i}] needs logStreamName and message` };
    }
    const timestamp = typeof e.timestamp === 'number' ? e.timestamp : 0;
    const id = typeof e.eventId === 'string' ? e.eventId : syntheticLogEventId(`${e.logStreamName}\n${timestamp}\n${e.message}`);
    const list = byStream.get(e.logStreamName) ?? [];
    list.push({ id, timestamp, message: e.message });
    byStream.set(e.logStreamName, list);
    if (!owners.has(e.logStreamName)) owners.set(e.logStreamName, ownerOf(e.message));
  }
  const units: UnitWithoutOrigin[] = [];
  for (const [logStream, logEvents] of byStream) {
    for (const batch of subscriptionBatches(logEvents)) {
      units.push({
        kind: 'logs-payload',
        payload: {
          messageType: 'DATA_MESSAGE',
          owner: owners.get(logStream) ?? '000000000000',
          logGroup: MACIE_JOB_LOG_GROUP,
          logStream,
          subscriptionFilters: [REPLAY_FILTER_NAME],
          logEvents: batch,
        },
      });
    }
  }
  return { units };
}

function subscriptionBatches(logEvents: readonly LogEvent[]): LogEvent[][] {
  const batches: LogEvent[][] = [];
  let current: LogEvent[] = [];
  for (const e of logEvents) {
    const previous = current[current.length - 1];
    if (current.length >= MAX_EVENTS_PER_PAYLOAD || (previous && Math.abs(e.timestamp - previous.timestamp) > BATCH_GAP_MS)) {
      batches.push(current);
      current = [];
    }
    current.push(e);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The admin account that owns the log group: the event's adminAccountId, when the message is a Macie event. */
function ownerOf(message: string): string {
  try {
    const parsed = JSON.parse(message) as unknown;
    if (isObject(parsed) && typeof parsed.adminAccountId === 'string') return parsed.adminAccountId;
  } catch {
    // Not JSON: the pipeline reports it as a bad record; the owner is only cosmetic.
  }
  return '000000000000';
}
