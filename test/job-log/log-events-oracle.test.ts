import { gunzipSync, gzipSync } from 'node:zlib';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { describeIssues } from '../../lambda/core/event-report';
import {
  CloudWatchLogsPayloadSchema,
  decodeSubscriptionEvent,
  JobLogEventSchema,
  parseJobLogEvent,
  type JobLogEvent,
  type ParseResult,
} from '../../lambda/job-log/log-events';
import { jobLogCorpus } from '../reliability/hostile-corpus';
import { baseMessages, mutationCorpus } from './mutation-corpus';

/**
 * The decoder answers most messages without zod (issue 17). The zod schemas stay the definition: these tests
 * hold the decoder to exactly what the schemas alone say (accept or reject, the parsed value with its keys in
 * order, and the reason text) on the hostile corpus and on a mutation corpus.
 */

/** What JobLogEventSchema alone says of a message's JSON object: parseJobLogEvent as it was before the fast path. */
function schemaVerdict(json: object): ParseResult {
  const parsed = JobLogEventSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error.issues, { rootLabel: '(root)', countRest: false }) };
  // The fields this version knows, in the schema's order, absent ones left out (what the decoder returned).
  const e = parsed.data as Record<string, unknown>;
  const event = Object.fromEntries(
    Object.keys(JobLogEventSchema.shape)
      .filter((k) => e[k] !== undefined)
      .map((k) => [k, e[k]]),
  ) as unknown as JobLogEvent;
  return { ok: true, event };
}

/** A JSON object under the size cap, i.e. a message that reaches validation (the checks before it are shared). */
function validatedPart(message: string): object | undefined {
  if (message.length > 64 * 1024) return undefined;
  const json: unknown = (() => {
    try {
      return JSON.parse(message);
    } catch {
      return undefined;
    }
  })();
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? json : undefined;
}

/** Same verdict, same value (key order included: JSON.stringify), same reason. */
function expectSameAsSchema(message: string): ParseResult {
  const actual = parseJobLogEvent(message);
  const json = validatedPart(message);
  if (json === undefined) return actual;
  const expected = schemaVerdict(json);
  const shown = message.length > 300 ? `${message.slice(0, 300)}... (${message.length} chars)` : message;
  expect({ message: shown, actual }).toStrictEqual({ message: shown, actual: expected });
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
  return actual;
}

const decodedMessages = (event: CloudWatchLogsEvent): unknown[] => {
  try {
    const payload = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8')) as { logEvents?: { message?: unknown }[] };
    return Array.isArray(payload.logEvents) ? payload.logEvents.map((e) => e?.message) : [];
  } catch {
    return [];
  }
};

