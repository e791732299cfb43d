import { decideRepeat, repeatDueAt, type RepeatDecision, type RepeatInput } from '../../lambda/core/repeat-decision';

const T = Date.parse('2024-06-01T10:00:00.000Z');
const HOUR = 3_600_000;
const ACK = { id: 'A-7KQ2' };
const ackUntil = (endsAt: number) => (at: number) => (at < endsAt ? ACK : undefined);

interface Case {
  readonly name: string;
  readonly input: RepeatInput<typeof ACK>;
  readonly want: RepeatDecision<typeof ACK>;
}

const cases: Case[] = [
  { name: 'never alerted: the first', input: { alerted: false, dueAt: undefined, at: T }, want: { kind: 'first', reason: 'never-alerted' } },
  {
    name: 'never alerted, under an acknowledgement: still the first (an ack never holds a new problem)',
    input: { alerted: false, dueAt: undefined, at: T, ackAt: ackUntil(T + HOUR) },
    want: { kind: 'first', reason: 'never-alerted' },
  },
  {
    name: 'inside the interval: held',
    input: { alerted: true, dueAt: T + HOUR, at: T + HOUR - 1 },
    want: { kind: 'hold', reason: 'within-interval' },
  },
  {
    name: 'exactly at the end of the interval: a repeat',
    input: { alerted: true, dueAt: T + HOUR, at: T + HOUR },
    want: { kind: 'repeat', reason: 'interval-passed' },
  },
  { name: 'past the interval: a repeat', input: { alerted: true, dueAt: T, at: T + 5 * HOUR }, want: { kind: 'repeat', reason: 'interval-passed' } },
  {
    name: 'past the interval, acknowledged: held by the acknowledgement',
    input: { alerted: true, dueAt: T, at: T + HOUR, ackAt: ackUntil(T + 2 * HOUR) },
    want: { kind: 'hold', reason: 'acknowledged', ack: ACK },
  },
  {
    name: 'past the interval, the acknowledgement ended: a repeat',
    input: { alerted: true, dueAt: T, at: T + 3 * HOUR, ackAt: ackUntil(T + 2 * HOUR) },
    want: { kind: 'repeat', reason: 'interval-passed' },
  },
  {
    name: 'inside the interval, acknowledged: held for the interval, not the ack',
    input: { alerted: true, dueAt: T + HOUR, at: T, ackAt: ackUntil(T + 2 * HOUR) },
    want: { kind: 'hold', reason: 'within-interval' },
  },
  {
    name: 'alerted, time of the last alert unknown: held',
    input: { alerted: true, dueAt: undefined, at: T },
    want: { kind: 'hold', reason: 'within-interval' },
  },
  { name: 'an unreadable time: held', input: { alerted: true, dueAt: Number.NaN, at: T }, want: { kind: 'hold', reason: 'within-interval' } },
];

describe('decideRepeat', () => {
  it.each(cases)('$name', ({ input, want }) => {
    expect(decideRepeat(input)).toEqual(want);
  });

  it('asks acknowledgements only of a repeat that is due, at the judged instant', () => {
    const asked: number[] = [];
    const ackAt = (at: number) => {
      asked.push(at);
      return undefined;
    };
    decideRepeat({ alerted: false, dueAt: undefined, at: T, ackAt });
    decideRepeat({ alerted: true, dueAt: T + HOUR, at: T, ackAt });
    decideRepeat({ alerted: true, dueAt: T, at: T + HOUR, ackAt });
    expect(asked).toEqual([T + HOUR]);
  });
});

describe('repeatDueAt', () => {
  it.each([
    { name: 'no alert yet', last: undefined, want: undefined },
    { name: 'an alert: its time plus the interval', last: '2024-06-01T10:00:00.000Z', want: T + HOUR },
    { name: 'an offset time: by instant', last: '2024-06-01T12:00:00+02:00', want: T + HOUR },
  ])('$name', ({ last, want }) => {
    expect(repeatDueAt(last, HOUR)).toEqual(want);
  });
});
