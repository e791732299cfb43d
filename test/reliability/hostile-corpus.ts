import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudWatchLogsEvent, CloudWatchLogsLogEvent } from 'aws-lambda';
import { logsPayload, subscriptionEvent } from '../support/cloudwatch';
import { cloudTrailEvent } from '../findings/kit';

/**
 * A generated corpus of hostile and malformed input, deterministic from a seed: the same seed always gives
 * the same cases, so a failure names a case that can be replayed. Each case carries what a correct pipeline
 * must do with it (which records are bad, which are valid and must be applied).
 */

/** mulberry32: small, fast, good enough to pick cases; not for anything secret. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)];
const int = (r: Rand, min: number, max: number) => min + Math.floor(r() * (max - min + 1));

/** Markup a chat client would render, mention or link, if it reached a message unescaped. */
export const MARKUP = [
  '*bold*',
  ' _it_ ',
  '~strike~',
  '`code`',
  '[clk](https://evil.example/x)',
  '<!here>',
  '<@U0123ABC>',
  ' @channel',
  ' @here',
  '<https://evil.example/p|click me>',
  '\n# heading',
  '\n> quote',
  'https://evil.example/login',
  '```block```',
] as const;

/** Control, bidi, zero-width and other invisible characters. */
export const INVISIBLES = [
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\r\n',
  '\u0085',
  '\u2028',
  '\u202e',
  '\u2066',
  '\u200b',
  '\ufeff',
  '\u00ad',
  '\udc00',
  '\t',
  '\u000b',
] as const;

/** What a correct rendering must never contain when event data carried MARKUP. */
/** A URL from event data, standing on its own, that a client would turn into a link. */
export const LIVE_URL = /(^|\s)https?:\/\/evil\.example/iu;
/**
 * The same URL inside a longer token: glued to a word ("Jobhttps://evil.example") or after another URL in the
 * same token ("hxxps://a)x(https://evil.example"). defangUrls once missed these (this corpus found it).
 */
export const GLUED_URL = /[^\s]https?:\/\/evil\.example/iu;

