import { windowEndingAt } from '../../lambda/sweeper/digest';
import { buildDigestAlert, troubledRunText } from '../../lambda/sweeper/digest-alert';
import { summarizeDigest, troubledRunOrder, type TroubledRun } from '../../lambda/sweeper/digest-content';
import { testRun } from '../support/runs';

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
  [
    'paused by the quota, no errors',
    run('quota', { trouble: 'paused', errors: 0, completed: false, paused: true }),
    'quota (run 2026-11-01 10:00 UTC): paused',
  ],
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

test('an error type whose buckets were capped in a run says "at least" more, never a false count; one with every name kept, the exact rest', () => {
  const window = windowEndingAt(new Date('2026-11-02T09:00:00.000Z'));
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
  const runs = [
    testRun({
      jobId: 'org',
      runDate: '2026-11-01T10:00:00.000Z',
      startedAt: '2026-11-01T10:00:00.000Z',
      status: 'RUNNING',
      errors: { BUCKET_ACCESS_DENIED: 60_000, BUCKET_DOES_NOT_EXIST: 7 },
      affected: {
        BUCKET_ACCESS_DENIED: { buckets: names('denied', 10), accounts: [], total: 60_000 },
        BUCKET_DOES_NOT_EXIST: { buckets: names('gone', 7), accounts: [], total: 7 },
      },
    }),
  ];
  const digest = buildDigestAlert(summarizeDigest({ window, now: new Date(window.end), alerts: [], runs, silences: [] }), 'eu-west-1');
  const row = (label: string) => digest.details.find((d) => d.label === label)?.value;
  expect(row('Errors: BUCKET_ACCESS_DENIED')).toBe(`60,000 events in 1 run; buckets: ${names('denied', 5).join(', ')} and at least 5 more`);
  expect(row('Errors: BUCKET_DOES_NOT_EXIST')).toBe(`7 events in 1 run; buckets: ${names('gone', 5).join(', ')} and 2 more`);
});

describe("an error type's buckets in the digest, from the runs' exact counts", () => {
  const window = windowEndingAt(new Date('2026-11-02T09:00:00.000Z'));
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
  const denied = (jobId: string, buckets: string[], counted: number | undefined) =>
    testRun({
      jobId,
      runDate: '2026-11-01T10:00:00.000Z',
      startedAt: '2026-11-01T10:00:00.000Z',
      status: 'RUNNING',
      errors: { BUCKET_ACCESS_DENIED: 60_000 },
      affected: { BUCKET_ACCESS_DENIED: { buckets, accounts: [], total: 60_000 } },
      ...(counted === undefined ? {} : { bucketCounts: { BUCKET_ACCESS_DENIED: counted } }),
    });
  const row = (runs: ReturnType<typeof denied>[]) =>
    buildDigestAlert(summarizeDigest({ window, now: new Date(window.end), alerts: [], runs, silences: [] }), 'eu-west-1').details.find(
      (d) => d.label === 'Errors: BUCKET_ACCESS_DENIED',
    )?.value;

  test.each<[string, ReturnType<typeof denied>[], string]>([
    ['one run that counted 6,000 buckets: the exact rest', [denied('org', names('denied', 10), 6_000)], 'and 5,995 more'],
    ['two runs whose lists hold every bucket: their union', [denied('a', names('x', 4), 4), denied('b', names('x', 6), 6)], 'and 1 more'],
    ['two runs, one past its list: a lower bound, the larger count', [denied('a', names('x', 10), 900), denied('b', ['y'], 1)], 'and at least 895 more'],
    ['a run written before the counts, its list capped: "at least", as before', [denied('org', names('denied', 10), undefined)], 'and at least 5 more'],
  ])('%s', (_name, runs, tail) => {
    expect(row(runs)).toMatch(new RegExp(`${tail}$`));
    if (!tail.includes('at least')) expect(row(runs)).not.toContain('at least');
  });
});
