import type { GroupDecision } from '../../../lambda/job-log/event-outcomes';
import type { LogEvent } from '../../../lambda/job-log/log-events';
import { describeChanges, groupAlerts, statusAlert } from '../../../lambda/job-log/run-alerts';
import type { RunGroup } from '../../../lambda/state/job-items';
import { testRun } from '../../support/runs';
import { at, bucket, ev, JOB, MEMBER, RUN, settings } from './stage-events';

const run = { jobId: JOB, runDate: RUN, jobName: 'Nightly', adminAccountId: '123456789012' };
const ctx = { settings, region: 'eu-west-1' };
const decision = (verdict: GroupDecision['verdict'], open: LogEvent[]): GroupDecision => ({
  type: open[0].event.eventType,
  verdict,
  reason: 'test',
  open,
  inhibited: [],
  newest: open.reduce((n, e) => (e.at.ms > n.ms ? e.at : n), open[0].at),
});
const group = (g: Partial<RunGroup>): RunGroup => ({ count: 1, firstAt: RUN, lastAt: RUN, alerts: 0, ...g });

describe('the words of a run alert', () => {
  test('a status event alerts with its own type, time and severity', () => {
    const alert = statusAlert(ev('JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', 30), run, ctx);
    expect(alert).toMatchObject({
      id: `run:${JOB}:${RUN}:JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET:${at(RUN, 30)}`,
      severity: 'HIGH',
      category: 'JOB_STATUS',
      headline: 'Macie job Nightly: job paused: monthly quota reached',
      occurredAt: at(RUN, 30),
      count: 1,
    });
    expect(
      statusAlert(ev('JOB_PAUSED_BY_USER', 30), run, { ...ctx, settings: { ...settings, severityOverrides: { JOB_PAUSED_BY_USER: 'HIGH' } } }).severity,
    ).toBe('HIGH');
  });

  test.each<[string, GroupDecision['verdict'], Partial<RunGroup>, Partial<ReturnType<typeof groupAlerts>[number]> | undefined]>([
    [
      "first: the batch's events, where, and how many",
      'first',
      { count: 3 },
      { id: `run:${JOB}:${RUN}:BUCKET_ACCESS_DENIED:first`, headline: 'Macie job Nightly: bucket access denied', count: 3, occurredAt: at(RUN, 3) },
    ],
    [
      'repeat: numbered by the alerts sent before, counted over the run',
      'repeat',
      { count: 40, alerts: 2 },
      { id: `run:${JOB}:${RUN}:BUCKET_ACCESS_DENIED:repeat:2`, headline: 'Still occurring (40 so far): Macie job Nightly: bucket access denied', count: 40 },
    ],
    ['hold: no alert', 'hold', { count: 3, alerts: 1 }, undefined],
    ['known: no alert (the summary reports it)', 'known', { count: 3 }, undefined],
  ])('%s', (_name, verdict, g, want) => {
    const events = [ev('BUCKET_ACCESS_DENIED', 1, bucket('b2')), ev('BUCKET_ACCESS_DENIED', 2, bucket('b1')), ev('BUCKET_ACCESS_DENIED', 3, bucket('b1'))];
    const alerts = groupAlerts(decision(verdict, events), group(g), run, ctx);
    if (!want) return expect(alerts).toEqual([]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject(want);
    // A "still occurring" alert lists the resources since the group's last alert, and says so.
    const scope = verdict === 'repeat' ? { scope: 'of the newest events' } : {};
    expect(alerts[0].affected).toEqual([
      { kind: 'bucket', items: ['b1', 'b2'], total: 2, ...scope },
      { kind: 'account', items: [MEMBER], total: 1, ...scope },
    ]);
  });

  test('a first alert says what the batch holds; with a previous run, what is new since it', () => {
    const events = [ev('BUCKET_ACCESS_DENIED', 1, bucket('b1')), ev('BUCKET_ACCESS_DENIED', 2, bucket('b2'))];
    const previous = { runDate: '2024-06-02T02:00:00.000Z', fingerprint: { resources: { BUCKET_ACCESS_DENIED: ['b:b1'] }, partial: [] } };
    const [alert] = groupAlerts(decision('first', events), group({ count: 2 }), run, { ...ctx, previous });
    expect(alert.whatHappened).toBe(
      `Macie job "Nightly" (${JOB}), run of ${RUN}: bucket access denied for buckets b1, b2; account ${MEMBER} (operation ListObjectsV2). Macie says: ${events[0].event.description} 2 such events in this alert.`,
    );
    expect(alert.details).toContainEqual({
      label: 'Since the last run',
      value: 'new: bucket b2; failed the same way in the run of 2024-06-02T02:00:00.000Z: bucket b1',
    });
  });

  test('an unknown type says so', () => {
    const [alert] = groupAlerts(decision('first', [ev('JOB_TELEPORTED', 1)]), group({}), run, ctx);
    expect([alert.category, alert.severity, alert.details.at(-1)]).toEqual([
      'UNKNOWN_EVENT',
      'MEDIUM',
      { label: 'Note', value: 'This event type is not in the classification table of this version.' },
    ]);
  });

  test.each<[string, Parameters<typeof describeChanges>[0], Partial<Parameters<typeof describeChanges>[1]>, string[]]>([
    [
      'more errors',
      { status: 'COMPLETED', bucketsMatched: 2, errors: { BUCKET_ACCESS_DENIED: 1 } },
      { errors: { BUCKET_ACCESS_DENIED: 3 } },
      ['BUCKET_ACCESS_DENIED: 2 more (3 in all).'],
    ],
    [
      'status and buckets',
      { status: 'COMPLETED', bucketsMatched: 2, errors: {} },
      { status: 'CANCELLED', bucketsMatched: 3 },
      ['Status changed from COMPLETED to CANCELLED.', 'Buckets matched: 2 -> 3.'],
    ],
    ['nothing it lists', { status: 'COMPLETED', bucketsMatched: 2, errors: {} }, { endedAt: at(RUN, 50) }, ['Run details changed.']],
  ])('a correction lists what changed: %s', (_name, said, now, want) => {
    expect(describeChanges(said, testRun({ jobId: JOB, runDate: RUN, status: 'COMPLETED', bucketsMatched: 2, ...now }))).toEqual(want);
  });
});
