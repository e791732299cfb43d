import type { FindingsGroup } from '../../lambda/findings/findings-group';
import { heldGroups, placeNewGroup, rolledUpAlert, rollupDue, type FindingsRollup, type PlaceInput } from '../../lambda/findings/findings-rollup';

/** The roll-up's pure decisions: where a new group goes, which marked groups a flush names, and its words. */
const NOW = new Date('2024-04-14T18:00:00.000Z');
const TYPE = 'SensitiveData:S3Object/Personal';

function rollup(changes: Partial<FindingsRollup> = {}): FindingsRollup {
  return {
    pk: 'JOB#j',
    sk: `FROLLUP#run#${TYPE}`,
    jobId: 'j',
    runDate: '2024-04-14T17:09:30.000Z',
    findingType: TYPE,
    firstBucket: 'bucket-first',
    accountId: '111122223333',
    region: 'us-east-1',
    open: 2,
    windowStart: '2024-04-14T17:30:00.000Z',
    alerts: 2,
    bucketsNamed: 10,
    version: 5,
    ...changes,
  };
}

const input = (changes: Partial<PlaceInput> = {}): PlaceInput => ({
  alertsPer: 'type',
  origin: 'job',
  bucket: 'bucket-new',
  rollup: rollup(),
  claimedInAttempt: false,
  now: NOW,
  repeatIntervalMinutes: 60,
  ...changes,
});

describe('placeNewGroup', () => {
  test.each<[string, Partial<PlaceInput>, { kind: string; after?: number; dueAt?: string; reason: RegExp }]>([
    ['one alert per bucket when the setting says so', { alertsPer: 'bucket' }, { kind: 'alone', reason: /findingAlertsPer: bucket/ }],
    ['automated discovery keeps its own rules', { origin: 'automated', rollup: undefined }, { kind: 'alone', reason: /automated discovery/ }],
    ['samples keep their own rules', { origin: 'sample', rollup: undefined }, { kind: 'alone', reason: /sample/ }],
    ['the first bucket of its type claims the roll-up', { rollup: undefined }, { kind: 'first', reason: /first bucket of its type/ }],
    [
      'a second new bucket of the same batch, the roll-up claimed by the first',
      { rollup: undefined, claimedInAttempt: true },
      { kind: 'rolled', after: 0, dueAt: '2024-04-14T19:00:00.000Z', reason: /another bucket of this batch/ },
    ],
    ['the bucket that claimed the type (its group expired) alerts alone', { bucket: 'bucket-first' }, { kind: 'alone', reason: /first alerted/ }],
    [
      'a later bucket joins the open roll-up, due when the window ends',
      {},
      { kind: 'rolled', after: 2, dueAt: '2024-04-14T18:30:00.000Z', reason: /at most once per 60 min/ },
    ],
    [
      'while a flush is sending, a new bucket joins the next roll-up',
      { rollup: rollup({ open: 3, flushing: true }) },
      { kind: 'rolled', after: 3, dueAt: '2024-04-14T19:00:00.000Z', reason: /roll-up 3 is being sent/ },
    ],
  ])('%s', (_name, changes, expected) => {
    const place = placeNewGroup(input(changes));
    expect(place.kind).toBe(expected.kind);
    expect(place.reason).toMatch(expected.reason);
    if (place.kind === 'rolled') expect({ after: place.after, dueAt: place.dueAt }).toEqual({ after: expected.after, dueAt: expected.dueAt });
  });
});

function group(bucket: string, rolledUp: FindingsGroup['rolledUp'], changes: Partial<FindingsGroup> = {}): FindingsGroup {
  return {
    pk: 'JOB#j',
    sk: `FGROUP#run#${bucket}#${TYPE}`,
    findingType: TYPE,
    bucket,
    accountId: '111122223333',
    origin: 'job',
    jobId: 'j',
    runDate: '2024-04-14T17:09:30.000Z',
    sample: false,
    count: 3,
    bySeverity: { HIGH: 1, MEDIUM: 2 },
    firstAt: '2024-04-14T17:40:00.000Z',
    lastAt: '2024-04-14T17:50:00.000Z',
    firstFindingId: 'f1',
    lastFindingId: 'f3',
    alerts: 0,
    rolledUp,
    ...changes,
  };
}

