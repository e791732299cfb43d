import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BATCH_GAP_MS, describeOrigin, MAX_EVENTS_PER_PAYLOAD, readInputs, syntheticLogEventId, type ReplayUnit } from '../../src/cli/inputs';

const jobEvent = (eventType: string, extra: Record<string, unknown> = {}) => ({
  adminAccountId: '123456789012',
  jobId: '85a55dc0fa6ed0be5939d0408example',
  eventType,
  occurredAt: '2024-04-14T17:11:30.574809Z',
  description: 'd',
  jobName: 'My_Macie_Job',
  runDate: '2024-04-14T17:09:30.685209Z',
  ...extra,
});
const payload = (messages: object[]) => ({
  messageType: 'DATA_MESSAGE',
  owner: '123456789012',
  logGroup: '/aws/macie/classificationjobs',
  logStream: '85a55dc0fa6ed0be5939d0408example',
  subscriptionFilters: ['f'],
  logEvents: messages.map((m, i) => ({ id: String(i), timestamp: 1713114690574, message: JSON.stringify(m) })),
});
const finding = { version: '0', id: 'e1', 'detail-type': 'Macie Finding', source: 'aws.macie', account: '1', time: 't', region: 'us-east-1', resources: [], detail: { id: 'f' } };
const apiCall = { ...finding, id: 'e2', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.macie2', detail: { eventName: 'DisableMacie' } };

function dir(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'replay-inputs-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

const kinds = (units: readonly ReplayUnit[]) => units.map((u) => u.kind);

describe('input detection', () => {
  test('every documented shape is recognised, and arrays of them', () => {
    const p = payload([jobEvent('BUCKET_ACCESS_DENIED')]);
    const awslogs = { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(p))).toString('base64') } };
    const filterOutput = { events: [{ logStreamName: 'job-a', timestamp: 1, message: JSON.stringify(jobEvent('JOB_CREATED')), eventId: 'x1' }] };
    const root = dir({ 'all.json': JSON.stringify([awslogs, p, jobEvent('JOB_CANCELLED'), filterOutput, finding, apiCall]) });
    const read = readInputs([join(root, 'all.json')]);
    expect(read.problems).toEqual([]);
    expect(kinds(read.units)).toEqual(['subscription-event', 'logs-payload', 'logs-payload', 'logs-payload', 'finding', 'api-call']);
    const sub = read.units[0];
    expect(sub.kind === 'subscription-event' && sub.payload.logEvents[0].message).toBe(p.logEvents[0].message);
    expect(read.units.map((u) => u.origin.elements)).toEqual([[0], [1], [2], [3], [4], [5]]);
  });

  test('a bare job log event becomes a one-event payload whose id depends only on the event', () => {
    const root = dir({ 'a.json': JSON.stringify(jobEvent('JOB_CANCELLED')), 'b.json': JSON.stringify(jobEvent('JOB_CANCELLED')) });
    const read = readInputs([join(root, 'a.json'), join(root, 'b.json')]);
    const [a, b] = read.units;
    if (a.kind !== 'logs-payload' || b.kind !== 'logs-payload') throw new Error('expected payloads');
    expect(a.payload.logStream).toBe('85a55dc0fa6ed0be5939d0408example');
    expect(a.payload.logGroup).toBe('/aws/macie/classificationjobs');
    expect(a.payload.logEvents).toHaveLength(1);
    expect(a.payload.logEvents[0].id).toMatch(/^\d{56}$/);
    expect(a.payload.logEvents[0].id).toBe(b.payload.logEvents[0].id);
    expect(a.payload.logEvents[0].timestamp).toBe(Date.parse('2024-04-14T17:11:30.574Z'));
    expect(syntheticLogEventId('x')).not.toBe(syntheticLogEventId('y'));
  });

  test('filter-log-events output is split per stream into the batches a subscription would deliver, in order', () => {
    const events = [
      ...Array.from({ length: MAX_EVENTS_PER_PAYLOAD + 5 }, (_, i) => ({ logStreamName: 'job-a', timestamp: i, message: JSON.stringify(jobEvent('BUCKET_ACCESS_DENIED', { n: i })), eventId: `a${i}` })),
      { logStreamName: 'job-b', timestamp: 7, message: JSON.stringify({ ...jobEvent('JOB_CREATED'), adminAccountId: '999988887777' }), eventId: 'b0' },
      { logStreamName: 'job-b', timestamp: 7 + BATCH_GAP_MS, message: JSON.stringify(jobEvent('JOB_PAUSED_BY_USER')), eventId: 'b1' },
      // A pause longer than a subscription ever waits: the next delivery.
      { logStreamName: 'job-b', timestamp: 8 + 2 * BATCH_GAP_MS, message: JSON.stringify(jobEvent('JOB_CANCELLED')), eventId: 'b2' },
    ];
    const root = dir({ 'f.json': JSON.stringify({ events, searchedLogStreams: [] }) });
    const units = readInputs([join(root, 'f.json')]).units;
    const payloads = units.map((u) => (u.kind === 'logs-payload' ? u.payload : undefined));
    expect(payloads.map((p) => [p?.logStream, p?.logEvents.length])).toEqual([
      ['job-a', MAX_EVENTS_PER_PAYLOAD],
      ['job-a', 5],
      ['job-b', 2],
      ['job-b', 1],
    ]);
    expect(payloads[3]?.logEvents[0].id).toBe('b2');
    expect(payloads[1]?.logEvents[0].id).toBe(`a${MAX_EVENTS_PER_PAYLOAD}`);
    expect(payloads[2]?.owner).toBe('999988887777');
  });

  test('directories are read recursively in name order, only JSON files; JSON Lines give one value per line', () => {
    const root = dir({
      'b.jsonl': `${JSON.stringify(finding)}\n\n${JSON.stringify(apiCall)}\n`,
      'a/z.json': JSON.stringify(jobEvent('JOB_CREATED')),
      'README.md': '# not an input',
      'c.ndjson': JSON.stringify(finding),
    });
    const read = readInputs([root]);
    expect(read.problems).toEqual([]);
    expect(read.files.map((f) => f.slice(root.length + 1))).toEqual(['a/z.json', 'b.jsonl', 'c.ndjson']);
    expect(read.units.map((u) => describeOrigin(u.origin).slice(root.length + 1))).toEqual(['a/z.json', 'b.jsonl:1', 'b.jsonl:3', 'c.ndjson:1']);
    expect(read.values).toBe(4);
  });

  test('bad inputs are named with file, line and reason, and the rest is still read', () => {
    const root = dir({
      'broken.json': '{\n  "a": 1,\n}',
      'mixed.jsonl': `${JSON.stringify(finding)}\nnot json\n${JSON.stringify({ hello: 'world' })}\n${JSON.stringify([apiCall, 42])}\n`,
      'other.json': JSON.stringify({ ...finding, 'detail-type': 'GuardDuty Finding' }),
      'bad-awslogs.json': JSON.stringify({ awslogs: { data: 'bm90IGd6aXA=' } }),
      'empty.json': '  \n',
    });
    const read = readInputs([join(root, 'missing.json'), root]);
    const problems = read.problems.map((p) => `${describeOrigin(p.origin).replace(`${root}/`, '')}: ${p.reason}`);
    expect(problems).toEqual([
      expect.stringMatching(/^.*missing\.json: no such file or directory$/),
      expect.stringMatching(/^bad-awslogs\.json: awslogs\.data is not base64 of gzipped JSON/),
      expect.stringMatching(/^broken\.json:3: not JSON: /),
      'empty.json: empty file: expected a JSON value',
      expect.stringMatching(/^mixed\.jsonl:2: not JSON: /),
      expect.stringMatching(/^mixed\.jsonl:3: unknown shape \(keys: hello\)/),
      expect.stringMatching(/^mixed\.jsonl:4 element \[1\]: unknown shape: expected a JSON object or array, got number$/),
      expect.stringMatching(/^other\.json: EventBridge event of detail-type "GuardDuty Finding"/),
    ]);
    expect(kinds(read.units)).toEqual(['finding', 'api-call']);
  });

  test('standard input is read with `-`, as JSON Lines when each line is a value', () => {
    const read = readInputs(['-'], { stdin: () => `${JSON.stringify(finding)}\n${JSON.stringify(apiCall)}\n` });
    expect(kinds(read.units)).toEqual(['finding', 'api-call']);
    expect(read.units[1].origin).toEqual({ file: '-', line: 2 });
  });
});
