import { DigestSet, digestBytes, digestOf } from '../../../lambda/job-log/applied-events';
import type { LogEvent } from '../../../lambda/job-log/log-events';
import { reduceRun, type ReduceContext, type RunReduction } from '../../../lambda/job-log/run-state';
import type { Silence } from '../../../lambda/silences/silence';
import type { RunState } from '../../../lambda/state/job-items';
import { at, bucket, ev, JOB, MEMBER, RUN, settings } from './stage-events';

const NOW = new Date('2024-06-03T12:00:00.000Z');
const ctx: ReduceContext = { settings, region: 'eu-west-1', now: NOW };
const batch = (events: LogEvent[], batchKey = events.map((e) => e.id).join('+')) => ({
  jobId: JOB,
  runDate: RUN,
  jobName: 'Nightly',
  adminAccountId: '123456789012',
  batchKey,
  events,
});
const apply = (current: RunState | undefined, events: LogEvent[], more: Partial<ReduceContext> = {}) => reduceRun(current, batch(events), { ...ctx, ...more });
const silence = (match: Silence['match']): Silence => ({
  id: 'S-1',
  match,
  author: 'alice',
  reason: 'test',
  startsAt: RUN,
  endsAt: at(RUN, 600),
  createdAt: RUN,
});
const summaryOf = (r: RunReduction) => ({
  alerts: r.alerts.map((a) => a.id.slice(`run:${JOB}:${RUN}:`.length)),
  counts: r.counts,
  ended: r.ended,
  duplicate: r.duplicate,
  duplicateEvents: r.duplicateEvents,
});

describe('reduceRun composes the stages', () => {
  test('a run that starts, fails and ends in one batch: the summary alone, which lists the errors', () => {
    const r = apply(undefined, [
      ev('SCHEDULED_RUN_STARTED', 0),
      ev('BUCKET_ACCESS_DENIED', 1, bucket('b1')),
      ev('JOB_PAUSED_BY_USER', 2),
      ev('SCHEDULED_RUN_COMPLETED', 9),
    ]);
    expect(summaryOf(r)).toEqual({
      alerts: ['summary'],
      counts: { suppressed: 0, inhibited: 0, silenced: 0, known: 0 },
      ended: 'COMPLETED',
      duplicate: false,
      duplicateEvents: 0,
    });
    expect(r.run).toMatchObject({
      status: 'COMPLETED',
      summaryVersion: 1,
      version: 1,
      appliedEventItems: 1,
      pendingAlerts: [r.alerts[0].id],
      groups: { BUCKET_ACCESS_DENIED: { alerts: 1 } },
    });
  });

  test('counters come from the outcomes: grouped, inhibited, known and silenced in one batch', () => {
    const previous = { runDate: '2024-06-02T02:00:00.000Z', fingerprint: { resources: { BUCKET_DOES_NOT_EXIST: ['b:gone'] }, partial: [] } };
    const first = apply(undefined, [ev('SCHEDULED_RUN_STARTED', 0), ev('BUCKET_OWNER_CHANGED', 1, bucket('b1'))]);
    const r = apply(
      first.run,
      [
        ev('BUCKET_OWNER_CHANGED', 2, bucket('b2')),
        ev('ACCOUNT_ACCESS_DENIED', 3, { affectedAccount: '444455556666' }),
        ev('BUCKET_ACCESS_DENIED', 4, bucket('b3', '444455556666')),
        ev('BUCKET_DOES_NOT_EXIST', 5, bucket('gone')),
        ev('BUCKET_IN_DIFFERENT_REGION', 6, bucket('legacy-1')),
      ],
      { previous, silences: [silence({ bucket: 'legacy-*' })] },
    );
    expect(summaryOf(r)).toMatchObject({ alerts: ['ACCOUNT_ACCESS_DENIED:first'], counts: { suppressed: 4, inhibited: 1, silenced: 1, known: 1 } });
    expect(r.run.silenced?.['S-1'].events).toEqual({ BUCKET_IN_DIFFERENT_REGION: 1 });
  });

  test('a batch applied before changes nothing', () => {
    const events = [ev('SCHEDULED_RUN_STARTED', 0), ev('BUCKET_ACCESS_DENIED', 1, bucket('b1'))];
    const once = apply(undefined, events);
    const again = apply(once.run, events);
    expect(summaryOf(again)).toEqual({
      alerts: [],
      counts: { suppressed: 0, inhibited: 0, silenced: 0, known: 0 },
      ended: undefined,
      duplicate: true,
      duplicateEvents: 2,
    });
    expect(again.run).toBe(once.run);
  });

  test('events applied before come back in another batch: they count once, the new ones are applied', () => {
    const old = [ev('SCHEDULED_RUN_STARTED', 0), ev('BUCKET_ACCESS_DENIED', 1, bucket('b1'))];
    const once = apply(undefined, old);
    const stored = { ...once.run, appliedEventItems: 1 };
    const mixed = [...old, ev('BUCKET_ACCESS_DENIED', 2, bucket('b2'))];
    expect(() => apply(stored, mixed)).toThrow(/its applied events were not read/);
    const r = apply(stored, mixed, { applied: new DigestSet([once.appliedEvents!.digests]) });
    expect([r.duplicate, r.duplicateEvents, r.freshEvents.length, r.run.errors.BUCKET_ACCESS_DENIED]).toEqual([false, 2, 1, 2]);
    expect(r.appliedEvents?.digests).toEqual(digestBytes([digestOf(mixed[2].id)]));
  });

  test('a run that had ended is not ended again; a late error corrects its summary', () => {
    const ended = apply(undefined, [ev('SCHEDULED_RUN_STARTED', 0), ev('SCHEDULED_RUN_COMPLETED', 9)]);
    const late = apply(ended.run, [ev('BUCKET_ACCESS_DENIED', 10, bucket('b1', MEMBER))]);
    expect(summaryOf(late)).toMatchObject({ alerts: ['summary-update:1'], ended: undefined });
    expect(late.run).toMatchObject({ summaryVersion: 2, version: 2, pendingAlerts: [ended.alerts[0].id, late.alerts[0].id] });
  });

  test('the run as read is not changed', () => {
    const first = apply(undefined, [ev('SCHEDULED_RUN_STARTED', 0), ev('BUCKET_ACCESS_DENIED', 1, bucket('b1'))]);
    const before = JSON.stringify(first.run);
    apply(first.run, [ev('BUCKET_ACCESS_DENIED', 90, bucket('b2')), ev('SCHEDULED_RUN_COMPLETED', 91)]);
    expect(JSON.stringify(first.run)).toBe(before);
  });
});
