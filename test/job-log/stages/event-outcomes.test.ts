import { countOutcomes, eventOutcomes, withGroupAlerts, type EventOutcome, type GroupVerdict, type OutcomeInput } from '../../../lambda/job-log/event-outcomes';
import type { LogEvent } from '../../../lambda/job-log/log-events';
import type { SummaryDecision } from '../../../lambda/job-log/summary-decision';
import type { RunGroup, RunState } from '../../../lambda/state/job-items';
import { unpackAccounts } from '../../../lambda/state/run-accounts';
import { testRun } from '../../support/runs';
import { at, bucket, ev, JOB, MEMBER, RUN, settings } from './stage-events';

const STILL_RUNNING: SummaryDecision = { send: 'nothing', reason: 'the run has not ended' };
const SUMMARY_NOW: SummaryDecision = { send: 'summary', reason: 'the run ended', silenced: false };
const group = (g: Partial<RunGroup> = {}): RunGroup => ({ count: 1, firstAt: at(RUN, 0), lastAt: at(RUN, 0), alerts: 0, ...g });
const run = (r: Partial<RunState> = {}) => testRun({ jobId: JOB, runDate: RUN, status: 'RUNNING', ...r });

interface Case {
  readonly name: string;
  readonly events: LogEvent[];
  readonly run?: Partial<RunState>;
  readonly current?: Partial<RunState>;
  /** Indexes of the events a silence matched. */
  readonly silenced?: number[];
  readonly summary?: SummaryDecision;
  readonly previous?: OutcomeInput['previous'];
  readonly knownErrors?: 'summary' | 'alert';
  readonly want: {
    readonly outcomes: (EventOutcome | undefined)[];
    readonly groups?: [string, GroupVerdict][];
    /** Indexes of the events alerted on their own as status events. */
    readonly statusAlerts?: number[];
    readonly toldAccounts?: string[];
    /** Indexes of the events about the job alerted on their own after the run's summary. */
    readonly jobAlerts?: number[];
  };
}

const denied = (minute: number, name = 'b1', account = MEMBER) => ev('BUCKET_ACCESS_DENIED', minute, bucket(name, account));
const OTHER = '444455556666';

