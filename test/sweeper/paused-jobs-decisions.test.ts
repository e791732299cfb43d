import { nextStartAfter, pausedJobReminder, stepsThrough, userPauseReminder, type Schedule } from '../../lambda/sweeper/paused-jobs';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const P = Date.parse('2026-11-01T00:00:00.000Z');

describe('a run paused by a user: the reminder due, the latest only', () => {
  test.each<[string, number | undefined, number, string[], string | undefined, string]>([
    ['no pause time', undefined, P + 40 * DAY, [], undefined, 'no pause time to count from'],
    ['22 days paused', P, P + 22 * DAY, [], undefined, 'not yet 23 days paused'],
    ['23 days paused', P, P + 23 * DAY, [], 'day-23', 'paused 23 days'],
    ['23 days paused, reminded', P, P + 25 * DAY, ['day-23'], undefined, 'its latest due reminder was raised'],
    ['29 days paused, day 23 reminded', P, P + 29 * DAY, ['day-23'], 'day-29', 'paused 29 days'],
    ['29 days paused, the sweeper down since day 20: one reminder', P, P + 29 * DAY + HOUR, [], 'day-29', 'paused 29 days'],
    ['30 days exactly: the cancel may be on its way', P, P + 30 * DAY, ['day-23', 'day-29'], undefined, 'its latest due reminder was raised'],
    ['30 days and an hour: the expiry passed', P, P + 30 * DAY + HOUR, ['day-23', 'day-29'], 'expired', 'still paused 30 days after the pause'],
    ['expiry told', P, P + 60 * DAY, ['day-23', 'day-29', 'expired'], undefined, 'its latest due reminder was raised'],
  ])('%s', (_name, pausedAt, now, raised, step, reason) => {
    expect(userPauseReminder(pausedAt, now, raised)).toEqual(step ? { step, reason } : { reason });
  });

  test('a reminder settles its step and every earlier one', () => {
    expect(stepsThrough('day-23')).toEqual(['day-23']);
    expect(stepsThrough('day-29')).toEqual(['day-23', 'day-29']);
    expect(stepsThrough('expired')).toEqual(['day-23', 'day-29', 'expired']);
  });
});

describe('a periodic job paused between runs: missed runs (or days) and when a reminder is due', () => {
  const daily: Schedule = { intervalMs: DAY, lastStart: P };
  const pausedAt = P + 8 * HOUR;
  test.each<[string, Schedule | undefined, number, number, boolean, number, string]>([
    ['the next run not yet half a day late', daily, P + DAY + 11 * HOUR, 0, false, 0, 'no scheduled run missed yet'],
    ['the next run half a day late', daily, P + DAY + 12 * HOUR, 0, true, 1, '1 missed runs since the pause, 0 told'],
    ['the same missed run, told', daily, P + 2 * DAY, 1, false, 1, '1 missed runs told already'],
    ['three missed runs, one told', daily, P + 3 * DAY + 13 * HOUR, 1, true, 3, '3 missed runs since the pause, 1 told'],
    [
      'a slot before the pause is not counted',
      { intervalMs: DAY, lastStart: P - DAY },
      P + DAY + 12 * HOUR,
      0,
      true,
      1,
      '1 missed runs since the pause, 0 told',
    ],
    ['no steady schedule: less than a day', undefined, pausedAt + 23 * HOUR, 0, false, 0, 'paused less than a day'],
    ['no steady schedule: whole days', undefined, pausedAt + 2 * DAY + HOUR, 1, true, 2, '2 days since the pause, 1 told'],
  ])('%s', (_name, schedule, now, told, due, missed, reason) => {
    expect(pausedJobReminder(pausedAt, schedule, now, told)).toEqual({ due, missed, by: schedule ? 'missed runs' : 'days', reason });
  });
});

describe('the next expected start, after a resumption', () => {
  const daily: Schedule = { intervalMs: DAY, lastStart: P };
  test.each<[string, number | undefined, number]>([
    ['no resumption known', undefined, P + DAY],
    ['resumed before the next slot (a run paused and resumed)', P + 5 * HOUR, P + DAY],
    ['resumed after missing three runs', P + 3 * DAY + 8 * HOUR, P + 4 * DAY],
    ['resumed exactly at a slot: the following one', P + 2 * DAY, P + 3 * DAY],
  ])('%s', (_name, resumedAt, want) => {
    expect(nextStartAfter(daily, resumedAt)).toBe(want);
  });
});
