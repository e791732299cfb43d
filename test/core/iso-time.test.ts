import { compareAt, compareIso, instant, maxIso, minIso, newestEvent } from '../../lambda/core/iso-time';

/** compareIso as it was written before the instants were cached: Date.parse of both texts at every call. */
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
  test('compareIso and compareAt (with the instants held) order every pair as Date.parse at every call does', () => {
    for (const a of TIMES) {
      for (const b of TIMES) {
        expect([a, b, compareIso(a, b)]).toEqual([a, b, oracle(a, b)]);
        expect([a, b, compareAt(a, instant(a), b, instant(b))]).toEqual([a, b, oracle(a, b)]);
      }
    }
  });

  test('instant is Date.parse, NaN included', () => {
    for (const t of TIMES) expect(Object.is(instant(t), Date.parse(t))).toBe(true);
  });

  test('newestEvent is the fold of compareIso: the newest, the first of equals', () => {
    const events = TIMES.map((occurredAt, i) => ({ occurredAt, i }));
    const orders = [events, [...events].reverse(), [...events.slice(5), ...events.slice(0, 5)]];
    for (const order of orders) {
      const expected = order.reduce((m, e) => (oracle(e.occurredAt, m.occurredAt) > 0 ? e : m), order[0]);
      expect(newestEvent(order)).toBe(expected);
    }
    const ties = [{ occurredAt: '2024-04-14T17:09:36Z', i: 0 }, { occurredAt: '2024-04-14T17:09:36Z', i: 1 }];
    expect(newestEvent(ties).i).toBe(0);
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
});
