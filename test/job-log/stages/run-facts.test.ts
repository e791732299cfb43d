import type { RunState } from '../../../lambda/state/job-items';
import { unpackAccounts } from '../../../lambda/state/run-accounts';
import type { LogEvent } from '../../../lambda/job-log/log-events';
import { foldRunFacts, STATUS_EVENTS_CAP } from '../../../lambda/job-log/run-facts';
import { testRun } from '../../support/runs';
import { at, bucket, ev, JOB, MEMBER, RUN } from './stage-events';

const identity = { jobId: JOB, runDate: RUN, jobName: 'Nightly', adminAccountId: '123456789012' };
const read = (run: Partial<RunState>) => testRun({ jobId: JOB, runDate: RUN, status: 'RUNNING', bucketsMatched: 0, ...run });
const facts = (current: RunState | undefined, events: LogEvent[]) => foldRunFacts(current, events, identity, 'eu-west-1');

interface Case {
  readonly name: string;
  readonly current?: RunState;
  readonly events: LogEvent[];
  readonly want: Partial<RunState>;
}

const cases: Case[] = [
  {
    name: 'a start opens the run',
    events: [ev('SCHEDULED_RUN_STARTED', 0)],
    want: { status: 'RUNNING', startedAt: at(RUN, 0), lastEventAt: at(RUN, 0), statusEvent: 'SCHEDULED_RUN_STARTED', statusEvents: [] },
  },
  {
    name: 'the end beats a later pause, and the pause is remembered',
    events: [ev('SCHEDULED_RUN_STARTED', 0), ev('SCHEDULED_RUN_COMPLETED', 10), ev('JOB_PAUSED_BY_USER', 20)],
    want: {
      status: 'COMPLETED',
      endedAt: at(RUN, 10),
      pausedAt: undefined,
      lastEventAt: at(RUN, 20),
      statusEvents: [
        { type: 'SCHEDULED_RUN_COMPLETED', at: at(RUN, 10) },
        { type: 'JOB_PAUSED_BY_USER', at: at(RUN, 20) },
      ],
    },
  },
  {
    name: 'at the same instant a cancellation outranks a completion',
    events: [ev('JOB_COMPLETED', 5), ev('JOB_CANCELLED', 5)],
    want: { status: 'CANCELLED', statusEvent: 'JOB_CANCELLED', endedAt: at(RUN, 5) },
  },
  {
    name: "a cancel without runDate after the run's completion keeps its status and end time, and is remembered",
    current: read({ status: 'COMPLETED', statusAt: at(RUN, 10), statusEvent: 'SCHEDULED_RUN_COMPLETED', endedAt: at(RUN, 10), lastEventAt: at(RUN, 10) }),
    events: [ev('JOB_CANCELLED', 600, { runDate: null })],
    want: {
      status: 'COMPLETED',
      statusEvent: 'SCHEDULED_RUN_COMPLETED',
      endedAt: at(RUN, 10),
      lastEventAt: at(RUN, 600),
      statusEvents: [{ type: 'JOB_CANCELLED', at: at(RUN, 600) }],
    },
  },
  {
    name: 'a cancel without runDate in the batch that completes the run does not rewrite the completion',
    events: [ev('SCHEDULED_RUN_STARTED', 0), ev('SCHEDULED_RUN_COMPLETED', 10), ev('JOB_CANCELLED', 20, { runDate: null })],
    want: { status: 'COMPLETED', endedAt: at(RUN, 10) },
  },
  {
    name: 'a completion arriving after a cancel without runDate that ended the run wins, whatever their times: the same as in order',
    current: read({
      status: 'CANCELLED',
      statusAt: at(RUN, 600),
      statusEvent: 'JOB_CANCELLED',
      statusUndated: true,
      endedAt: at(RUN, 600),
      lastEventAt: at(RUN, 600),
    }),
    events: [ev('SCHEDULED_RUN_COMPLETED', 10)],
    want: { status: 'COMPLETED', statusEvent: 'SCHEDULED_RUN_COMPLETED', statusUndated: undefined, endedAt: at(RUN, 10) },
  },
  {
    name: 'a cancel without runDate that ends the run is marked so',
    events: [ev('SCHEDULED_RUN_STARTED', 0), ev('JOB_CANCELLED', 600, { runDate: null })],
    want: { status: 'CANCELLED', statusUndated: true, endedAt: at(RUN, 600) },
  },
  {
    name: 'a cancel without runDate ends a paused run',
    current: read({
      status: 'PAUSED',
      statusAt: at(RUN, 30),
      statusEvent: 'JOB_PAUSED_BY_USER',
      pausedBy: 'USER',
      pausedAt: at(RUN, 30),
      lastEventAt: at(RUN, 30),
    }),
    events: [ev('JOB_CANCELLED', 90, { runDate: null })],
    want: { status: 'CANCELLED', endedAt: at(RUN, 90), pausedBy: undefined },
  },
  {
    name: 'a cancel with its runDate still ends a completed run (Macie names the run it cancels)',
    current: read({ status: 'COMPLETED', statusAt: at(RUN, 10), statusEvent: 'SCHEDULED_RUN_COMPLETED', endedAt: at(RUN, 10), lastEventAt: at(RUN, 10) }),
    events: [ev('JOB_CANCELLED', 20)],
    want: { status: 'CANCELLED', endedAt: at(RUN, 20) },
  },
  {
    name: 'a quota pause is the latest change: paused by the quota',
    current: read({ statusAt: at(RUN, 0), statusEvent: 'SCHEDULED_RUN_STARTED', startedAt: at(RUN, 0), lastEventAt: at(RUN, 0) }),
    events: [ev('JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', 30)],
    want: { status: 'PAUSED', pausedBy: 'QUOTA', pausedAt: at(RUN, 30), startedAt: at(RUN, 0) },
  },
  {
    name: 'a resumption older than the pause as read changes nothing of the status',
    current: read({
      status: 'PAUSED',
      statusAt: at(RUN, 30),
      statusEvent: 'JOB_PAUSED_BY_USER',
      pausedBy: 'USER',
      pausedAt: at(RUN, 30),
      lastEventAt: at(RUN, 30),
    }),
    events: [ev('JOB_RESUMED_BY_USER', 20)],
    want: { status: 'PAUSED', pausedBy: 'USER', statusAt: at(RUN, 30), lastEventAt: at(RUN, 30) },
  },
  {
    name: 'errors counted per type, affected names capped to the smallest ten, the total counts every event',
    events: Array.from({ length: 12 }, (_, i) => ev('BUCKET_ACCESS_DENIED', i, bucket(`b${String(11 - i).padStart(2, '0')}`))),
    want: {
      errors: { BUCKET_ACCESS_DENIED: 12 },
      affected: { BUCKET_ACCESS_DENIED: { buckets: ['b00', 'b01', 'b02', 'b03', 'b04', 'b05', 'b06', 'b07', 'b08', 'b09'], accounts: [MEMBER], total: 12 } },
      groups: { BUCKET_ACCESS_DENIED: { count: 12, firstAt: at(RUN, 0), lastAt: at(RUN, 11), alerts: 0 } },
    },
  },
  {
    name: 'a batch adds to the run as read: counts, the group span and its alerts kept',
    current: read({
      errors: { BUCKET_ACCESS_DENIED: 2 },
      affected: { BUCKET_ACCESS_DENIED: { buckets: ['b1'], accounts: [MEMBER], total: 2 } },
      groups: { BUCKET_ACCESS_DENIED: { count: 2, firstAt: at(RUN, 5), lastAt: at(RUN, 6), alerts: 1, lastAlertAt: at(RUN, 6) } },
    }),
    events: [ev('BUCKET_ACCESS_DENIED', 1, bucket('b0')), ev('BUCKET_ACCESS_DENIED', 9, bucket('b1'))],
    want: {
      errors: { BUCKET_ACCESS_DENIED: 4 },
      affected: { BUCKET_ACCESS_DENIED: { buckets: ['b0', 'b1'], accounts: [MEMBER], total: 4 } },
      groups: { BUCKET_ACCESS_DENIED: { count: 4, firstAt: at(RUN, 1), lastAt: at(RUN, 9), alerts: 1, lastAlertAt: at(RUN, 6) } },
    },
  },
  {
    name: 'every account an error names is kept, with the error types that named it',
    current: read({ accounts: unpackAccounts({ accountTypes: ['BUCKET_ACCESS_DENIED'], otherAccounts: { [MEMBER]: 1 } }) }),
    events: [ev('ACCOUNT_ACCESS_DENIED', 3, { affectedAccount: MEMBER }), ev('ACCOUNT_ACCESS_DENIED', 12, { affectedAccount: '444455556666' })],
    want: {
      accounts: {
        types: ['ACCOUNT_ACCESS_DENIED', 'BUCKET_ACCESS_DENIED'],
        flags: new Map([
          [MEMBER, 3],
          ['444455556666', 1],
        ]),
        dropped: 0,
      },
    },
  },
  {
    name: 'progress and no buckets: counted, the earliest no-buckets time kept',
    events: [
      ev('BUCKET_MATCHED_THE_CRITERIA', 1),
      ev('BUCKET_MATCHED_THE_CRITERIA', 2),
      ev('NO_BUCKETS_MATCHED_THE_CRITERIA', 4),
      ev('NO_BUCKETS_MATCHED_THE_CRITERIA', 3),
    ],
    want: { bucketsMatched: 2, noBucketsAt: at(RUN, 3), status: 'NO_BUCKETS', errors: {} },
  },
  {
    name: 'what failed goes into the fingerprint, by resource',
    events: [ev('BUCKET_ACCESS_DENIED', 1, bucket('b1')), ev('ACCOUNT_ACCESS_DENIED', 2, { affectedAccount: MEMBER }), ev('JOB_TELEPORTED', 3)],
    want: { fingerprint: { resources: { ACCOUNT_ACCESS_DENIED: [`a:${MEMBER}`], BUCKET_ACCESS_DENIED: ['b:b1'], JOB_TELEPORTED: ['-'] }, partial: [] } },
  },
];

