import { silencer, nextSilenceWindow, silenceLine, type Silence } from '../../lambda/silences/silence';
import { compileWeeklyWindow, describeWeeklyWindow, inWeeklyWindow, nextOpening, parseWeeklyWindow } from '../../lambda/silences/weekly-window';

// 2024-06-01 is a Saturday; 2024-06-02 a Sunday; 2024-06-03 a Monday; 2024-06-07 a Friday.
const at = (iso: string) => Date.parse(iso);
const inside = (spec: string, iso: string) => inWeeklyWindow(compileWeeklyWindow(parseWeeklyWindow(spec)), at(iso));

describe('a weekly window covers [open, close) on its weekdays, in UTC', () => {
  test.each<[string, string, string, boolean]>([
    ['at the opening (inclusive)', 'sat,sun 00:00-06:00', '2024-06-01T00:00:00.000Z', true],
    ['just before the opening', 'sat,sun 00:00-06:00', '2024-05-31T23:59:59.999Z', false],
    ['just before the close', 'sat,sun 00:00-06:00', '2024-06-01T05:59:59.999Z', true],
    ['at the close (exclusive)', 'sat,sun 00:00-06:00', '2024-06-01T06:00:00.000Z', false],
    ['the other listed day', 'sat,sun 00:00-06:00', '2024-06-02T03:00:00.000Z', true],
    ['a day not listed', 'sat,sun 00:00-06:00', '2024-06-03T03:00:00.000Z', false],
    ['a week later', 'sat,sun 00:00-06:00', '2024-06-08T05:00:00.000Z', true],
    ['crossing midnight: the evening of its day', 'fri 22:00-02:00', '2024-06-07T22:00:00.000Z', true],
    ['crossing midnight: after midnight, the next day', 'fri 22:00-02:00', '2024-06-08T01:59:59.999Z', true],
    ['crossing midnight: at its close', 'fri 22:00-02:00', '2024-06-08T02:00:00.000Z', false],
    ['crossing midnight: the early hours of its own day are not in it', 'fri 22:00-02:00', '2024-06-07T01:00:00.000Z', false],
    ['the week wraps: Saturday night into Sunday', 'sat 23:00-01:00', '2024-06-02T00:30:00.000Z', true],
    ['the week wraps: Sunday night into Monday', 'sun 22:00-02:00', '2024-06-03T01:00:00.000Z', true],
    ['the week wraps: Sunday night, before its opening', 'sun 22:00-02:00', '2024-06-02T21:59:59.999Z', false],
    ['a range of days', 'mon-fri 09:00-17:00', '2024-06-05T12:00:00.000Z', true],
    ['a range of days, a weekend day', 'mon-fri 09:00-17:00', '2024-06-01T12:00:00.000Z', false],
    ['a range that wraps the week', 'fri-mon 09:00-17:00', '2024-06-02T12:00:00.000Z', true],
    ['a range that wraps the week, Wednesday', 'fri-mon 09:00-17:00', '2024-06-05T12:00:00.000Z', false],
    ['whole days', 'sun 00:00-24:00', '2024-06-02T23:59:59.999Z', true],
    ['whole days, the next midnight', 'sun 00:00-24:00', '2024-06-03T00:00:00.000Z', false],
    ['daily', 'daily 01:00-03:00', '2024-06-04T02:00:00.000Z', true],
    ['microseconds before the close', 'sat 00:00-06:00', '2024-06-01T05:59:59.999999Z', true],
    ['an offset is converted to UTC', 'sat 00:00-06:00', '2024-06-01T07:30:00.000+02:00', true],
    ['before 1970 too', 'thu 00:00-01:00', '1969-12-25T00:30:00.000Z', true],
  ])('%s: %s at %s', (_name, spec, iso, expected) => {
    expect(inside(spec, iso)).toBe(expected);
  });
});

describe('what --every accepts', () => {
  test.each<[string, ReturnType<typeof parseWeeklyWindow>]>([
    ['sat,sun 00:00-06:00', { days: ['sat', 'sun'], from: '00:00', to: '06:00' }],
    ['SUN,SAT 00:00-06:00', { days: ['sat', 'sun'], from: '00:00', to: '06:00' }],
    ['mon-fri 22:00-02:00', { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '22:00', to: '02:00' }],
    ['fri-mon 09:00-17:00', { days: ['mon', 'fri', 'sat', 'sun'], from: '09:00', to: '17:00' }],
    ['daily 01:00-03:00', { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '01:00', to: '03:00' }],
  ])('%s', (text, spec) => {
    expect(parseWeeklyWindow(text)).toEqual(spec);
  });

  test.each<[string, string]>([
    ['sat,sun', 'is not a weekly window'],
    ['saturday 00:00-06:00', '"saturday" is not a weekday'],
    ['sat, 00:00-06:00', 'is not a weekday or a range'],
    ['sat,,sun 00:00-06:00', 'is not a weekday or a range'],
    ['sat 0:00-6:00', 'is not a time of day'],
    ['sat 00:00-24:01', 'is not a time of day'],
    ['sat 24:00-06:00', 'cannot open at 24:00'],
    ['sat 06:00-06:00', 'is empty'],
  ])('%s is refused', (text, message) => {
    expect(() => parseWeeklyWindow(text)).toThrow(message);
  });

  test('describeWeeklyWindow says it in words', () => {
    expect(describeWeeklyWindow(parseWeeklyWindow('sat,sun 00:00-06:00'))).toBe('every Sat, Sun 00:00-06:00 UTC');
    expect(describeWeeklyWindow(parseWeeklyWindow('daily 01:00-03:00'))).toBe('every day 01:00-03:00 UTC');
  });
});

