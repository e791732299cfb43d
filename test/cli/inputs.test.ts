import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  BATCH_GAP_MS,
  describeOrigin,
  MAX_EVENTS_PER_PAYLOAD,
  nothingReadReason,
  readInputs,
  syntheticLogEventId,
  type ReadResult,
  type ReplayUnit,
} from '../../src/cli/inputs';

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
const finding = {
  version: '0',
  id: 'e1',
  'detail-type': 'Macie Finding',
  source: 'aws.macie',
  account: '1',
  time: 't',
  region: 'us-east-1',
  resources: [],
  detail: { id: 'f' },
};
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
      ...Array.from({ length: MAX_EVENTS_PER_PAYLOAD + 5 }, (_, i) => ({
        logStreamName: 'job-a',
        timestamp: i,
        message: JSON.stringify(jobEvent('BUCKET_ACCESS_DENIED', { n: i })),
        eventId: `a${i}`,
      })),
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

/** A CloudTrail record as a trail writes it; Macie's unless eventSource says otherwise. */
const record = (eventName: string, extra: Record<string, unknown> = {}) => ({
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::123456789012:user/Mary_Major', accountId: '123456789012' },
  eventTime: '2024-10-07T08:31:19Z',
  eventSource: 'macie2.amazonaws.com',
  eventName,
  awsRegion: 'eu-west-1',
  sourceIPAddress: '198.51.100.1',
  requestParameters: null,
  eventID: `e1a7c9d3-4b5f-4e2a-8c0d-${eventName.length.toString().padStart(7, '0')}example`,
  readOnly: false,
  eventType: 'AwsApiCall',
  recipientAccountId: '123456789012',
  ...extra,
});
const s3Record = record('GetBucketAcl', { eventSource: 's3.amazonaws.com', eventID: 'b0000000-0000-4000-8000-000000example' });

