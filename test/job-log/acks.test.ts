import { addAck, expireAck } from '../../lambda/silences/ack-store';
import { at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { freshStore } from '../support/dynamodb';
import { harness } from './helpers';

const RUN = '2024-04-14T17:09:30.574809Z';
const ev = jobStream('job-ack', 'R', RUN);
const missing = (minutes: number) => ev('BUCKET_DOES_NOT_EXIST', at(RUN, minutes), bucketError(`b${minutes}`, '111122223333'));
const denied = (minutes: number) => ev('BUCKET_ACCESS_DENIED', at(RUN, minutes), bucketError(`d${minutes}`, '111122223333'));
const FIRST = `run:job-ack:${RUN}:BUCKET_DOES_NOT_EXIST:first`;
const tail = (id: string) => id.split(':').slice(-2).join(':');

describe('an acknowledged error group (DynamoDB Local): its repeats held while the acknowledgement lasts, then back', () => {
  test('repeats held, a new error type still alerts, the repeat goes out once the acknowledgement ended', async () => {
    // The store's clock (for TTLs on read) at the recording's time: the acknowledgements are of that time too.
    const store = await freshStore(() => new Date(RUN));
    const h = await harness({ repeatIntervalMinutes: 60 }, store);
    // The first alert's id, acknowledged from its time for 100 minutes (of event time, as every window here);
    // written before the first batch, since a container reads acknowledgements at most once a minute.
    await addAck(store, { alertId: FIRST, startsAt: at(RUN, 0), endsAt: at(RUN, 100), author: 'alice', reason: 'restoring the bucket', createdAt: at(RUN, 0) });
    await h.send([missing(0)]);
    expect(h.publisher.alerts.map((a) => a.id)).toEqual([FIRST]);
    for (const m of [30, 61, 90]) await h.send([missing(m)]);
    await h.send([denied(70)]);
    expect(h.publisher.alerts.map((a) => tail(a.id))).toEqual(['BUCKET_DOES_NOT_EXIST:first', 'BUCKET_ACCESS_DENIED:first']);
    const run = await h.run('job-ack', RUN);
    expect((run!.groups as Record<string, { count: number; alerts: number }>).BUCKET_DOES_NOT_EXIST).toMatchObject({ count: 4, alerts: 1 });
    // After its end, the problem persists: the repeat (counted from the last alert sent) goes out.
    await h.send([missing(125)]);
    expect(h.publisher.alerts.map((a) => tail(a.id))).toEqual(['BUCKET_DOES_NOT_EXIST:first', 'BUCKET_ACCESS_DENIED:first', 'repeat:1']);
    expect(h.publisher.alerts[2].headline).toBe('Still occurring (5 so far): Macie job R: bucket no longer exists');
  });

  test('expired early: the next event past the repeat interval alerts', async () => {
    // The store's clock (for TTLs on read) at the recording's time: the acknowledgements are of that time too.
    const store = await freshStore(() => new Date(RUN));
    const h = await harness({ repeatIntervalMinutes: 60 }, store);
    const ack = await addAck(store, { alertId: FIRST, startsAt: at(RUN, 0), endsAt: at(RUN, 600), author: 'alice', reason: 'r', createdAt: at(RUN, 0) });
    await h.send([missing(0)]);
    await h.send([missing(61)]);
    expect(h.publisher.alerts.map((a) => a.id)).toEqual([FIRST]);
    await expireAck(store, ack.id, new Date(at(RUN, 62)));
    // A new container's cache (the old one would read again within a minute).
    const next = await harness({ repeatIntervalMinutes: 60 }, Object.create(store));
    await next.send([missing(63)]);
    expect(next.publisher.alerts.map((a) => tail(a.id))).toEqual(['repeat:1']);
  });

  test('the run summary names the acknowledgements of its alerts: which, who, until when, why; at most 5, then how many more', async () => {
    const store = await freshStore(() => new Date(RUN));
    const h = await harness({ repeatIntervalMinutes: 60 }, store);
    const ack = (alertId: string, author: string) =>
      addAck(store, { alertId, startsAt: at(RUN, 0), endsAt: at(RUN, 100), author, reason: `on it, ${author}`, createdAt: at(RUN, 0) });
    const first = await ack(FIRST, 'alice');
    // Six more of this run's alerts, and one of another run, which this summary does not name.
    const ofRun = [first];
    for (const type of ['BUCKET_ACCESS_DENIED', 'ACCOUNT_ACCESS_DENIED', 'BUCKET_IN_DIFFERENT_REGION', 'KMS_ACCESS_DENIED', 'OBJECT_ACCESS_DENIED', 'T6'])
      ofRun.push(await ack(`run:job-ack:${RUN}:${type}:first`, 'bob'));
    await ack('run:job-ack:2024-04-13T17:09:30.574809Z:BUCKET_DOES_NOT_EXIST:first', 'carol');
    await h.send([missing(0)]);
    await h.send([missing(30), ev('JOB_COMPLETED', at(RUN, 40))]);
    const summary = h.publisher.alerts.find((a) => a.category === 'JOB_RUN_SUMMARY')!;
    const acknowledged = summary.details.filter((d) => d.label === 'Acknowledged').map((d) => d.value);
    expect(acknowledged).toHaveLength(6);
    // Ids are random: the summary names the first five by id, whichever they are, each with its author and reason.
    const named = ofRun
      .map((a) => a.id)
      .sort()
      .slice(0, 5);
    expect(acknowledged.slice(0, 5).map((d) => /\((A-[0-9A-Z]+) by /.exec(d)?.[1])).toEqual(named);
    if (named.includes(first.id))
      expect(acknowledged).toContain(`bucket no longer exists: acknowledged (${first.id} by alice until ${at(RUN, 100)}: on it, alice)`);
    else expect(acknowledged.join(' ')).not.toContain('alice');
    expect(
      acknowledged
        .slice(0, 5)
        .filter((d) => d.includes(' by bob until '))
        .every((d) => d.endsWith(': on it, bob)')),
    ).toBe(true);
    expect(acknowledged.at(-1)).toBe('and 2 more acknowledgements');
    expect(acknowledged.join(' ')).not.toContain('carol');
    expect(summary.whatHappened).toContain(`Repeats and reminders held: `);
    expect(summary.whatHappened).toContain(`; and 2 more acknowledgements.`);
  });

  test('a summary names no acknowledgement when none was of its run', async () => {
    const store = await freshStore(() => new Date(RUN));
    const h = await harness({}, store);
    await addAck(store, {
      alertId: 'run:other-job:x:BUCKET_DOES_NOT_EXIST:first',
      startsAt: at(RUN, 0),
      endsAt: at(RUN, 100),
      author: 'a',
      reason: 'r',
      createdAt: at(RUN, 0),
    });
    await h.send([missing(0), ev('JOB_COMPLETED', at(RUN, 40))]);
    const summary = h.publisher.alerts.find((a) => a.category === 'JOB_RUN_SUMMARY')!;
    expect(summary.details.map((d) => d.label)).not.toContain('Acknowledged');
    expect(summary.whatHappened).not.toContain('held');
  });
});
