import {
  activeSilences,
  checkMatchers,
  describeMatchers,
  NEVER_SILENCED,
  normalizeSilenceId,
  randomSilenceId,
  SILENCE_ID,
  silenceLine,
  silencer,
  type Silence,
  type SilenceSubject,
} from '../../lambda/silences/silence';
import { ALERTED_API_CALLS } from '../../lambda/api-calls/call-types';

const START = '2024-06-03T00:00:00.000Z';
const END = '2024-06-10T00:00:00.000Z';

function silence(id: string, match: Silence['match'], times: Partial<Pick<Silence, 'startsAt' | 'endsAt'>> = {}): Silence {
  return { id, match, startsAt: times.startsAt ?? START, endsAt: times.endsAt ?? END, author: 'alice', reason: 'test', createdAt: START };
}

const event: SilenceSubject = {
  type: 'BUCKET_ACCESS_DENIED',
  at: '2024-06-04T02:01:00.000233Z',
  jobId: 'job-1',
  bucket: 'amzn-s3-demo-logs-01',
  accountId: '111122223333',
};

const matched = (s: Silence, subject: SilenceSubject = event) => silencer([s])(subject)?.id;

describe('a silence matches on each matcher, all given ones together', () => {
  test.each<[string, Silence['match'], boolean]>([
    ['job', { jobId: 'job-1' }, true],
    ['another job', { jobId: 'job-2' }, false],
    ['bucket, exact', { bucket: 'amzn-s3-demo-logs-01' }, true],
    ['bucket, exact, another', { bucket: 'amzn-s3-demo-logs-0' }, false],
    ['bucket prefix', { bucket: 'amzn-s3-demo-logs-*' }, true],
    ['bucket prefix, the whole name then *', { bucket: 'amzn-s3-demo-logs-01*' }, true],
    ['bucket prefix, another', { bucket: 'amzn-s3-demo-data-*' }, false],
    ['any bucket', { bucket: '*' }, true],
    ['account', { accountId: '111122223333' }, true],
    ['another account', { accountId: '444455556666' }, false],
    ['type', { type: 'BUCKET_ACCESS_DENIED' }, true],
    ['another type', { type: 'BUCKET_DOES_NOT_EXIST' }, false],
    ['all four', { jobId: 'job-1', bucket: 'amzn-s3-demo-*', accountId: '111122223333', type: 'BUCKET_ACCESS_DENIED' }, true],
    ['all four but one', { jobId: 'job-1', bucket: 'amzn-s3-demo-*', accountId: '444455556666', type: 'BUCKET_ACCESS_DENIED' }, false],
  ])('%s', (_name, match, expected) => {
    expect(matched(silence('S-1', match))).toBe(expected ? 'S-1' : undefined);
  });

  test('a matcher the subject has no field for does not match (a bucket silence never hides an account error)', () => {
    const accountError: SilenceSubject = { type: 'ACCOUNT_ACCESS_DENIED', at: event.at, jobId: 'job-1', accountId: '111122223333' };
    expect(matched(silence('S-1', { bucket: '*' }), accountError)).toBeUndefined();
    expect(matched(silence('S-1', { accountId: '111122223333' }), accountError)).toBe('S-1');
    expect(matched(silence('S-1', { jobId: 'job-1' }), { type: 'X', at: event.at })).toBeUndefined();
  });

  test('a stored silence with no matcher (edited by hand) matches nothing', () => {
    expect(matched(silence('S-1', {}))).toBeUndefined();
  });
});