describe('CloudTrail records: log files (gzipped or not), lookup-events output, single records', () => {
  test("a trail's log file: Macie's records become the EventBridge events the rule delivers, the others are counted and left out", () => {
    const log = { Records: [s3Record, record('DisableMacie'), { ...s3Record, eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances' }] };
    const root = dir({});
    writeFileSync(join(root, '123456789012_CloudTrail_eu-west-1_20241007T0835Z_a1b2.json.gz'), gzipSync(JSON.stringify(log)));
    const read = readInputs([root]);
    expect(read.problems).toEqual([]);
    expect(read).toMatchObject({ values: 3, valuesNotUnderstood: 0, otherServiceRecords: 2 });
    expect(kinds(read.units)).toEqual(['api-call']);
    const [unit] = read.units;
    expect(unit.kind === 'api-call' && unit.event).toEqual({
      version: '0',
      id: record('DisableMacie').eventID,
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.macie2',
      account: '123456789012',
      time: '2024-10-07T08:31:19Z',
      region: 'eu-west-1',
      resources: [],
      detail: record('DisableMacie'),
    });
    expect(describeOrigin(unit.origin).slice(root.length + 1)).toBe('123456789012_CloudTrail_eu-west-1_20241007T0835Z_a1b2.json.gz Records[1]');
  });

  test('`aws cloudtrail lookup-events` output, a JSON array of records and one record alone', () => {
    const lookup = {
      Events: [{ EventId: 'x', EventName: 'GetSensitiveDataOccurrences', CloudTrailEvent: JSON.stringify(record('GetSensitiveDataOccurrences')) }],
      NextToken: 't',
    };
    const root = dir({
      'lookup.json': JSON.stringify(lookup),
      'records.json': JSON.stringify([record('DeleteMember'), s3Record]),
      'one.json': JSON.stringify(record('DisableMacie')),
    });
    const read = readInputs([join(root, 'lookup.json'), join(root, 'records.json'), join(root, 'one.json')]);
    expect(read.problems).toEqual([]);
    expect(read.units.map((u) => (u.kind === 'api-call' ? u.event.detail.eventName : u.kind))).toEqual([
      'GetSensitiveDataOccurrences',
      'DeleteMember',
      'DisableMacie',
    ]);
    expect(read.otherServiceRecords).toBe(1);
  });

  test('records that only look like CloudTrail (an S3 event notification) are not taken for another service: they are not understood', () => {
    const notification = {
      Records: [
        { eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: '2024-10-07T08:31:19Z', eventName: 'ObjectCreated:Put', s3: {} },
      ],
    };
    const read = readInputs([join(dir({ 'n.json': JSON.stringify(notification) }), 'n.json')]);
    expect(read).toMatchObject({ values: 1, valuesNotUnderstood: 1, otherServiceRecords: 0 });
    expect(read.problems[0].reason).toMatch(/^unknown shape \(keys: eventVersion, eventSource, /);
  });
});

describe('bare job log events are batched as a subscription delivers them', () => {
  const at = (seconds: number) => new Date(Date.UTC(2024, 7, 20, 8, 0, seconds)).toISOString();
  const event = (jobId: string, eventType: string, seconds: number) => jobEvent(eventType, { jobId, occurredAt: at(seconds) });

  test('a run of them in a .jsonl file: per job, in time batches, never across another kind of event', () => {
    const lines = [
      event('job-a', 'ONE_TIME_JOB_STARTED', 0),
      event('job-b', 'SCHEDULED_RUN_STARTED', 1),
      event('job-a', 'BUCKET_MATCHED_THE_CRITERIA', 2),
      event('job-a', 'BUCKET_ACCESS_DENIED', 3),
      event('job-b', 'SCHEDULED_RUN_COMPLETED', 4),
      finding,
      event('job-a', 'JOB_COMPLETED', 5),
      // More than a minute later: what a subscription delivers in a later batch.
      event('job-a', 'JOB_CREATED', 5 + BATCH_GAP_MS / 1000 + 1),
    ];
    const root = dir({ 'run.jsonl': lines.map((l) => JSON.stringify(l)).join('\n') });
    const read = readInputs([join(root, 'run.jsonl')]);
    expect(read.problems).toEqual([]);
    expect(read.values).toBe(8);
    const shape = read.units.map((u) =>
      u.kind === 'logs-payload' ? `${u.payload.logStream}: ${u.payload.logEvents.map((e) => JSON.parse(e.message).eventType).join(' ')}` : u.kind,
    );
    expect(shape).toEqual([
      'job-a: ONE_TIME_JOB_STARTED BUCKET_MATCHED_THE_CRITERIA BUCKET_ACCESS_DENIED',
      'job-b: SCHEDULED_RUN_STARTED SCHEDULED_RUN_COMPLETED',
      'finding',
      'job-a: JOB_COMPLETED',
      'job-a: JOB_CREATED',
    ]);
    expect(read.units.map((u) => describeOrigin(u.origin).slice(root.length + 1))).toEqual([
      'run.jsonl:1 to line 4 (a batch of 3 job log events)',
      'run.jsonl:2 to line 5 (a batch of 2 job log events)',
      'run.jsonl:6',
      'run.jsonl:7',
      'run.jsonl:8',
    ]);
    const first = read.units[0];
    if (first.kind !== 'logs-payload') throw new Error('expected a payload');
    expect(first.payload).toMatchObject({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/aws/macie/classificationjobs', logStream: 'job-a' });
    expect(first.payload.logEvents.map((e) => e.id)).toEqual([lines[0], lines[2], lines[3]].map((l) => syntheticLogEventId(JSON.stringify(l))));
  });

  test('in a JSON array too, at most MAX_EVENTS_PER_PAYLOAD to a batch', () => {
    const events = Array.from({ length: MAX_EVENTS_PER_PAYLOAD + 1 }, (_, i) => event('job-a', 'BUCKET_ACCESS_DENIED', i / 10));
    const read = readInputs([join(dir({ 'a.json': JSON.stringify(events) }), 'a.json')]);
    expect(read.units.map((u) => (u.kind === 'logs-payload' ? u.payload.logEvents.length : 0))).toEqual([MAX_EVENTS_PER_PAYLOAD, 1]);
    expect(describeOrigin(read.units[0].origin)).toMatch(/a\.json element \[0\] to element \[99\] \(a batch of 100 job log events\)$/);
  });
});

describe('what is counted and what is refused', () => {
  test('every element of an array is a value: the values not understood are never more than the values read', () => {
    const read = readInputs([join(dir({ 'a.json': JSON.stringify([1, { hello: 'world' }, null, finding]) }), 'a.json')]);
    expect(read).toMatchObject({ values: 4, valuesNotUnderstood: 3 });
    expect(read.problems).toHaveLength(3);
  });

  test('an empty .jsonl is refused as an empty .json is; a directory with nothing to replay is named', () => {
    const root = dir({ 'empty.jsonl': '\n\n', 'empty.json': '', 'nothing/README.md': '# no events here' });
    const read = readInputs([join(root, 'empty.jsonl'), join(root, 'empty.json'), join(root, 'nothing')]);
    expect(read.problems.map((p) => `${describeOrigin(p.origin).slice(root.length + 1)}: ${p.reason}`)).toEqual([
      'empty.jsonl: empty file: expected JSON values, one per line',
      'empty.json: empty file: expected a JSON value',
      "nothing: no input in this directory: replay reads .json, .jsonl, .ndjson files (gzipped or not, e.g. CloudTrail's .json.gz)",
    ]);
    expect(read).toMatchObject({ values: 0, valuesNotUnderstood: 0 });
  });

  test('binary content is named by its size, never quoted', () => {
    const bytes = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x1b, 0x5b, 0x32, 0x4a, 0x00, 0x01, 0x02]);
    const root = dir({});
    writeFileSync(join(root, 'program.json'), bytes);
    writeFileSync(join(root, 'squashed.json.gz'), gzipSync(bytes));
    writeFileSync(join(root, 'broken.json.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]));
    const read = readInputs([root]);
    expect(read.problems.map((p) => `${describeOrigin(p.origin).slice(root.length + 1)}: ${p.reason}`)).toEqual([
      expect.stringMatching(/^broken\.json\.gz: not JSON: gzip data that does not decompress \(.+\); 5 bytes$/),
      'program.json: not JSON: binary content, 11 bytes',
      'squashed.json.gz: not JSON: binary content, 11 bytes once decompressed, 31 bytes gzipped',
    ]);
    for (const p of read.problems) expect(p.reason).not.toMatch(/[\u0000-\u001f\u007f]/);
  });

  test('UTF-16 with its byte order mark (what PowerShell writes) is read', () => {
    const root = dir({});
    writeFileSync(join(root, 'events.json'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(finding), 'utf16le')]));
    expect(kinds(readInputs([join(root, 'events.json')]).units)).toEqual(['finding']);
  });

  test.each<[string, Partial<ReadResult>, string | undefined]>([
    ['something to replay', { units: [{} as ReplayUnit], values: 1 }, undefined],
    ['only CloudTrail records of other services (understood, no Macie event)', { values: 3, otherServiceRecords: 3 }, undefined],
    [
      'values, none understood',
      { values: 2, valuesNotUnderstood: 2, problems: [{} as never, {} as never] },
      'none of the 2 JSON values read was understood (see the messages above)',
    ],
    ['nothing readable', { problems: [{} as never] }, 'no JSON value could be read (see the messages above)'],
    ['an empty list', { files: ['a.json'] }, 'the input holds no JSON value (an empty list?)'],
  ])('nothing to replay? %s', (_name, read, reason) => {
    expect(nothingReadReason({ units: [], problems: [], files: [], values: 0, valuesNotUnderstood: 0, otherServiceRecords: 0, ...read })).toBe(reason);
  });
});
