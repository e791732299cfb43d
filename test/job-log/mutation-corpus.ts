import { prng } from '../reliability/hostile-corpus';
import { SEED_EXAMPLES } from '../fixtures/job-log/streams';

/**
 * Job log messages one edit away (or a few) from valid ones: every field dropped, nulled, retyped, emptied,
 * lengthened to each side of its limit (in UTF-16 units and in code points), filled with unicode, and every
 * date shifted through the edge cases of ISO 8601. Deterministic. The decoder's fast path and the zod
 * schema must give the same verdict, the same event and the same reason on each (log-events-oracle.test.ts).
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Message = Record<string, Json>;

const LIMITS: Record<string, number> = {
  adminAccountId: 64,
  jobId: 128,
  description: 4096,
  jobName: 1024,
  affectedAccount: 64,
  operation: 256,
  eventType: 100,
};
const TOP_FIELDS = [
  'adminAccountId',
  'jobId',
  'eventType',
  'occurredAt',
  'description',
  'jobName',
  'affectedAccount',
  'affectedResource',
  'operation',
  'runDate',
];

const EMOJI = '😀'; // one code point, two UTF-16 units
const LONE_HIGH = '\ud800';
const LONE_LOW = '\udc00';

/** Values of every JSON type, including objects and arrays that carry a `length` (zod measures those too). */
const RETYPED: readonly Json[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e21,
  12345678901234567000,
  '',
  ' ',
  [],
  ['x'],
  [1, 2, 3],
  Array.from({ length: 70 }, (_, i) => i),
  Array.from({ length: 200 }, () => 'a'),
  {},
  { nested: 'x' },
  { length: 100 },
  { length: 2000 },
  { length: 5000 },
  { length: 0 },
  { length: 'x' },
  { length: null },
  { length: true },
  { length: [5] },
  { length: {} },
  { type: 'S3_BUCKET_NAME', value: 'b' },
];

/** Strings around a limit: ASCII, surrogate pairs (more units than code points), lone surrogates, mixed. */
function aroundLimit(max: number): string[] {
  const out: string[] = [];
  for (const n of [max - 1, max, max + 1]) {
    if (n < 0) continue;
    out.push('a'.repeat(n));
    out.push(EMOJI.repeat(Math.ceil(n / 2)));
    out.push(EMOJI.repeat(n));
    out.push(LONE_HIGH.repeat(n));
    out.push(`${'b'.repeat(Math.max(0, n - 1))}${EMOJI}`);
    out.push(`${EMOJI}${'c'.repeat(Math.max(0, n - 2))}${LONE_LOW}`);
  }
  out.push('a'.repeat(max * 2), EMOJI.repeat(max + 1), 'é'.repeat(max + 1));
  return out;
}

const UNICODE = [
  'é',
  '日本語',
  EMOJI,
  `a${LONE_HIGH}`,
  `${LONE_LOW}z`,
  '\u0000',
  '\u0007',
  '\u2028',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\u00a0',
  '\t',
  '\n',
  'a b',
  'a#b',
  '#',
  ' a',
  'a ',
  '<!here>',
  '../../etc/passwd',
];

/** Dates: valid shapes, invalid calendars, offsets in and out of range, missing parts, stray characters. */
export const DATES = [
  '2024-04-14T17:11:30.574809Z',
  '2024-04-14T17:11:30.574Z',
  '2024-04-14T17:11:30Z',
  '2024-04-14T17:11:30.1Z',
  '2024-04-14T17:11:30.123456789012Z',
  '2024-04-14T17:11:30.Z',
  '2024-04-14T17:11Z',
  '2024-04-14T17Z',
  '2024-04-14T17:11:30',
  '2024-04-14T17:11:30.574809',
  '2024-04-14',
  '2024-04-14 17:11:30Z',
  '2024-04-14t17:11:30Z',
  '2024-04-14T17:11:30z',
  '2024-04-14T17:11:30+01:00',
  '2024-04-14T17:11:30.5+05:30',
  '2024-04-14T17:11:30-23:59',
  '2024-04-14T17:11:30+23:59',
  '2024-04-14T17:11:30+24:00',
  '2024-04-14T17:11:30+01:60',
  '2024-04-14T17:11:30+0100',
  '2024-04-14T17:11:30+01',
  '2024-04-14T17:11:30Z+01:00',
  '2024-04-14T24:00:00Z',
  '2024-04-14T23:60:00Z',
  '2024-04-14T23:59:60Z',
  '2024-04-14T23:59:59Z',
  '2024-02-29T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '2100-02-29T00:00:00Z',
  '2000-02-29T00:00:00Z',
  '1900-02-29T00:00:00Z',
  '2024-02-30T00:00:00Z',
  '2024-02-31T00:00:00Z',
  '2024-04-31T00:00:00Z',
  '2024-05-31T00:00:00Z',
  '2024-13-01T00:00:00Z',
  '2024-00-10T00:00:00Z',
  '2024-01-00T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '+002024-04-14T17:11:30Z',
  '-000001-01-01T00:00:00Z',
  '20240414T171130Z',
  '2024-4-14T17:11:30Z',
  ' 2024-04-14T17:11:30Z',
  '2024-04-14T17:11:30Z ',
  '2024-04-14T17:11:30Z\n',
  '２０２４-04-14T17:11:30Z',
  '2024-04-14T17:11:30.٥Z',
  'yesterday',
  '',
];