describe('a silence covers the events of [startsAt, endsAt), judged at their own time', () => {
  const s = silence('S-1', { jobId: 'job-1' });
  test.each([
    ['one millisecond before the start', '2024-06-02T23:59:59.999Z', false],
    ['at the start', START, true],
    ['one millisecond before the end', '2024-06-09T23:59:59.999Z', true],
    ['at the end', END, false],
    ['after the end', '2024-06-11T00:00:00.000Z', false],
    ['at the end, written with an offset', '2024-06-10T02:00:00.000+02:00', false],
    ['just before the end, with microseconds', '2024-06-09T23:59:59.999999Z', true],
  ])('%s', (_name, at, expected) => {
    expect(matched(s, { ...event, at })).toBe(expected ? 'S-1' : undefined);
  });

  test('an event whose time cannot be read is never silenced', () => {
    expect(matched(s, { ...event, at: 'yesterday' })).toBeUndefined();
  });

  test('an expired silence (end moved to now) still covers what happened before, not after', () => {
    const expired = silence('S-1', { jobId: 'job-1' }, { endsAt: '2024-06-04T12:00:00.000Z' });
    expect(matched(expired, { ...event, at: '2024-06-04T11:59:00.000Z' })).toBe('S-1');
    expect(matched(expired, { ...event, at: '2024-06-04T12:00:00.000Z' })).toBeUndefined();
  });

  test('activeSilences: those started and not ended at a given instant', () => {
    const list = [
      silence('S-A', { jobId: 'a' }),
      silence('S-B', { jobId: 'b' }, { startsAt: '2024-06-05T00:00:00.000Z' }),
      silence('S-C', { jobId: 'c' }, { endsAt: '2024-06-04T00:00:00.000Z' }),
    ];
    expect(activeSilences(list, new Date('2024-06-04T00:00:00.000Z')).map((x) => x.id)).toEqual(['S-A']);
    expect(activeSilences(list, new Date('2024-06-05T00:00:00.000Z')).map((x) => x.id)).toEqual(['S-A', 'S-B']);
    expect(activeSilences(list, new Date(END)).map((x) => x.id)).toEqual([]);
  });
});

describe('which silence wins, and what is never silenced', () => {
  test('several match: the smallest id, whatever order they were read in', () => {
    const a = silence('S-22', { bucket: 'amzn-s3-demo-*' });
    const b = silence('S-3', { accountId: '111122223333' });
    expect(silencer([a, b])(event)?.id).toBe('S-22');
    expect(silencer([b, a])(event)?.id).toBe('S-22');
  });

  test('alerts about Macie being disabled and about its suppression rules are never silenced, and a silence on them is refused', () => {
    for (const type of NEVER_SILENCED) {
      expect(ALERTED_API_CALLS).toContain(type);
      expect(matched(silence('S-1', { accountId: '111122223333' }), { type, at: event.at, accountId: '111122223333' })).toBeUndefined();
      expect(() => checkMatchers({ type })).toThrow(`${type} alerts cannot be silenced`);
    }
    expect(matched(silence('S-1', { accountId: '111122223333' }), { type: 'GetSensitiveDataOccurrences', at: event.at, accountId: '111122223333' })).toBe(
      'S-1',
    );
  });
});

describe('new silences', () => {
  test('matchers are checked: at least one, each well-formed', () => {
    expect(() => checkMatchers({})).toThrow('a silence needs at least one matcher');
    expect(() => checkMatchers({ bucket: 'logs-*-old' })).toThrow('is not a bucket name or a prefix ending with *');
    expect(() => checkMatchers({ bucket: '' })).toThrow('is not a bucket name');
    expect(() => checkMatchers({ accountId: '1234' })).toThrow('is not a 12-digit AWS account id');
    expect(() => checkMatchers({ jobId: 'job id with spaces' })).toThrow('is not a Macie job id');
    expect(() => checkMatchers({ type: 'no spaces allowed' })).toThrow('is not an event type');
    expect(checkMatchers({ type: 'SensitiveData:S3Object/Personal', bucket: 'logs-*' })).toEqual({ type: 'SensitiveData:S3Object/Personal', bucket: 'logs-*' });
  });

  test('ids are short, typable and unambiguous; typed ids are normalised', () => {
    const ids = Array.from({ length: 200 }, randomSilenceId);
    for (const id of ids) expect(id).toMatch(/^S-[2-9A-HJKMNP-TV-Z]{4}$/);
    expect(new Set(ids).size).toBeGreaterThan(190);
    expect(ids.every((id) => SILENCE_ID.test(id))).toBe(true);
    expect(normalizeSilenceId(' s-7kq2 ')).toBe('S-7KQ2');
    expect(normalizeSilenceId('7KQ2')).toBeUndefined();
  });

  test('silenceLine: one line per silence, for listings and the sweeper\u2019s digest', () => {
    expect(silenceLine(silence('S-7KQ2', { bucket: 'logs-*', accountId: '111122223333' }))).toBe(
      `S-7KQ2: buckets logs-* in account 111122223333; from ${START} until ${END}; by alice: test`,
    );
  });

  test('describeMatchers says what a silence matches in words', () => {
    expect(describeMatchers({ bucket: 'logs-*', accountId: '111122223333' })).toBe('buckets logs-* in account 111122223333');
    expect(describeMatchers({ jobId: 'j', bucket: 'b', type: 'T' })).toBe('job j, bucket b, type T');
    expect(describeMatchers({ accountId: '111122223333' })).toBe('account 111122223333');
  });
});
