import type { GroupVerdict } from '../../../lambda/job-log/event-outcomes';
import { accountErrorTelling, inhibition, withToldAccounts, type ToldAccounts } from '../../../lambda/job-log/told-account-errors';
import { bucket, ev, MEMBER } from './stage-events';

const OTHER = '444455556666';
const accountError = (minute: number, account = MEMBER) => ev('ACCOUNT_ACCESS_DENIED', minute, { affectedAccount: account });

describe('an account error group is told by its verdict', () => {
  test.each<[GroupVerdict, boolean, string]>([
    ['first', true, 'its group alerted'],
    ['repeat', true, 'its group alerted'],
    ['hold', true, 'grouped into the alert its group sent'],
    ['summary', true, 'the summary sent now lists it'],
    ['known', false, 'it failed the same way in the previous run'],
    ['inhibited', false, 'its group sent no alert'],
  ])('%s: told %s (%s)', (verdict, told, reason) => {
    expect(accountErrorTelling(verdict)).toEqual({ told, reason });
  });
});

describe('a bucket error is inhibited only behind a told account error of its account', () => {
  const told: ToldAccounts = new Set([MEMBER]);
  test.each([
    ['a bucket error of a told account', ev('BUCKET_ACCESS_DENIED', 2, bucket('b1')), told, true, 'an account error of its account was told in this run'],
    [
      'a bucket error of another account',
      ev('BUCKET_ACCESS_DENIED', 2, bucket('b1', OTHER)),
      told,
      false,
      'no account error of its account was told in this run',
    ],
    [
      'a bucket error when nothing was told',
      ev('BUCKET_OWNER_CHANGED', 2, bucket('b1')),
      new Set<string>(),
      false,
      'no account error of its account was told in this run',
    ],
    [
      'a bucket error naming no account',
      ev('BUCKET_ACCESS_DENIED', 2, { affectedResource: { type: 'S3_BUCKET_NAME', value: 'b1' } }),
      told,
      false,
      'it names no account',
    ],
    ['an account error', accountError(2), told, false, 'not a bucket error'],
    [
      'an inherited key is no account',
      ev('BUCKET_ACCESS_DENIED', 2, bucket('b1', 'constructor')),
      told,
      false,
      'no account error of its account was told in this run',
    ],
  ])('%s', (_name, event, toldAccounts, inhibited, reason) => {
    expect(inhibition(event, toldAccounts)).toEqual({ inhibited, reason });
  });
});

describe('the told accounts grow by the account errors told', () => {
  test.each<[string, string[], GroupVerdict, number[], string[]]>([
    ['a first alert adds its accounts', [], 'first', [3, 2], [MEMBER]],
    ['a told account stays told', [MEMBER], 'repeat', [3], [MEMBER]],
    ['a held (grouped) account error is told', [], 'hold', [3], [MEMBER]],
    ['a known group adds nothing', [], 'known', [3], []],
  ])('%s', (_name, told, verdict, minutes, want) => {
    const open = minutes.map((m) => accountError(m));
    expect([...withToldAccounts(new Set(told), { verdict, open })].sort()).toEqual(want);
  });

  test('accounts of several events are each added; the set as read is not changed', () => {
    const told: ToldAccounts = new Set([OTHER]);
    const out = withToldAccounts(told, { verdict: 'first', open: [accountError(2), accountError(4, '999988887777')] });
    expect([...out].sort()).toEqual([OTHER, MEMBER, '999988887777'].sort());
    expect([...told]).toEqual([OTHER]);
  });
});
