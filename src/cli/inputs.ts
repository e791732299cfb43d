import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { cloudTrailEvent, isCloudTrailRecord, isLookupEvent, isMacieRecord } from './cloudtrail';
import { inputText } from './input-text';
import { ownerOf, subscriptionPayloads, syntheticLogEventId, type LogsPayload, type StreamEntry } from './subscription-payloads';

export { BATCH_GAP_MS, MAX_EVENTS_PER_PAYLOAD, REPLAY_FILTER_NAME, syntheticLogEventId } from './subscription-payloads';
export type { LogEvent, LogsPayload } from './subscription-payloads';

/**
 * Reading replay inputs: files and directories, JSON and JSON Lines (gzipped or not), and the detection of
 * what each JSON value is. Everything here is pure over the file contents, so the same inputs always give the
 * same units in the same order (what makes `--format json` output byte-identical from run to run).
 */

/** Where a value came from, as a user would look for it: file, line (JSON Lines), element of an array. */
export interface Origin {
  readonly file: string;
  readonly line?: number;
  /** Path of array indexes inside the value, e.g. [3] or [3][0]. */
  readonly elements?: readonly number[];
  /** The key of the array the first index is in, when the value is an object around it (CloudTrail's Records). */
  readonly arrayKey?: string;
  /** Job log events read from several values and replayed as one batch: how many, and where the last one was. */
  readonly batch?: { readonly events: number; readonly last: Omit<Origin, 'file' | 'batch'> };
}

export function describeOrigin(origin: Origin): string {
  const at = (o: Omit<Origin, 'file' | 'batch'>, lineWord: string) => {
    const line = o.line === undefined ? '' : `${lineWord}${o.line}`;
    const elements = o.elements?.length ? `${line ? ' ' : ''}${o.arrayKey ?? 'element '}${o.elements.map((e) => `[${e}]`).join('')}` : '';
    return `${line}${elements}`;
  };
  const first = at(origin, ':');
  const place = `${origin.file}${first.startsWith(':') || first === '' ? '' : ' '}${first}`;
  if (!origin.batch || origin.batch.events < 2) return place;
  return `${place} to ${at(origin.batch.last, 'line ')} (a batch of ${origin.batch.events} job log events)`;
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
  | { readonly kind: 'api-call'; readonly event: EventBridgeEvent; readonly origin: Origin }
  | { readonly kind: 'health'; readonly event: EventBridgeEvent; readonly origin: Origin };

export interface InputProblem {
  readonly origin: Origin;
  readonly reason: string;
}

export interface ReadResult {
  readonly units: ReplayUnit[];
  readonly problems: InputProblem[];
  /** Files whose contents were read (directories expanded). */
  readonly files: string[];
  /**
   * JSON values read: lines of .jsonl files, values of .json files, each element of an array and each record
   * of a CloudTrail log file counted on its own (what is detected one by one, so what a problem is about).
   */
  readonly values: number;
  /** Of those values, how many were not understood (the other problems are about a path: missing, binary, empty). */
  readonly valuesNotUnderstood: number;
  /** CloudTrail records of services other than Macie: read and left out, as the stack's EventBridge rule leaves them. */
  readonly otherServiceRecords: number;
}

/** Settings for --config, not events: skipped when a directory is read (samples/demo.config.json). */
const CONFIG_SUFFIX = '.config.json';
const LINE_EXTENSIONS = ['.jsonl', '.ndjson'];
const INPUT_EXTENSIONS = ['.json', ...LINE_EXTENSIONS];
/** CloudTrail delivers its log files gzipped (`.json.gz`): any input may be. */
const GZIP_SUFFIX = '.gz';

/** Events a unit carries: each job log event counts one, an EventBridge event one. */
export function eventCount(unit: ReplayUnit): number {
  return unit.kind === 'subscription-event' || unit.kind === 'logs-payload' ? unit.payload.logEvents.length : 1;
}

export interface ReadOptions {
  /** Reads standard input when a path is `-`. */
  readonly stdin?: () => string | Buffer;
  /** A file not to read when a directory holds it (the --config file). */
  readonly skip?: string;
}

/** Reads every path (files, directories recursively in name order, `-` for standard input). */
export function readInputs(paths: readonly string[], options: ReadOptions = {}): ReadResult {
  const acc: Accumulator = { units: [], problems: [], files: [], values: 0, valuesNotUnderstood: 0, otherServiceRecords: 0, jobLogEvents: [] };
  for (const path of paths) readPath(path, true, options, acc);
  const { jobLogEvents: _, ...result } = acc;
  return result;
}

/**
 * Why a replay has nothing to work on, or undefined when something was understood (if only CloudTrail
 * records of other services: that input was read, it holds no Macie event).
 */
export function nothingReadReason(read: ReadResult): string | undefined {
  if (read.units.length > 0 || read.values > read.valuesNotUnderstood) return undefined;
  if (read.values > 0)
    return `none of the ${read.values === 1 ? 'JSON value' : `${read.values.toLocaleString('en-US')} JSON values`} read was understood (see the messages above)`;
  if (read.problems.length > 0) return 'no JSON value could be read (see the messages above)';
  return `${read.files.length === 1 ? 'the input holds' : 'the inputs hold'} no JSON value (an empty list?)`;
}

type Accumulator = {
  units: ReplayUnit[];
  problems: InputProblem[];
  files: string[];
  values: number;
  valuesNotUnderstood: number;
  otherServiceRecords: number;
  /** Bare job log events read since the last other unit of this file: batched when that run of them ends. */
  jobLogEvents: StreamEntry<Origin>[];
};

/** The name without `.gz`, lower case: what says whether a file is JSON Lines. */
function baseName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(GZIP_SUFFIX) ? lower.slice(0, -GZIP_SUFFIX.length) : lower;
}

