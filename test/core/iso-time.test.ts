import { compareInstants, compareIso, earlier, instantOf, later, maxIso, minIso, subjectTime } from '../../lambda/core/iso-time';

/** The order every comparison must give: Date.parse of both texts, then the texts (NaN and ties included). */
function oracle(a: string, b: string): number {
  const d = Date.parse(a) - Date.parse(b);
  if (d !== 0 && Number.isFinite(d)) return d < 0 ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

// Same instant in other offsets, sub-millisecond digits (Date.parse keeps milliseconds), days Date.parse rolls
// over (February 30 is March 1), hour 24, texts that are no time at all (NaN), and the empty text.
const TIMES = [
  '2024-04-14T17:09:35.574315Z',
  '2024-04-14T17:09:35.574316Z',
  '2024-04-14T17:09:35.574Z',
  '2024-04-14T19:09:35.574315+02:00',
  '2024-04-14T12:09:35.574315-05:00',
  '2024-04-14T17:09:36Z',
  '2024-02-30T12:00:00Z',
  '2024-03-01T06:00:00Z',
  '2024-01-01T24:00:00Z',
  '2024-01-02T00:00:00Z',
  '2024-13-01T00:00:00Z',
  'not a time',
  '',
];

describe('ISO times compared by instant', () => {
  test('compareIso and compareInstants order every pair as the oracle does', () => {
    for (const a of TIMES) {
      for (const b of TIMES) {
        expect([a, b, compareIso(a, b)]).toEqual([a, b, oracle(a, b)]);
        expect([a, b, compareInstants(instantOf(a), instantOf(b))]).toEqual([a, b, oracle(a, b)]);
      }
    }
  });

  test('an instant is the text and its Date.parse, NaN included', () => {
    for (const t of TIMES) expect(Object.is(instantOf(t).ms, Date.parse(t)) && instantOf(t).iso === t).toBe(true);
  });

  test('maxIso and minIso pick by compareIso; an undefined one is no candidate', () => {
    for (const a of TIMES) {
      for (const b of TIMES) {
        expect(maxIso(a, b)).toBe(oracle(a, b) >= 0 ? a : b);
        expect(minIso(a, b)).toBe(oracle(a, b) <= 0 ? a : b);
      }
    }
    expect(maxIso(undefined, TIMES[0])).toBe(TIMES[0]);
    expect(minIso(TIMES[0], undefined)).toBe(TIMES[0]);
  });

  test('later and earlier pick instants the same way, the first on a tie', () => {
    for (const a of TIMES) {
      for (const b of TIMES) {
        const [x, y] = [instantOf(a), instantOf(b)];
        expect(later(x, y)).toBe(oracle(a, b) >= 0 ? x : y);
        expect(earlier(x, y)).toBe(oracle(a, b) <= 0 ? x : y);
      }
    }
    const [first, second] = [instantOf(TIMES[5]), instantOf(TIMES[5])];
    expect([later(first, second), earlier(first, second), later(undefined, second)]).toEqual([first, first, second]);
    expect(later(first, second)).toBe(first);
  });

  test.each([
    ['2024-06-05T10:00:00.000Z', false, '2024-06-05 10:00 UTC'],
    ['2024-06-05T10:00:45.123Z', false, '2024-06-05 10:00 UTC'],
    ['2024-06-05T10:00:45.123Z', true, '2024-06-05 10:00:45 UTC'],
    ['2024-06-05T10:00:00.900Z', true, '2024-06-05 10:00 UTC'],
    ['2024-04-14T17:09:30.574809Z', false, '2024-04-14 17:09 UTC'],
    ['2024-06-05T12:00:00+02:00', false, '2024-06-05 10:00 UTC'],
    ['not a time', true, 'not a time'],
  ] as const)('subjectTime(%s, seconds %s) is %s', (iso, seconds, words) => {
    expect(subjectTime(iso, seconds)).toBe(words);
  });
});