export const FORBIDDEN_IN_CHAT: readonly RegExp[] = [
  LIVE_URL,
  GLUED_URL,
  /<!here>/,
  /<@U0123ABC>/,
  /\[clk\]\(/,
  /\*bold\*/,
  /`code`/,
  /~strike~/,
  /(^|[^\p{L}\p{N}])@(channel|here)\b/u,
  /<https:/,
  /(^|\s)_it_(\s|$)/,
];
export const FORBIDDEN_IN_PLAIN: readonly RegExp[] = [LIVE_URL, GLUED_URL];

export function hostileText(r: Rand, base: string): string {
  const parts = [base];
  for (let i = int(r, 1, 3); i > 0; i--) parts.push(r() < 0.5 ? pick(r, MARKUP) : pick(r, INVISIBLES), base.slice(0, int(r, 0, 4)));
  return parts.join('');
}

function longName(r: Rand, n: number): string {
  return Array.from({ length: n }, () => pick(r, ['a', 'b', '-', '.', 'é', '😀', '*', '_', '@', 'Z'])).join('');
}

// ---------------------------------------------------------------------------------------------------------
// Job log events (CloudWatch Logs subscription)

export interface JobLogCase {
  readonly name: string;
  readonly event: CloudWatchLogsEvent;
  /** The payload cannot be decoded at all: one error line, a BadBatches count, nothing applied. */
  readonly badEnvelope: boolean;
  /** Ids of log events that must be rejected (one warn line each, with the id). */
  readonly badIds: readonly string[];
  readonly jobId: string;
  readonly runDate: string;
  /** What the valid events must add to the run. */
  readonly expectBucketsMatched: number;
  readonly expectErrorEvents: number;
  readonly expectAlerts: boolean;
}

const BUCKET_ERRORS = ['BUCKET_ACCESS_DENIED', 'BUCKET_DOES_NOT_EXIST', 'BUCKET_OWNER_CHANGED', 'BUCKET_IN_DIFFERENT_REGION'];
const ACCOUNT_ERRORS = ['ACCOUNT_SUSPENDED', 'ACCOUNT_REGION_DISABLED'];

function validJobEvent(r: Rand, jobId: string, runDate: string, minute: number, hostile: boolean) {
  const text = (s: string) => (hostile ? hostileText(r, s) : s);
  const kind = r();
  const base = {
    adminAccountId: '123456789012',
    jobId,
    occurredAt: `2024-04-14T18:${String(minute % 60).padStart(2, '0')}:30.574809Z`,
    description: text('Macie reported an event.'),
    jobName: hostile && r() < 0.2 ? longName(r, 1000) : text('My_Macie_Job'),
    runDate,
  };
  if (kind < 0.35) {
    return {
      kind: 'matched' as const,
      event: {
        ...base,
        eventType: 'BUCKET_MATCHED_THE_CRITERIA',
        affectedAccount: '222233334444',
        affectedResource: { type: 'S3_BUCKET_NAME', value: text(`bucket-${minute}`) },
      },
    };
  }
  if (kind < 0.75) {
    const value = hostile && r() < 0.25 ? longName(r, 1024) : text(`bucket-${minute}`);
    return {
      kind: 'error' as const,
      event: {
        ...base,
        eventType: pick(r, BUCKET_ERRORS),
        affectedAccount: '222233334444',
        operation: text('ListObjectsV2'),
        affectedResource: { type: 'S3_BUCKET_NAME', value },
      },
    };
  }
  if (kind < 0.85) return { kind: 'error' as const, event: { ...base, eventType: pick(r, ACCOUNT_ERRORS), affectedAccount: '111122223333' } };
  // Unknown (future) event types and future schema fields: valid, alerted as unrecognised.
  return {
    kind: 'error' as const,
    event: {
      ...base,
      eventType: pick(r, ['BUCKET_TELEPORTED', 'ACCOUNT_MOVED_TO_MARS', 'JOB_V2_EVENT']),
      schemaVersion: '9.0',
      futureField: { nested: [1, 2, { deeper: true }] },
    },
  };
}

/** Log event messages that must be rejected, each with why it is bad. */
function badMessage(r: Rand, jobId: string, runDate: string): { message: unknown; what: string } {
  const good = validJobEvent(r, jobId, runDate, 1, false).event as Record<string, unknown>;
  const variants: (() => { message: unknown; what: string })[] = [
    () => ({ message: JSON.stringify(good).slice(0, int(r, 1, 40)), what: 'truncated JSON' }),
    () => ({ message: `ERROR something happened ${hostileText(r, 'x')}`, what: 'not JSON' }),
    () => ({ message: '', what: 'empty message' }),
    () => ({ message: 'null', what: 'JSON null' }),
    () => ({ message: '[1,2,3]', what: 'JSON array' }),
    () => ({ message: '"just a string"', what: 'JSON string' }),
    () => ({ message: JSON.stringify({ ...good, jobId: 12345 }), what: 'jobId of the wrong type' }),
    () => ({ message: JSON.stringify({ ...good, eventType: { nested: 'x' } }), what: 'eventType of the wrong type' }),
    () => ({ message: JSON.stringify({ ...good, occurredAt: 'yesterday' }), what: 'occurredAt not a date' }),
    () => ({ message: JSON.stringify({ ...good, affectedResource: 'not an object' }), what: 'affectedResource of the wrong type' }),
    () => {
      const copy: Record<string, unknown> = { ...good };
      const field = pick(r, ['adminAccountId', 'jobId', 'eventType', 'occurredAt', 'description', 'jobName']);
      delete copy[field];
      return { message: JSON.stringify(copy), what: `missing ${field}` };
    },
    () => ({ message: JSON.stringify({ ...good, description: 'x'.repeat(1024 * 1024) }), what: '1 MB message' }),
    () => ({ message: '['.repeat(100_000) + ']'.repeat(100_000), what: 'deeply nested JSON (100k levels)' }),
    () => ({ message: `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, what: 'deeply nested object (5k levels)' }),
    () => ({ message: JSON.stringify({ ...good, eventType: '../../etc/passwd' }), what: 'eventType with path characters' }),
    () => ({ message: JSON.stringify({ ...good, jobId: `job#${jobId}` }), what: 'jobId with a key separator' }),
    () => ({ message: JSON.stringify({ ...good, eventType: 'X'.repeat(500) }), what: 'very long eventType' }),
    () => ({ message: 12345, what: 'message not a string' }),
  ];
  return pick(r, variants)();
}

/** Valid events whose keys try prototype pollution: they must be applied and pollute nothing. */
function pollutingMessage(good: Record<string, unknown>): string {
  return JSON.stringify(good).replace(/^\{/, '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"toString":"x",');
}

export function jobLogCorpus(seed: number, count: number): JobLogCase[] {
  const r = prng(seed);
  const cases: JobLogCase[] = [];
  for (let c = 0; c < count; c++) {
    const jobId = `hostile${seed}x${c}`;
    const runDate = '2024-04-14T18:00:00.000000Z';
    const envelope = r();
    if (envelope < 0.12) {
      const payload = JSON.stringify(logsPayload([{ id: `e${c}`, timestamp: 1, message: '{}' }]));
      const variants: [string, string][] = [
        [
          'truncated gzip',
          gzipSync(Buffer.from(payload))
            .subarray(0, int(r, 5, 30))
            .toString('base64'),
        ],
        ['bad base64', `!!!not base64@@@${hostileText(r, 'x')}`],
        ['base64 of plain text, not gzip', Buffer.from(payload).toString('base64')],
        ['gzip of non-JSON', gzipSync(Buffer.from('not json at all')).toString('base64')],
        ['gzip of JSON of the wrong shape', gzipSync(Buffer.from('{"logEvents": "nope"}')).toString('base64')],
        ['empty data', ''],
      ];
      const [what, data] = pick(r, variants);
      cases.push({
        name: `#${c} envelope: ${what}`,
        event: { awslogs: { data } },
        badEnvelope: true,
        badIds: [],
        jobId,
        runDate,
        expectBucketsMatched: 0,
        expectErrorEvents: 0,
        expectAlerts: false,
      });
      continue;
    }
    if (envelope < 0.16) {
      // CloudWatch never sends an empty payload: like any payload not in CloudWatch's format, it is rejected whole.
      cases.push({
        name: `#${c} empty logEvents`,
        event: subscriptionEvent(logsPayload([], { logStream: jobId })),
        badEnvelope: true,
        badIds: [],
        jobId,
        runDate,
        expectBucketsMatched: 0,
        expectErrorEvents: 0,
        expectAlerts: false,
      });
      continue;
    }
    const logEvents: CloudWatchLogsLogEvent[] = [];
    const badIds: string[] = [];
    const whats: string[] = [];
    let matched = 0;
    let errors = 0;
    const total = int(r, 2, 8);
    for (let i = 0; i < total; i++) {
      const id = `${String(c).padStart(8, '0')}${String(i).padStart(4, '0')}${seed}`;
      const roll = r();
      if (roll < 0.4) {
        const bad = badMessage(r, jobId, runDate);
        badIds.push(id);
        whats.push(bad.what);
        logEvents.push({ id, timestamp: 1713117600000 + i, message: bad.message as string });
      } else {
        const v = validJobEvent(r, jobId, runDate, i, roll > 0.55);
        if (v.kind === 'matched') matched++;
        else errors++;
        const message = roll > 0.9 ? pollutingMessage(v.event) : JSON.stringify(v.event);
        if (roll > 0.9) whats.push('__proto__ keys');
        logEvents.push({ id, timestamp: 1713117600000 + i, message });
      }
    }
    // A message that is not a string cannot come from CloudWatch Logs: the payload is not in CloudWatch's format,
    // and the decoder rejects it whole (one error line, BadBatches), valid neighbours included.
    const corrupt = logEvents.some((e) => typeof e.message !== 'string');
    if (corrupt) {
      matched = 0;
      errors = 0;
      badIds.length = 0;
    }
    cases.push({
      name: `#${c} ${total} events, bad: ${whats.join(', ') || 'none'}${corrupt ? ' (not CloudWatch format: whole payload rejected)' : ''}`,
      event: subscriptionEvent(logsPayload(logEvents, { logStream: jobId })),
      badEnvelope: corrupt,
      badIds,
      jobId,
      runDate,
      expectBucketsMatched: matched,
      expectErrorEvents: errors,
      expectAlerts: errors > 0,
    });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------------------
// EventBridge events: findings and CloudTrail API calls

const FIXTURES = join(__dirname, '..', 'fixtures');
const fixture = (path: string) => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as Record<string, any>;

export interface EventCase {
  readonly name: string;
  readonly event: unknown;
  /** The id the warn line must name when the event is rejected (undefined when the event has none). */
  readonly eventId: string | undefined;
  /** Must be rejected as malformed (outcome 'bad'). Valid hostile events may alert, group or be ignored. */
  readonly mustBeBad: boolean;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function malformed(r: Rand, event: Record<string, any>, id: string): { event: unknown; what: string; eventId: string | undefined } {
  const e = clone(event);
  e.id = id;
  const variants: (() => { event: unknown; what: string; eventId: string | undefined })[] = [
    () => ({ event: null, what: 'null event', eventId: undefined }),
    () => ({ event: 'a string', what: 'string event', eventId: undefined }),
    () => ({ event: [e], what: 'array event', eventId: undefined }),
    () => {
      delete e.detail;
      return { event: e, what: 'no detail', eventId: id };
    },
    () => {
      e.detail = 'not an object';
      return { event: e, what: 'detail a string', eventId: id };
    },
    () => {
      e.detail = JSON.parse('{"__proto__": {"polluted": "yes"}}');
      return { event: e, what: 'detail only __proto__', eventId: id };
    },
  ];
  return pick(r, variants)();
}

export function findingCorpus(seed: number, count: number): EventCase[] {
  const r = prng(seed);
  const bases = [
    'findings/sensitive-Personal.json',
    'findings/sensitive-Credentials.json',
    'findings/policy-S3BucketPublic.json',
    'findings/policy-S3BucketSharedExternally.json',
    'findings/sensitive-automated-discovery.json',
  ].map(fixture);
  const cases: EventCase[] = [];
  for (let c = 0; c < count; c++) {
    const base = clone(pick(r, bases));
    const id = `hostile-finding-${seed}-${c}`;
    base.id = id;
    base.detail.id = `finding-${seed}-${c}`;
    const roll = r();
    if (roll < 0.2) {
      const bad = malformed(r, base, id);
      cases.push({ name: `#${c} finding: ${bad.what}`, event: bad.event, eventId: bad.eventId, mustBeBad: true });
      continue;
    }
    if (roll < 0.35) {
      const variants: [string, (d: any) => void][] = [
        ['severity of the wrong type', (d) => (d.severity = 'very')],
        ['count a string', (d) => (d.count = 'many')],
        ['type missing', (d) => delete d.type],
        ['accountId an object', (d) => (d.accountId = { a: 1 })],
        ['resourcesAffected a number', (d) => (d.resourcesAffected = 42)],
      ];
      const [what, mutate] = pick(r, variants);
      mutate(base.detail);
      cases.push({ name: `#${c} finding: ${what}`, event: base, eventId: id, mustBeBad: true });
      continue;
    }
    // Valid but hostile: names, keys and types an attacker could choose.
    const d = base.detail;
    const whats: string[] = [];
    const bucket = d.resourcesAffected?.s3Bucket;
    if (bucket) {
      // Longer than S3 allows (63); names past a DynamoDB key's size have their own test (hostile-input).
      bucket.name = r() < 0.2 ? longName(r, 200) : hostileText(r, 'bucket-name');
      whats.push('hostile bucket');
    }
    if (d.resourcesAffected?.s3Object) {
      d.resourcesAffected.s3Object.key = r() < 0.2 ? longName(r, 5000) : hostileText(r, 'path/to/object.csv');
      d.resourcesAffected.s3Object.path = `${bucket?.name ?? 'b'}/${d.resourcesAffected.s3Object.key}`;
      whats.push('hostile key');
    }
    if (r() < 0.3) {
      d.type = pick(r, ['SensitiveData:S3Object/Quantum', 'Policy:IAMUser/S3BucketTeleported', `Policy:IAMUser/${hostileText(r, 'Weird')}`]);
      whats.push('unknown type');
    }
    if (r() < 0.3) {
      d.schemaVersion = '9.9';
      d.futureField = { a: [1, { b: 'c' }] };
      whats.push('future schema');
    }
    if (r() < 0.3) {
      d.title = hostileText(r, 'title');
      d.description = hostileText(r, `description ${'long '.repeat(int(r, 0, 3000))}`);
      whats.push('hostile title/description');
    }
    if (r() < 0.2) {
      const polluted = JSON.parse(JSON.stringify(base).replace(/^\{/, '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},'));
      cases.push({ name: `#${c} finding: __proto__ keys, ${whats.join(', ')}`, event: polluted, eventId: id, mustBeBad: false });
      continue;
    }
    cases.push({ name: `#${c} finding: ${whats.join(', ')}`, event: base, eventId: id, mustBeBad: false });
  }
  return cases;
}

export function apiCallCorpus(seed: number, count: number): EventCase[] {
  const r = prng(seed);
  const records = [
    'api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json',
    'api-calls/call-DeleteMember.json',
    'api-calls/call-DisableMacie.json',
    'api-calls/call-UpdateFindingsFilter.json',
    'api-calls/call-UpdateClassificationJob.json',
    'api-calls/call-CreateFindingsFilter.json',
  ].map(fixture);
  const cases: EventCase[] = [];
  for (let c = 0; c < count; c++) {
    const record = clone(pick(r, records));
    record.eventID = `hostile-call-${seed}-${c}`;
    const id = `eb-hostile-call-${seed}-${c}`;
    const event: Record<string, any> = cloudTrailEvent(record, id);
    const roll = r();
    if (roll < 0.2) {
      const bad = malformed(r, event, id);
      cases.push({ name: `#${c} call: ${bad.what}`, event: bad.event, eventId: bad.eventId, mustBeBad: true });
      continue;
    }
    if (roll < 0.3) {
      const variants: [string, (d: any) => void][] = [
        ['eventName a number', (d) => (d.eventName = 7)],
        ['eventTime not a date', (d) => (d.eventTime = 'soon')],
        ['userIdentity a string', (d) => (d.userIdentity = 'root')],
      ];
      const [what, mutate] = pick(r, variants);
      mutate(record);
      cases.push({ name: `#${c} call: ${what}`, event, eventId: id, mustBeBad: true });
      continue;
    }
    const whats: string[] = [];
    if (record.userIdentity) {
      record.userIdentity.arn = `arn:aws:sts::111122223333:assumed-role/${hostileText(r, 'Admin')}/${r() < 0.2 ? longName(r, 400) : hostileText(r, 'JohnDoe')}`;
      whats.push('hostile principal');
    }
    record.userAgent = hostileText(r, `Mozilla/5.0 ${'x'.repeat(int(r, 0, 5000))}`);
    record.sourceIPAddress = r() < 0.5 ? hostileText(r, '198.51.100.7') : record.sourceIPAddress;
    whats.push('hostile user agent');
    if (record.requestParameters && typeof record.requestParameters === 'object' && r() < 0.5) {
      record.requestParameters = {
        ...record.requestParameters,
        name: hostileText(r, 'filter'),
        description: hostileText(r, 'desc'),
        nested: { deeper: [hostileText(r, 'x')] },
      };
      whats.push('hostile parameters');
    }
    if (r() < 0.15) {
      record.eventVersion = '9.99';
      record.futureField = { any: 'thing' };
      whats.push('future schema');
    }
    cases.push({ name: `#${c} call ${record.eventName}: ${whats.join(', ')}`, event, eventId: id, mustBeBad: false });
  }
  return cases;
}