const cases: Case[] = [
  {
    name: 'progress events alert never and get no outcome',
    events: [ev('SCHEDULED_RUN_STARTED', 0), ev('BUCKET_MATCHED_THE_CRITERIA', 1)],
    want: { outcomes: [undefined, undefined] },
  },
  {
    name: 'the first errors of a type in the run alert together',
    events: [denied(1), denied(2, 'b2')],
    run: { groups: { BUCKET_ACCESS_DENIED: group({ count: 2 }) } },
    want: { outcomes: ['alerted', 'alerted'], groups: [['BUCKET_ACCESS_DENIED', 'first']] },
  },
  {
    name: 'within the repeat interval of the last alert they are grouped',
    events: [denied(30)],
    run: { groups: { BUCKET_ACCESS_DENIED: group({ count: 5, alerts: 1, lastAlertAt: at(RUN, 0) }) } },
    want: { outcomes: ['grouped'], groups: [['BUCKET_ACCESS_DENIED', 'hold']] },
  },
  {
    name: 'once the repeat interval of event time has passed, "still occurring"',
    events: [denied(30), denied(60)],
    run: { groups: { BUCKET_ACCESS_DENIED: group({ count: 5, alerts: 1, lastAlertAt: at(RUN, 0) }) } },
    want: { outcomes: ['alerted', 'alerted'], groups: [['BUCKET_ACCESS_DENIED', 'repeat']] },
  },
  {
    name: "a bucket error of an account whose account error alerts is inhibited; other accounts' are not",
    events: [ev('ACCOUNT_ACCESS_DENIED', 1, { affectedAccount: MEMBER }), denied(2), denied(3, 'b9', OTHER)],
    run: { groups: { ACCOUNT_ACCESS_DENIED: group(), BUCKET_ACCESS_DENIED: group({ count: 2 }) } },
    want: {
      outcomes: ['alerted', 'inhibited', 'alerted'],
      groups: [
        ['ACCOUNT_ACCESS_DENIED', 'first'],
        ['BUCKET_ACCESS_DENIED', 'first'],
      ],
      toldAccounts: [MEMBER],
    },
  },
  {
    name: 'a group whose every event is inhibited by an account error told earlier in the run sends nothing',
    events: [denied(2), denied(3, 'b2')],
    current: { accounts: unpackAccounts({}, [MEMBER]) },
    run: { groups: { BUCKET_ACCESS_DENIED: group({ count: 2 }) } },
    want: { outcomes: ['inhibited', 'inhibited'], groups: [['BUCKET_ACCESS_DENIED', 'inhibited']], toldAccounts: [MEMBER] },
  },
  {
    name: 'an account error in the run that was never told inhibits nothing',
    events: [denied(2)],
    current: {},
    run: { groups: { BUCKET_ACCESS_DENIED: group() } },
    want: { outcomes: ['alerted'], groups: [['BUCKET_ACCESS_DENIED', 'first']], toldAccounts: [] },
  },
  {
    name: 'a known account error (failed the same way in the previous run) does not hide a new bucket error',
    events: [ev('ACCOUNT_ACCESS_DENIED', 1, { affectedAccount: MEMBER }), ev('BUCKET_OWNER_CHANGED', 2, bucket('b1'))],
    run: { groups: { ACCOUNT_ACCESS_DENIED: group(), BUCKET_OWNER_CHANGED: group() } },
    previous: { runDate: '2024-06-02T02:00:00.000Z', fingerprint: { resources: { ACCOUNT_ACCESS_DENIED: [`a:${MEMBER}`] }, partial: [] } },
    want: {
      outcomes: ['known', 'alerted'],
      groups: [
        ['ACCOUNT_ACCESS_DENIED', 'known'],
        ['BUCKET_OWNER_CHANGED', 'first'],
      ],
      toldAccounts: [],
    },
  },
  {
    name: 'a silenced account error does not hide a new bucket error',
    events: [ev('ACCOUNT_ACCESS_DENIED', 1, { affectedAccount: MEMBER }), ev('BUCKET_OWNER_CHANGED', 2, bucket('b1'))],
    silenced: [0],
    run: { groups: { ACCOUNT_ACCESS_DENIED: group(), BUCKET_OWNER_CHANGED: group() } },
    want: { outcomes: ['silenced', 'alerted'], groups: [['BUCKET_OWNER_CHANGED', 'first']], toldAccounts: [] },
  },
  {
    name: "an account error grouped into its group's alert is told: it inhibits its account's bucket errors",
    events: [ev('ACCOUNT_ACCESS_DENIED', 10, { affectedAccount: MEMBER }), denied(11)],
    run: { groups: { ACCOUNT_ACCESS_DENIED: group({ count: 2, alerts: 1, lastAlertAt: at(RUN, 5) }), BUCKET_ACCESS_DENIED: group() } },
    want: {
      outcomes: ['grouped', 'inhibited'],
      groups: [
        ['ACCOUNT_ACCESS_DENIED', 'hold'],
        ['BUCKET_ACCESS_DENIED', 'inhibited'],
      ],
      toldAccounts: [MEMBER],
    },
  },
  {
    name: 'known: every resource failed the same way in the previous run',
    events: [denied(1), denied(2)],
    run: { groups: { BUCKET_ACCESS_DENIED: group({ count: 2 }) } },
    previous: { runDate: '2024-06-02T02:00:00.000Z', fingerprint: { resources: { BUCKET_ACCESS_DENIED: ['b:b1'] }, partial: [] } },
    want: { outcomes: ['known', 'known'], groups: [['BUCKET_ACCESS_DENIED', 'known']] },
  },
  {
    name: 'one resource that did not fail before makes the group news',
    events: [denied(1), denied(2, 'b2')],
    run: { groups: { BUCKET_ACCESS_DENIED: group({ count: 2 }) } },
    previous: { runDate: '2024-06-02T02:00:00.000Z', fingerprint: { resources: { BUCKET_ACCESS_DENIED: ['b:b1'] }, partial: [] } },
    want: { outcomes: ['alerted', 'alerted'], groups: [['BUCKET_ACCESS_DENIED', 'first']] },
  },
  {
    name: 'with knownErrors: alert, known errors alert',
    events: [denied(1)],
    run: { groups: { BUCKET_ACCESS_DENIED: group() } },
    previous: { runDate: '2024-06-02T02:00:00.000Z', fingerprint: { resources: { BUCKET_ACCESS_DENIED: ['b:b1'] }, partial: [] } },
    knownErrors: 'alert',
    want: { outcomes: ['alerted'], groups: [['BUCKET_ACCESS_DENIED', 'first']] },
  },
  {
    name: 'a silenced event is silenced, and the rest of its group decides without it',
    events: [denied(1), denied(2, 'b2')],
    silenced: [0],
    run: { groups: { BUCKET_ACCESS_DENIED: group({ count: 2 }) } },
    want: { outcomes: ['silenced', 'alerted'], groups: [['BUCKET_ACCESS_DENIED', 'first']] },
  },
  {
    name: 'a pause alerts on its own; the same pause (type and time) told before is a duplicate',
    events: [ev('JOB_PAUSED_BY_USER', 5), ev('JOB_RESUMED_BY_USER', 6), ev('JOB_RESUMED_BY_USER', 6)],
    current: { statusEvents: [{ type: 'JOB_PAUSED_BY_USER', at: at(RUN, 5) }] },
    want: { outcomes: ['duplicate', 'alerted', 'duplicate'], statusAlerts: [1] },
  },
  {
    name: "the summary going out now tells the batch's status events and error groups",
    events: [ev('JOB_PAUSED_BY_USER', 5), denied(6), ev('SCHEDULED_RUN_COMPLETED', 9)],
    run: { status: 'COMPLETED', groups: { BUCKET_ACCESS_DENIED: group() } },
    summary: SUMMARY_NOW,
    want: { outcomes: ['alerted', 'alerted', 'alerted'], groups: [['BUCKET_ACCESS_DENIED', 'summary']], statusAlerts: [] },
  },
  {
    name: "a silenced summary counts the run's ending event as silenced",
    events: [ev('JOB_COMPLETED', 9)],
    run: { status: 'COMPLETED' },
    summary: { ...SUMMARY_NOW, silenced: true },
    want: { outcomes: ['silenced'] },
  },
  {
    name: 'after the summary, events that change it are told by the correction (a pause of the job on its own too)',
    events: [denied(70), ev('JOB_PAUSED_BY_USER', 71)],
    run: { status: 'COMPLETED', groups: { BUCKET_ACCESS_DENIED: group() } },
    summary: { send: 'update', reason: 'late events changed what the summary said', version: 2, silenced: false },
    want: { outcomes: ['alerted', 'alerted'], groups: [], statusAlerts: [], jobAlerts: [1] },
  },
  {
    name: 'after the summary, events that change nothing of it are grouped into it; a pause of the job alerts on its own',
    events: [denied(70), ev('JOB_PAUSED_BY_USER', 71)],
    run: { status: 'COMPLETED', groups: { BUCKET_ACCESS_DENIED: group() } },
    summary: { send: 'nothing', reason: 'the summary already says it' },
    want: { outcomes: ['grouped', 'alerted'], groups: [], statusAlerts: [], jobAlerts: [1] },
  },
  {
    name: 'after the summary, a pause or resumption of the job told before is a duplicate',
    events: [ev('JOB_PAUSED_BY_USER', 71), ev('JOB_RESUMED_BY_USER', 900)],
    current: { status: 'COMPLETED', statusEvents: [{ type: 'JOB_PAUSED_BY_USER', at: at(RUN, 71) }] },
    run: { status: 'COMPLETED' },
    summary: { send: 'nothing', reason: 'the summary already says it' },
    want: { outcomes: ['duplicate', 'alerted'], jobAlerts: [1] },
  },
  {
    name: "after the summary, a cancel without runDate is about the job and alerts; one naming the run is the correction's",
    events: [ev('JOB_CANCELLED', 600, { runDate: null }), ev('JOB_CANCELLED', 601)],
    run: { status: 'COMPLETED' },
    summary: { send: 'update', reason: 'late events changed what the summary said', version: 2, silenced: false },
    want: { outcomes: ['alerted', 'alerted'], jobAlerts: [0] },
  },
  {
    name: 'after the summary, a silenced pause of the job is silenced',
    events: [ev('JOB_PAUSED_BY_USER', 71)],
    silenced: [0],
    run: { status: 'COMPLETED' },
    summary: { send: 'nothing', reason: 'the summary already says it' },
    want: { outcomes: ['silenced'], jobAlerts: [] },
  },
];

