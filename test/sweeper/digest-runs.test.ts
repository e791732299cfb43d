import { troubledRunOrder, troubledRunText, type TroubledRun } from '../../lambda/sweeper/digest';

/** The runs the daily digest names: in which order, and in which words. */
const run = (job: string, changes: Partial<TroubledRun> = {}): TroubledRun => ({
  job,
  runDate: '2026-11-01T10:00:00.000Z',
  trouble: 'errors',
  errors: 1,
  completed: true,
  paused: false,
  ...changes,
});

test.each<[string, TroubledRun, string]>([
  ['completed with errors', run('nightly', { errors: 3 }), 'nightly (run 2026-11-01 10:00 UTC): completed with 3 errors'],
  ['one error, still running', run('nightly', { completed: false }), 'nightly (run 2026-11-01 10:00 UTC): 1 error'],
  ['cancelled with errors', run('weekly', { trouble: 'cancelled', errors: 2, completed: false }), 'weekly (run 2026-11-01 10:00 UTC): cancelled, 2 errors'],
  ['cancelled, nothing else', run('weekly', { trouble: 'cancelled', errors: 0, completed: false }), 'weekly (run 2026-11-01 10:00 UTC): cancelled'],
  ['paused by the quota, no errors', run('quota', { trouble: 'paused', errors: 0, completed: false, paused: true }), 'quota (run 2026-11-01 10:00 UTC): paused'],
  ['errors and a pause', run('quota', { errors: 1200, completed: false, paused: true }), 'quota (run 2026-11-01 10:00 UTC): 1,200 errors, paused'],
  ['a run date that is not a time', run('odd', { runDate: 'UNKNOWN' }), 'odd (run UNKNOWN): completed with 1 error'],
])('troubledRunText: %s', (_name, r, text) => {
  expect(troubledRunText(r)).toBe(text);
});

test('troubledRunOrder: cancelled first, then most errors, then paused; ties by job and run date', () => {
  const runs = [
    run('p', { trouble: 'paused', errors: 0, paused: true }),
    run('e1', { errors: 1 }),
    run('c', { trouble: 'cancelled', errors: 0 }),
    run('e9', { errors: 9 }),
    run('b', { errors: 1, runDate: '2026-11-01T12:00:00.000Z' }),
    run('b', { errors: 1 }),
  ];
  expect([...runs].sort(troubledRunOrder).map((r) => `${r.job} ${r.runDate.slice(11, 13)}`)).toEqual(['c 10', 'e9 10', 'b 10', 'b 12', 'e1 10', 'p 10']);
});