describe('the next opening, within the silence', () => {
  const w = compileWeeklyWindow(parseWeeklyWindow('sat,sun 00:00-06:00'));
  const start = at('2024-05-27T00:00:00.000Z');
  const end = at('2024-06-30T00:00:00.000Z');
  const iso = (o: { from: number; to: number } | undefined) => o && [new Date(o.from).toISOString(), new Date(o.to).toISOString()];

  test.each<[string, string, [string, string] | undefined]>([
    ['during the week: the coming Saturday', '2024-05-29T12:00:00.000Z', ['2024-06-01T00:00:00.000Z', '2024-06-01T06:00:00.000Z']],
    ['inside one: that one', '2024-06-01T03:00:00.000Z', ['2024-06-01T00:00:00.000Z', '2024-06-01T06:00:00.000Z']],
    ['at its close: the next day', '2024-06-01T06:00:00.000Z', ['2024-06-02T00:00:00.000Z', '2024-06-02T06:00:00.000Z']],
    ['Sunday after the close: next week', '2024-06-02T07:00:00.000Z', ['2024-06-08T00:00:00.000Z', '2024-06-08T06:00:00.000Z']],
    ['after the silence ends: none', '2024-06-30T00:00:00.000Z', undefined],
  ])('%s', (_name, now, expected) => {
    expect(iso(nextOpening(w, at(now), start, end))).toEqual(expected);
  });

  test('clipped to the silence: it starts or ends inside a window', () => {
    expect(iso(nextOpening(w, at('2024-06-01T02:00:00.000Z'), at('2024-06-01T02:00:00.000Z'), at('2024-06-01T04:00:00.000Z')))).toEqual([
      '2024-06-01T02:00:00.000Z',
      '2024-06-01T04:00:00.000Z',
    ]);
    expect(nextOpening(w, at('2024-06-03T00:00:00.000Z'), at('2024-06-03T00:00:00.000Z'), at('2024-06-07T00:00:00.000Z'))).toBeUndefined();
  });
});

describe('a recurring silence, judged at event time', () => {
  const recurring: Silence = {
    id: 'S-1',
    match: { bucket: 'logs-*' },
    startsAt: '2024-05-27T00:00:00.000Z',
    endsAt: '2024-06-08T03:00:00.000Z',
    every: { days: ['sat', 'sun'], from: '00:00', to: '06:00' },
    author: 'alice',
    reason: 'backups',
    createdAt: '2024-05-27T00:00:00.000Z',
  };
  const hides = (s: Silence, iso: string) => silencer([s])({ type: 'BUCKET_ACCESS_DENIED', at: iso, bucket: 'logs-1' })?.id;

  test.each<[string, string, boolean]>([
    ['inside a window, inside the silence', '2024-06-01T01:00:00.000Z', true],
    ['outside the window, inside the silence', '2024-06-01T07:00:00.000Z', false],
    ['inside a window clipped by the silence end', '2024-06-08T02:59:59.999Z', true],
    ['inside a window, after the silence end', '2024-06-08T03:00:00.000Z', false],
    ['inside a window, before the silence start', '2024-05-26T01:00:00.000Z', false],
  ])('%s', (_name, iso, expected) => {
    expect(hides(recurring, iso)).toBe(expected ? 'S-1' : undefined);
  });

  test('a stored window that cannot be read (edited by hand) hides nothing', () => {
    expect(hides({ ...recurring, every: { days: ['someday'], from: '00:00', to: '06:00' } }, '2024-06-01T01:00:00.000Z')).toBeUndefined();
    expect(nextSilenceWindow({ ...recurring, every: { days: [], from: '00:00', to: '06:00' } }, new Date('2024-06-01T01:00:00.000Z'))).toBeUndefined();
  });

  test('the listing line names the window, and the next window is within its life', () => {
    expect(silenceLine(recurring)).toContain('until 2024-06-08T03:00:00.000Z, every Sat, Sun 00:00-06:00 UTC; by alice');
    const next = nextSilenceWindow(recurring, new Date('2024-06-02T07:00:00.000Z'));
    expect(next && new Date(next.to).toISOString()).toBe('2024-06-08T03:00:00.000Z');
    expect(nextSilenceWindow({ ...recurring, every: undefined }, new Date('2024-06-02T07:00:00.000Z'))).toBeUndefined();
  });
});
