import { silencer, type Silence } from '../../../lambda/silences/silence';
import { applySummary, decideSummary, type SummaryDecision } from '../../../lambda/job-log/summary-decision';
import type { RunState } from '../../../lambda/state/job-items';
import { testRun } from '../../support/runs';
import { at, JOB, RUN, settings } from './stage-events';

const ENDED = at(RUN, 40);
const open = (r: Partial<RunState> = {}) => testRun({ jobId: JOB, runDate: RUN, status: 'RUNNING', bucketsMatched: 3, startedAt: RUN, ...r });
const completed = (r: Partial<RunState> = {}) =>
  open({ status: 'COMPLETED', statusEvent: 'SCHEDULED_RUN_COMPLETED', statusAt: ENDED, endedAt: ENDED, lastEventAt: ENDED, ...r });
const summarized = (r: Partial<RunState> = {}) =>
  completed({ summarySentAt: ENDED, summaryVersion: 1, summarized: { status: 'COMPLETED', bucketsMatched: 3, errors: {} }, ...r });
const silence = (match: Silence['match']): Silence => ({
  id: 'S-1',
  match,
  author: 'alice',
  reason: 'test',
  startsAt: RUN,
  endsAt: at(RUN, 600),
  createdAt: RUN,
});

interface Case {
  readonly name: string;
  readonly current?: RunState;
  readonly run: RunState;
  readonly silences?: Silence[];
  readonly want: SummaryDecision;
}

const cases: Case[] = [
  {
    name: 'a run still open: nothing',
    current: open(),
    run: open({ errors: { BUCKET_ACCESS_DENIED: 1 } }),
    want: { send: 'nothing', reason: 'the run has not ended' },
  },
  {
    name: 'the run ended with this batch: the summary',
    current: open(),
    run: completed(),
    want: { send: 'summary', reason: 'the run ended', silenced: false },
  },
  { name: 'a first batch that ends the run: the summary', run: completed(), want: { send: 'summary', reason: 'the run ended', silenced: false } },
  {
    name: 'a silence on the job silences its summary',
    current: open(),
    run: completed(),
    silences: [silence({ jobId: JOB })],
    want: { send: 'summary', reason: 'the run ended', silenced: true },
  },
  {
    name: 'a silence on another ending type does not',
    current: open(),
    run: completed(),
    silences: [silence({ type: 'JOB_COMPLETED' })],
    want: { send: 'summary', reason: 'the run ended', silenced: false },
  },
  {
    name: 'after the summary, late events that change nothing it said: nothing',
    current: summarized(),
    run: summarized({ lastEventAt: at(RUN, 50) }),
    want: { send: 'nothing', reason: 'the summary already says it' },
  },
  {
    name: 'after the summary, a late error: correction 2',
    current: summarized(),
    run: summarized({ errors: { BUCKET_ACCESS_DENIED: 1 } }),
    want: { send: 'update', reason: 'late events changed what the summary said', version: 2, silenced: false },
  },
  {
    name: 'after two corrections, the next is 4',
    current: summarized({ summaryVersion: 3 }),
    run: summarized({ summaryVersion: 3, bucketsMatched: 4 }),
    want: { send: 'update', reason: 'late events changed what the summary said', version: 4, silenced: false },
  },
  {
    name: 'a late silenced error changes nothing the summary said',
    current: summarized(),
    run: summarized({
      errors: { BUCKET_ACCESS_DENIED: 1 },
      silenced: { 'S-1': { author: 'alice', reason: 'test', endsAt: at(RUN, 600), events: { BUCKET_ACCESS_DENIED: 1 } } },
    }),
    want: { send: 'nothing', reason: 'the summary already says it' },
  },
];

describe('the summary decision', () => {
  test.each(cases)('$name', ({ current, run, silences, want }) => {
    expect(decideSummary(current, run, silences ? silencer(silences) : undefined)).toEqual(want);
  });
});

describe('what the decision does to the run', () => {
  const ctx = { settings, region: 'eu-west-1' };
  const findings = { total: 4, bySeverity: { HIGH: 4 }, byType: { 'SensitiveData:S3Object/Personal': 4 }, topBuckets: [], bucketCount: 1 };

  test('the summary: sent at the end, version 1, what it said remembered', () => {
    const { run, alert } = applySummary(completed({ errors: { BUCKET_ACCESS_DENIED: 2 } }), { send: 'summary', reason: 'the run ended', silenced: false }, ctx);
    expect(alert?.id).toBe(`run:${JOB}:${RUN}:summary`);
    expect(alert?.headline).toBe(`Run of 2024-06-03 02:00 UTC completed with 2 errors: Macie job ${JOB}`);
    expect(run).toMatchObject({
      summarySentAt: ENDED,
      summaryVersion: 1,
      summarized: { status: 'COMPLETED', bucketsMatched: 3, errors: { BUCKET_ACCESS_DENIED: 2 } },
    });
  });

  test('a silenced summary: the same bookkeeping, no alert', () => {
    const { run, alert } = applySummary(completed(), { send: 'summary', reason: 'the run ended', silenced: true }, ctx);
    expect(alert).toBeUndefined();
    expect(run).toMatchObject({ summarySentAt: ENDED, summaryVersion: 1 });
  });

  test('a correction: numbered from 1, says what changed, and marks the findings it told for the sweeper', () => {
    const before = summarized({ errors: { BUCKET_ACCESS_DENIED: 1 } });
    const { run, alert } = applySummary(
      before,
      { send: 'update', reason: 'late events changed what the summary said', version: 2, silenced: false },
      { ...ctx, findings },
    );
    expect(alert?.id).toBe(`run:${JOB}:${RUN}:summary-update:1`);
    expect(alert?.whatHappened).toContain('BUCKET_ACCESS_DENIED: 1 more (1 in all).');
    expect(run).toMatchObject({ summaryVersion: 2, summarized: { errors: { BUCKET_ACCESS_DENIED: 1 } } });
    expect(run.sweeper?.lateFindings).toEqual({ updates: 0, lastAt: ENDED, reported: { total: 4, byType: findings.byType } });
  });

  test('a silenced correction: counted as sent, no alert, no findings mark', () => {
    const { run, alert } = applySummary(
      summarized({ bucketsMatched: 5 }),
      { send: 'update', reason: 'late events changed what the summary said', version: 2, silenced: true },
      { ...ctx, findings },
    );
    expect(alert).toBeUndefined();
    expect(run.summaryVersion).toBe(2);
    expect(run.sweeper?.lateFindings).toBeUndefined();
  });

  test('nothing: the run as it is', () => {
    const same = summarized();
    expect(applySummary(same, { send: 'nothing', reason: 'the summary already says it' }, ctx)).toEqual({ run: same });
  });
});