describe('each alerting event gets one outcome', () => {
  test.each(cases)('$name', (c) => {
    const outcomes = eventOutcomes({
      current: c.current ? run(c.current) : undefined,
      run: run(c.run),
      events: c.events,
      silenced: new Set((c.silenced ?? []).map((i) => c.events[i])),
      summary: c.summary ?? STILL_RUNNING,
      previous: c.previous,
      settings: { ...settings, knownErrors: c.knownErrors ?? 'summary' },
    });
    expect(c.events.map((e) => outcomes.byEvent.get(e))).toEqual(c.want.outcomes);
    if (c.want.groups) expect(outcomes.groups.map((g) => [g.type, g.verdict])).toEqual(c.want.groups);
    if (c.want.statusAlerts) expect(outcomes.statusAlerts).toEqual(c.want.statusAlerts.map((i) => c.events[i]));
    expect(outcomes.jobAlerts).toEqual((c.want.jobAlerts ?? []).map((i) => c.events[i]));
    if (c.want.toldAccounts) expect([...outcomes.toldAccounts].sort()).toEqual(c.want.toldAccounts);
    // Every verdict says why.
    for (const g of outcomes.groups) expect(g.reason).not.toBe('');
  });
});

describe('the counters, derived from the outcomes once', () => {
  test.each<[string, EventOutcome[], ReturnType<typeof countOutcomes>]>([
    ['nothing', [], { suppressed: 0, inhibited: 0, silenced: 0, known: 0 }],
    ['alerted and duplicate events are not suppressed', ['alerted', 'duplicate', 'alerted'], { suppressed: 0, inhibited: 0, silenced: 0, known: 0 }],
    [
      'every other outcome is suppressed, and counted by kind',
      ['grouped', 'inhibited', 'known', 'silenced', 'grouped', 'alerted'],
      { suppressed: 5, inhibited: 1, silenced: 1, known: 1 },
    ],
  ])('%s', (_name, outcomes, want) => {
    expect(countOutcomes(outcomes)).toEqual(want);
  });
});

describe('the groups record the alerts the decisions send', () => {
  test('first, repeat and summary count an alert at the newest open event; hold, known and inhibited do not', () => {
    const events = [denied(1), denied(2)];
    const verdicts: GroupVerdict[] = ['first', 'repeat', 'summary', 'hold', 'known', 'inhibited'];
    const groups = Object.fromEntries(verdicts.map((v) => [v, group({ alerts: 1 })]));
    const decisions = verdicts.map((verdict) => ({ type: verdict, verdict, reason: 'test', open: events, inhibited: [], newest: events[1].at }));
    const recorded = withGroupAlerts(groups, decisions);
    expect(verdicts.map((v) => [recorded[v].alerts, recorded[v].lastAlertAt])).toEqual([
      [2, at(RUN, 2)],
      [2, at(RUN, 2)],
      [2, at(RUN, 2)],
      [1, undefined],
      [1, undefined],
      [1, undefined],
    ]);
    expect(groups.first.alerts).toBe(1);
  });
});