describe('run facts from events (no alerts)', () => {
  test.each(cases)('$name', ({ current, events, want }) => {
    expect(facts(current, events)).toMatchObject(want);
  });

  test('the same events give the same facts in any batch order and any split into batches', () => {
    const events = [
      ev('SCHEDULED_RUN_STARTED', 0),
      ev('ACCOUNT_ACCESS_DENIED', 2, { affectedAccount: MEMBER }),
      ...Array.from({ length: 14 }, (_, i) => ev('BUCKET_ACCESS_DENIED', 3 + (i % 5), bucket(`b${i % 13}`))),
      ev('JOB_PAUSED_BY_USER', 5),
      ev('JOB_RESUMED_BY_USER', 6),
      ev('SCHEDULED_RUN_COMPLETED', 9),
    ];
    const byTime = (list: LogEvent[]) => [...list].sort((a, b) => a.at.ms - b.at.ms || (a.event.eventType < b.event.eventType ? -1 : 1));
    const inOneBatch = facts(undefined, byTime(events));
    const orders = [
      [...events].reverse(),
      [...events.slice(7), ...events.slice(0, 7)],
      events.filter((_, i) => i % 2).concat(events.filter((_, i) => !(i % 2))),
    ];
    for (const order of orders) {
      for (const cut of [1, 6, 12]) {
        const first = facts(undefined, byTime(order.slice(0, cut)));
        expect(facts(first, byTime(order.slice(cut)))).toEqual(inOneBatch);
      }
    }
  });

  test(`a run remembers its newest ${STATUS_EVENTS_CAP} status events`, () => {
    const pauses = Array.from({ length: STATUS_EVENTS_CAP + 5 }, (_, i) => ev(i % 2 ? 'JOB_RESUMED_BY_USER' : 'JOB_PAUSED_BY_USER', i));
    const run = facts(undefined, pauses);
    expect(run.statusEvents).toHaveLength(STATUS_EVENTS_CAP);
    expect(run.statusEvents[0]).toEqual({ type: 'JOB_RESUMED_BY_USER', at: at(RUN, 5) });
  });

  test('the run as read is not changed', () => {
    const current = read({ errors: { BUCKET_ACCESS_DENIED: 1 }, affected: { BUCKET_ACCESS_DENIED: { buckets: ['b1'], accounts: [], total: 1 } } });
    const before = JSON.stringify(current);
    facts(current, [ev('BUCKET_ACCESS_DENIED', 1, bucket('b0'))]);
    expect(JSON.stringify(current)).toBe(before);
  });
});