describe('heldGroups', () => {
  const due = '2024-04-14T18:30:00.000Z';
  const groups = [
    group('named-before', { after: 0, dueAt: due }),
    group('closing', { after: 1, dueAt: due }),
    group('joined-next', { after: 2, dueAt: due }),
    group('already-unmarked', { after: 1 }),
    group('first-bucket', undefined, { alerts: 1 }),
    group('other-type', { after: 1, dueAt: due }, { findingType: 'SensitiveData:S3Object/Financial' }),
  ];
  test.each<[string, Partial<FindingsRollup>, string[], string[]]>([
    ['a flush in progress names the closed roll-up and clears what earlier ones named', { open: 2, flushing: true }, ['closing'], ['named-before']],
    ['no flush in progress: marked groups of closed roll-ups were named, only unmarked', { open: 2 }, [], ['named-before', 'closing']],
    ['nothing closed yet: nothing to name or clear', { open: 0 }, [], []],
  ])('%s', (_name, changes, toName, named) => {
    const held = heldGroups(rollup(changes), groups);
    expect(held.toName.map((g) => g.bucket)).toEqual(toName);
    expect(held.named.map((g) => g.bucket)).toEqual(named);
  });
});

describe('rollupDue', () => {
  test.each<[string, Partial<FindingsRollup>, string, boolean]>([
    ['inside the window', {}, '2024-04-14T18:29:59.000Z', false],
    ['the window has passed', {}, '2024-04-14T18:30:00.000Z', true],
    ['a flush was left half done: due at once', { flushing: true }, '2024-04-14T17:31:00.000Z', true],
  ])('%s', (_name, changes, now, due) => {
    expect(rollupDue(rollup(changes), new Date(now), { repeatIntervalMinutes: 60 })).toBe(due);
  });
});

describe('rolledUpAlert', () => {
  test('names every bucket, the biggest first, says how many more than the text shows, and the full counts', () => {
    const groups = Array.from({ length: 37 }, (_, i) =>
      group(`bucket-${String(i).padStart(2, '0')}`, { after: 1 }, { count: i === 5 ? 50 : 3, accountId: i % 2 ? '111122223333' : '444455556666' }),
    );
    const alert = rolledUpAlert(rollup({ open: 2, flushing: true }), groups, { repeatIntervalMinutes: 60 }, 'Payroll_scan');
    expect(alert.id).toBe(`sd:j:2024-04-14T17:09:30.000Z:${TYPE}:rollup:2`);
    expect(alert.headline).toBe('Macie found personal data in 37 more buckets (job Payroll_scan)');
    expect(alert.job).toEqual({ id: 'j', name: 'Payroll_scan', runDate: '2024-04-14T17:09:30.000Z' });
    expect(alert.whatHappened).toMatch(
      /^Macie job "Payroll_scan" \(j\) \(run 2024-04-14T17:09:30.000Z\) found personal data in 37 more buckets of 2 accounts \(158 findings: 37 high, 74 medium\): bucket-05, bucket-00, bucket-01, /,
    );
    expect(alert.whatHappened).toMatch(/, and 17 more\. The first bucket with this type of finding in this run, bucket-first, alerted at once;/);
    expect(alert.affected[0]).toEqual({ kind: 'bucket', items: expect.arrayContaining(groups.map((g) => g.bucket)), total: 37 });
    expect(alert.affected[0].items).toHaveLength(37);
    expect(alert.affected[1]).toEqual({ kind: 'account', items: ['111122223333', '444455556666'], total: 2 });
    expect(alert.severity).toBe('HIGH');
    expect(alert.count).toBe(158);
  });

  test('one bucket: singular words, no account count', () => {
    const alert = rolledUpAlert(rollup({ open: 1, flushing: true }), [group('only', { after: 0 }, { bySeverity: { LOW: 3 } })], { repeatIntervalMinutes: 30 });
    // A job the job log never named: its id.
    expect(alert.headline).toBe('Macie found personal data in 1 more bucket (job j)');
    expect(alert.whatHappened).toContain('in 1 more bucket (3 findings: 3 low): only. ');
    expect(alert.whatHappened).toContain('at most once per 30 min per finding type');
    expect(alert.affected).toHaveLength(1);
    expect(alert.severity).toBe('LOW');
  });
});