function readPath(path: string, explicit: boolean, options: ReadOptions, acc: Accumulator): void {
  if (path === '-' && explicit) {
    const input = options.stdin ? options.stdin() : readFileSync(0);
    acc.files.push('-');
    const text = typeof input === 'string' ? { text: input } : inputText(input);
    if ('reason' in text) acc.problems.push({ origin: { file: '-' }, reason: text.reason });
    else readText('-', text.text, looksLikeJsonLines(text.text), acc);
    return;
  }
  let stats: ReturnType<typeof statSync>;
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
    const [filesBefore, problemsBefore] = [acc.files.length, acc.problems.length];
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
      const base = baseName(name);
      const input = INPUT_EXTENSIONS.some((ext) => base.endsWith(ext)) && !base.endsWith(CONFIG_SUFFIX);
      if (childIsDir || input) readPath(child, false, options, acc);
    }
    // A directory named on the command line that holds nothing to replay is a mistake worth saying.
    if (explicit && acc.files.length === filesBefore && acc.problems.length === problemsBefore) {
      acc.problems.push({
        origin: { file: path },
        reason: `no input in this directory: replay reads ${INPUT_EXTENSIONS.join(', ')} files (gzipped or not, e.g. CloudTrail's .json.gz)`,
      });
    }
    return;
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    acc.problems.push({ origin: { file: path }, reason: `cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
    return;
  }
  acc.files.push(path);
  const text = inputText(bytes);
  if ('reason' in text) {
    acc.problems.push({ origin: { file: path }, reason: text.reason });
    return;
  }
  readText(
    path,
    text.text,
    LINE_EXTENSIONS.some((ext) => baseName(path).endsWith(ext)),
    acc,
  );
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
  if (text.trim() === '') {
    acc.problems.push({ origin: { file }, reason: jsonLines ? 'empty file: expected JSON values, one per line' : 'empty file: expected a JSON value' });
    return;
  }
  if (jsonLines) {
    const lines = text.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const origin = { file, line: i + 1 };
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        notUnderstood(acc, origin, `not JSON: ${(error as Error).message}`);
        return;
      }
      detect(value, origin, acc);
    });
    flushJobLogEvents(acc);
    return;
  }
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
    notUnderstood(acc, { file, line }, `not JSON: ${message}${hint}`);
    return;
  }
  detect(value, { file }, acc);
  flushJobLogEvents(acc);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notUnderstood(acc: Pick<Accumulator, 'problems' | 'values' | 'valuesNotUnderstood'>, origin: Origin, reason: string): void {
  acc.values++;
  acc.valuesNotUnderstood++;
  acc.problems.push({ origin, reason });
}

/**
 * Classifies one JSON value and adds the units it stands for. Arrays, a CloudTrail log file's Records and
 * `lookup-events` output's Events are lists: each of their elements is a value of its own.
 */
export function detect(value: unknown, origin: Origin, acc: Omit<Accumulator, 'files'>): void {
  const list: { items: unknown[]; key?: string } | undefined = Array.isArray(value) ? { items: value } : isObject(value) ? listIn(value) : undefined;
  if (list) {
    // The key is named for a list at the top of a value (a CloudTrail log file); deeper, indexes say enough.
    const key = list.key !== undefined && !origin.elements?.length ? { arrayKey: list.key } : {};
    for (const [i, element] of list.items.entries()) detect(element, { ...origin, elements: [...(origin.elements ?? []), i], ...key }, acc);
    return;
  }
  const outcome = classify(value);
  if ('reason' in outcome) {
    notUnderstood(acc, origin, outcome.reason);
    return;
  }
  acc.values++;
  if ('otherService' in outcome) {
    acc.otherServiceRecords++;
  } else if ('jobLogEvent' in outcome) {
    acc.jobLogEvents.push({ ...jobLogEntry(outcome.jobLogEvent), item: origin });
  } else {
    flushJobLogEvents(acc);
    for (const unit of outcome.units) acc.units.push({ ...unit, origin } as ReplayUnit);
  }
}

/** The lists of records AWS tools write around their records: a CloudTrail log file, `cloudtrail lookup-events`. */
function listIn(value: Record<string, unknown>): { items: unknown[]; key: string } | undefined {
  if (Array.isArray(value.Records)) return { items: value.Records, key: 'Records' };
  if (Array.isArray(value.Events)) return { items: value.Events, key: 'Events' };
  return undefined;
}

type UnitWithoutOrigin = ReplayUnit extends infer U ? (U extends ReplayUnit ? Omit<U, 'origin'> : never) : never;

type Classified =
  | { units: UnitWithoutOrigin[] }
  | { reason: string }
  /** A bare job log event: batched with the ones around it. */
  | { jobLogEvent: Record<string, unknown> }
  /** A CloudTrail record of another service. */
  | { otherService: string };

function classify(value: unknown): Classified {
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
    if (detailType === 'AWS Health Event') return { units: [{ kind: 'health', event }] };
    return { reason: `EventBridge event of detail-type "${detailType}": expected "Macie Finding", "AWS API Call via CloudTrail" or "AWS Health Event"` };
  }

  if (isCloudTrailRecord(value)) {
    if (!isMacieRecord(value)) return { otherService: String(value.eventSource) };
    return { units: [{ kind: 'api-call', event: cloudTrailEvent(value) }] };
  }

  if (isLookupEvent(value)) {
    let record: unknown;
    try {
      record = JSON.parse(value.CloudTrailEvent as string);
    } catch (error) {
      return { reason: `lookup-events output: CloudTrailEvent is not JSON (${(error as Error).message})` };
    }
    if (!isObject(record) || !isCloudTrailRecord(record)) return { reason: 'lookup-events output: CloudTrailEvent is not a CloudTrail record' };
    return classify(record);
  }

  if (Array.isArray(value.events)) return fromFilterLogEvents(value.events);

  if (typeof value.jobId === 'string' && typeof value.eventType === 'string' && typeof value.occurredAt === 'string') {
    return { jobLogEvent: value };
  }

  const keys = Object.keys(value).slice(0, 6).join(', ');
  return {
    reason:
      `unknown shape (keys: ${keys || 'none'}): expected a CloudWatch Logs subscription event, a decoded subscription payload, ` +
      'a Macie job log event, `aws logs filter-log-events` output, an EventBridge "Macie Finding" / "AWS API Call via CloudTrail" event, ' +
      'or CloudTrail records (a log file {"Records":[...]}, `aws cloudtrail lookup-events` output, or one record)',
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
 * A bare job log event (e.g. copied from the console) as its log event. Its id is derived from the message,
 * so replaying it twice gives the same id, as a redelivery would.
 */
function jobLogEntry(event: Record<string, unknown>): Omit<StreamEntry<never>, 'item'> {
  const message = JSON.stringify(event);
  const parsed = Date.parse(String(event.occurredAt));
  return {
    logStream: String(event.jobId),
    owner: typeof event.adminAccountId === 'string' ? event.adminAccountId : '000000000000',
    logEvent: { id: syntheticLogEventId(message), timestamp: Number.isFinite(parsed) ? parsed : 0, message },
  };
}

/**
 * The bare job log events read since the last other unit, as the payloads a subscription would have
 * delivered (the rule filter-log-events output is cut by): events of one job never wait behind a finding
 * read after them, and a run of 7 events is one batch, not 7.
 */
function flushJobLogEvents(acc: Pick<Accumulator, 'jobLogEvents' | 'units'>): void {
  if (acc.jobLogEvents.length === 0) return;
  for (const { payload, items } of subscriptionPayloads(acc.jobLogEvents)) {
    const [first, last] = [items[0], items[items.length - 1]];
    const origin: Origin =
      items.length > 1 ? { ...first, batch: { events: items.length, last: { line: last.line, elements: last.elements, arrayKey: last.arrayKey } } } : first;
    acc.units.push({ kind: 'logs-payload', payload, origin });
  }
  acc.jobLogEvents = [];
}

/**
 * `aws logs filter-log-events` output: events of several streams, in time order. They become payloads per
 * stream (one stream per job), cut the way a subscription batches them (subscriptionPayloads).
 */
function fromFilterLogEvents(events: unknown[]): Classified {
  const entries: StreamEntry<undefined>[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (!isObject(e) || typeof e.message !== 'string' || typeof e.logStreamName !== 'string') {
      return { reason: `filter-log-events output: events[${i}] needs logStreamName and message` };
    }
    const timestamp = typeof e.timestamp === 'number' ? e.timestamp : 0;
    const id = typeof e.eventId === 'string' ? e.eventId : syntheticLogEventId(`${e.logStreamName}\n${timestamp}\n${e.message}`);
    entries.push({ logStream: e.logStreamName, owner: ownerOf(e.message), logEvent: { id, timestamp, message: e.message }, item: undefined });
  }
  return { units: subscriptionPayloads(entries).map(({ payload }) => ({ kind: 'logs-payload', payload })) };
}
