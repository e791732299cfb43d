import type { Alert } from '../../lambda/core/alert';
import type { SilenceSource } from '../../lambda/silences/cache';
import type { Silence } from '../../lambda/silences/silence';
import { at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { harness } from './helpers';
import { toldAccountSet, unpackAccounts } from '../../lambda/state/run-accounts';

/**
 * Inhibition by what was told: an account error hides its account's bucket errors only when that account
 * error reached someone in this run. DynamoDB Local, the job-log pipeline, the daily job's runs in event time.
 */
const MEMBER = '111122223333';
const NIGHTS = ['2024-06-03T02:00:00.000417Z', '2024-06-04T02:00:00.000417Z'];
const source = (...silences: Silence[]): SilenceSource => ({ list: async () => silences });

const nightly = (runDate: string) => {
  const ev = jobStream('job-inhibit', 'Nightly', runDate);
  return {
    started: () => ev('SCHEDULED_RUN_STARTED', runDate),
    accountDenied: (minutes: number) => ev('ACCOUNT_ACCESS_DENIED', at(runDate, minutes), { affectedAccount: MEMBER }),
    ownerChanged: (bucket: string, minutes: number) => ev('BUCKET_OWNER_CHANGED', at(runDate, minutes), bucketError(bucket, MEMBER)),
    completed: () => ev('SCHEDULED_RUN_COMPLETED', at(runDate, 600)),
  };
};
const ids = (alerts: readonly Alert[]) => alerts.map((a) => a.id.replace('run:job-inhibit:', ''));

describe('an account error inhibits its bucket errors only when it was told in this run', () => {
  test('night 2: the account error known from night 1 does not alert, so a new BUCKET_OWNER_CHANGED in its account alerts at once', async () => {
    const h = await harness({}, undefined, { silences: source() });
    const [n1, n2] = NIGHTS.map(nightly);
    await h.send([n1.started()]);
    const first = await h.send([n1.accountDenied(1)]);
    expect(ids(first.published)).toEqual([`${NIGHTS[0]}:ACCOUNT_ACCESS_DENIED:first`]);
    // Told on night 1: its bucket errors wait for the summary, as the account error's alert covers them.
    const covered = await h.send([n1.ownerChanged('payroll', 2)]);
    expect(covered.published).toEqual([]);
    expect(covered.inhibited).toBe(1);
    await h.send([n1.completed()]);

    await h.send([n2.started()]);
    const known = await h.send([n2.accountDenied(1)]);
    expect(known.published).toEqual([]);
    expect(known.known).toBe(1);
    const exposed = await h.send([n2.ownerChanged('ledger', 2)]);
    expect(exposed.inhibited).toBe(0);
    expect(ids(exposed.published)).toEqual([`${NIGHTS[1]}:BUCKET_OWNER_CHANGED:first`]);
    expect(exposed.published[0]).toMatchObject({ severity: 'HIGH', category: 'BUCKET_ERROR' });
  });

  test('a silenced account error does not hide a new bucket error of its account; once a later one alerts, it does', async () => {
    const silence: Silence = {
      id: 'S-ACCT',
      match: { type: 'ACCOUNT_ACCESS_DENIED' },
      startsAt: '2024-06-01T00:00:00.000Z',
      endsAt: at(NIGHTS[0], 30),
      author: 'alice',
      reason: 'account being migrated',
      createdAt: '2024-06-01T00:00:00.000Z',
    };
    const h = await harness({}, undefined, { silences: source(silence) });
    const n1 = nightly(NIGHTS[0]);
    await h.send([n1.started()]);
    const silenced = await h.send([n1.accountDenied(1)]);
    expect(silenced).toMatchObject({ published: [], silenced: 1 });
    const exposed = await h.send([n1.ownerChanged('payroll', 2)]);
    expect(ids(exposed.published)).toEqual([`${NIGHTS[0]}:BUCKET_OWNER_CHANGED:first`]);
    // After the silence ends the account error alerts: from then on it covers its account's bucket errors.
    const told = await h.send([n1.accountDenied(40)]);
    expect(ids(told.published)).toEqual([`${NIGHTS[0]}:ACCOUNT_ACCESS_DENIED:first`]);
    const covered = await h.send([n1.ownerChanged('ledger', 41)]);
    expect(covered).toMatchObject({ published: [], inhibited: 1 });
    expect([...toldAccountSet(unpackAccounts((await h.run('job-inhibit', NIGHTS[0]))!))]).toEqual([MEMBER]);
  });
});