describe('parseJobLogEvent: the fast path says what JobLogEventSchema says', () => {
  test('on the mutation corpus (every field dropped, nulled, retyped, lengthened, unicode, dates)', () => {
    const corpus = mutationCorpus();
    expect(corpus.length).toBeGreaterThan(5000);
    let accepted = 0;
    let rejected = 0;
    for (const message of corpus) {
      if (expectSameAsSchema(message).ok) accepted++;
      else rejected++;
    }
    // The corpus must exercise both verdicts in number, or it proves little.
    expect(accepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(3000);
  });

  test('on every log event message of the hostile corpus', () => {
    let messages = 0;
    for (const c of jobLogCorpus(7, 400)) {
      for (const message of decodedMessages(c.event)) {
        if (typeof message !== 'string') continue;
        expectSameAsSchema(message);
        messages++;
      }
    }
    expect(messages).toBeGreaterThan(1000);
  });

  test('reasons keep their wording (what log searches match)', () => {
    const [full] = baseMessages();
    const reason = (m: Record<string, unknown>) => {
      const r = expectSameAsSchema(JSON.stringify(m));
      return r.ok ? 'accepted' : r.reason;
    };
    expect(reason({ ...full, jobId: 'a b' })).toBe('jobId: jobId must not contain spaces or #');
    expect(reason({ ...full, jobId: [] })).toBe('jobId: Invalid input: expected string, received array; jobId: Too small: expected array to have >=1 items');
    expect(reason({ ...full, adminAccountId: undefined, occurredAt: 'yesterday' })).toBe(
      'adminAccountId: Invalid input: expected string, received undefined; occurredAt: Invalid ISO datetime',
    );
    expect(reason({ ...full, affectedResource: { type: 'S3_BUCKET_NAME' } })).toBe(
      'affectedResource.value: Invalid input: expected string, received undefined',
    );
    expect(reason({ ...full, affectedAccount: '😀'.repeat(64) })).toBe('accepted');
    expect(reason({ ...full, affectedAccount: '😀'.repeat(65) })).toBe('affectedAccount: Too big: expected string to have <=64 characters');
  });

  test('a message as Macie writes it is accepted without running the schema', () => {
    const safeParse = jest.spyOn(JobLogEventSchema, 'safeParse');
    try {
      for (const message of baseMessages()) expect(parseJobLogEvent(JSON.stringify(message)).ok).toBe(true);
      expect(safeParse).not.toHaveBeenCalled();
      expect(parseJobLogEvent(JSON.stringify({ ...baseMessages()[0], jobId: 'a b' })).ok).toBe(false);
      expect(safeParse).toHaveBeenCalledTimes(1);
    } finally {
      safeParse.mockRestore();
    }
  });
});

describe('decodeSubscriptionEvent: the fast path says what CloudWatchLogsPayloadSchema says', () => {
  const gz = (text: string): CloudWatchLogsEvent => ({ awslogs: { data: gzipSync(Buffer.from(text, 'utf8')).toString('base64') } });
  const logEvent = { id: '36532994045431480234890658826405045340734424467418669056', timestamp: 1713114690574, message: '{"a":1}' };
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/macie/classificationjobs',
    logStream: 'job',
    subscriptionFilters: ['f'],
    logEvents: [logEvent],
  };

  function schemaDecode(text: string) {
    const parsed = CloudWatchLogsPayloadSchema.safeParse(JSON.parse(text));
    return parsed.success
      ? { ok: true, payload: parsed.data }
      : { ok: false, reason: describeIssues(parsed.error.issues, { rootLabel: '(root)', countRest: false, max: 3, path: ['awslogs', 'data'] }) };
  }

  const variants: [string, string][] = [
    ['as CloudWatch writes it', JSON.stringify(payload)],
    ['with undocumented keys (dropped)', JSON.stringify({ ...payload, injected: { x: 1 }, logEvents: [{ ...logEvent, extra: true }] })],
    ['a control message', JSON.stringify({ ...payload, messageType: 'CONTROL_MESSAGE', logEvents: [{ ...logEvent, message: 'CWL CONTROL MESSAGE' }] })],
    ['no log events', JSON.stringify({ ...payload, logEvents: [] })],
    ['log events not an array', JSON.stringify({ ...payload, logEvents: 'nope' })],
    ['a log event not an object', JSON.stringify({ ...payload, logEvents: [logEvent, 5, [logEvent]] })],
    ['a message not a string', JSON.stringify({ ...payload, logEvents: [{ ...logEvent, message: 12 }] })],
    ['a timestamp not a number', JSON.stringify({ ...payload, logEvents: [{ ...logEvent, timestamp: '1713114690574' }] })],
    ['a timestamp JavaScript reads as Infinity', JSON.stringify(payload).replace('1713114690574', '1e400')],
    ['an id missing', JSON.stringify({ ...payload, logEvents: [{ timestamp: 1, message: 'x' }] })],
    ['many bad log events (at most three reasons)', JSON.stringify({ ...payload, logEvents: [{}, {}, {}] })],
    ['a filter not a string', JSON.stringify({ ...payload, subscriptionFilters: ['f', 2] })],
    ['filters not an array', JSON.stringify({ ...payload, subscriptionFilters: 'f' })],
    ['owner missing', JSON.stringify({ ...payload, owner: undefined })],
    ['logStream a number', JSON.stringify({ ...payload, logStream: 5 })],
    ['an array', JSON.stringify([payload])],
    ['null', 'null'],
    ['own __proto__ key', JSON.stringify(payload).replace(/^\{/, '{"__proto__":{"logEvents":[]},')],
  ];
  test.each(variants)('%s', (_name, text) => {
    const decoded = decodeSubscriptionEvent(gz(text));
    const expected = schemaDecode(text);
    expect(decoded.ok).toBe(expected.ok);
    if (decoded.ok) expect(JSON.stringify(decoded.payload)).toBe(JSON.stringify(expected.payload));
    else expect(decoded.reason).toBe(expected.reason);
  });

  test('on every envelope of the hostile corpus', () => {
    for (const c of jobLogCorpus(11, 300)) {
      const decoded = decodeSubscriptionEvent(c.event);
      let text: string | undefined;
      try {
        text = gunzipSync(Buffer.from(c.event.awslogs.data, 'base64')).toString('utf8');
        JSON.parse(text);
      } catch {
        text = undefined; // fails before the payload schema, on the one path both share
      }
      if (text === undefined) {
        expect(decoded.ok).toBe(false);
        continue;
      }
      const expected = schemaDecode(text);
      expect({ name: c.name, ok: decoded.ok }).toEqual({ name: c.name, ok: expected.ok });
      if (decoded.ok) expect(JSON.stringify(decoded.payload)).toBe(JSON.stringify(expected.payload));
      else expect(decoded.reason).toBe(expected.reason);
    }
  });
});