const EVENT_TYPES = [
  'BUCKET_ACCESS_DENIED',
  'bucket_access_denied',
  'A',
  'A'.repeat(100),
  'A'.repeat(101),
  '1BUCKET',
  '_X',
  'X-Y.Z:W',
  'X@Y',
  'X/Y',
  'X Y',
  'ÉVÉNEMENT',
  'X\nY',
  'JOB_V2_EVENT',
];

function clone(m: Message): Message {
  return JSON.parse(JSON.stringify(m)) as Message;
}

function withField(base: Message, field: string, value: Json | undefined): Message {
  const m = clone(base);
  if (field.startsWith('affectedResource.')) {
    const sub = field.slice('affectedResource.'.length);
    const resource: Record<string, Json> =
      typeof m.affectedResource === 'object' && m.affectedResource !== null && !Array.isArray(m.affectedResource)
        ? m.affectedResource
        : { type: 'S3_BUCKET_NAME', value: 'b' };
    if (value === undefined) delete resource[sub];
    else resource[sub] = value;
    m.affectedResource = resource;
    return m;
  }
  if (value === undefined) delete m[field];
  // defineProperty, not assignment: `m.__proto__ = v` would set the prototype instead of an own key.
  else Object.defineProperty(m, field, { value, enumerable: true, writable: true, configurable: true });
  return m;
}

/** Every value one field is given, by field. */
function valuesFor(field: string): (Json | undefined)[] {
  const values: (Json | undefined)[] = [undefined, ...RETYPED, ...UNICODE];
  const leaf = field.replace('affectedResource.', '');
  const max = field === 'affectedResource.type' ? 256 : field === 'affectedResource.value' ? 1024 : LIMITS[leaf];
  if (max !== undefined) values.push(...aroundLimit(max));
  if (field === 'occurredAt' || field === 'runDate') values.push(...DATES);
  if (field === 'eventType') values.push(...EVENT_TYPES);
  if (field === 'affectedResource')
    values.push(
      'S3_BUCKET_NAME',
      { type: 'S3_BUCKET_NAME' },
      { value: 'b' },
      { type: 1, value: 'b' },
      { type: 'S3_BUCKET_NAME', value: 'b', extra: [1] },
      { type: '', value: '' },
    );
  return values;
}

/** Valid messages to start from: the seed's examples, with and without the optional fields. */
export function baseMessages(): Message[] {
  const seeds = Object.values(SEED_EXAMPLES).map((m) => m as Message);
  const full: Message = {
    adminAccountId: '123456789012',
    jobId: '85a55dc0fa6ed0be5939d0408example',
    eventType: 'BUCKET_ACCESS_DENIED',
    occurredAt: '2024-04-14T17:11:30.574809Z',
    description: 'Macie doesn’t have permission to access the affected S3 bucket.',
    jobName: 'My_Macie_Job',
    operation: 'ListObjectsV2',
    runDate: '2024-04-14T17:08:30.345809Z',
    affectedAccount: '111122223333',
    affectedResource: { type: 'S3_BUCKET_NAME', value: 'DOC-EXAMPLE-BUCKET' },
  };
  const bare: Message = Object.fromEntries(Object.entries(full).filter(([k]) => !['operation', 'runDate', 'affectedAccount', 'affectedResource'].includes(k)));
  return [full, bare, ...seeds];
}

/** One mutation per (base, field, value), then seeded combinations of two to six of them. */
export function mutationCorpus(seed = 17, combinations = 3000): string[] {
  const bases = baseMessages();
  const fields = [...TOP_FIELDS, 'affectedResource.type', 'affectedResource.value', 'futureField', '__proto__', 'constructor'];
  const single: { field: string; value: Json | undefined }[] = fields.flatMap((field) => valuesFor(field).map((value) => ({ field, value })));
  const out: string[] = [];
  for (const base of bases.slice(0, 2)) for (const { field, value } of single) out.push(JSON.stringify(withField(base, field, value)));
  for (const base of bases.slice(2))
    for (const { field, value } of single.filter((_, i) => i % 7 === 0)) out.push(JSON.stringify(withField(base, field, value)));
  const r = prng(seed);
  for (let c = 0; c < combinations; c++) {
    let m = bases[Math.floor(r() * bases.length)];
    for (let k = 2 + Math.floor(r() * 5); k > 0; k--) {
      const { field, value } = single[Math.floor(r() * single.length)];
      m = withField(m, field, value);
    }
    out.push(JSON.stringify(m));
  }
  // Keys JSON.stringify cannot write as own properties of a literal: an own "__proto__" carrying the fields.
  const valid = JSON.stringify(bases[0]);
  out.push(valid.replace(/^\{/, '{"__proto__":{"affectedAccount":{"evil":1},"runDate":"not a date"},'));
  out.push(JSON.stringify(bases[1]).replace(/^\{/, '{"__proto__":{"affectedAccount":"x","operation":"y","affectedResource":{"type":"t","value":"v"}},'));
  out.push(valid.replace(/"jobId":"[^"]*",/, '').replace(/^\{/, '{"__proto__":{"jobId":"from-proto"},'));
  // Numbers JSON can write but JavaScript cannot hold: Infinity.
  out.push(valid.replace(/"jobName":"[^"]*"/, '"jobName":1e400'));
  // Duplicate keys: the last one wins in JSON.parse.
  out.push(valid.replace(/^\{/, '{"jobId":12,').replace(/\}$/, ',"eventType":"X Y"}'));
  return out;
}
