import { AFFECTED_CAP, CappedList, countWords, isCapped, namesWords } from '../../../lambda/job-log/capped-list';

const names = Array.from({ length: AFFECTED_CAP + 5 }, (_, i) => `bucket-${String(i).padStart(2, '0')}`);
const smallest = names.slice(0, AFFECTED_CAP);

describe('the capped list of affected names', () => {
  test.each<[string, readonly string[], (string | undefined)[], readonly string[]]>([
    ['names in order', [], names, smallest],
    ['names in reverse', [], [...names].reverse(), smallest],
    ['repeats and blanks count once and not at all', [], ['b', 'a', 'b', undefined, '', 'a'], ['a', 'b']],
    ['a stored list out of order (an earlier writer) is sorted and capped at its first change', [...names].reverse(), ['zzz'], smallest],
    ['a name past a full list is dropped', smallest, ['zzz'], smallest],
  ])('%s', (_name, stored, added, want) => {
    const list = new CappedList(stored);
    for (const name of added) list.add(name);
    expect(list.list).toEqual(want);
  });

  test('the list as read is never changed', () => {
    const stored = ['b', 'd'];
    const list = new CappedList(stored);
    list.add('c');
    list.add('a');
    expect([stored, list.list]).toEqual([
      ['b', 'd'],
      ['a', 'b', 'c', 'd'],
    ]);
  });
});

describe('how a capped list reads: exact when every name was kept, a lower bound when the cap was reached', () => {
  const ACCOUNTS = ['account', 'accounts'] as const;
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `1111222233${String(i).padStart(2, '0')}`);
  test.each<[string, number, boolean, string]>([
    ['one, all kept', 1, false, '1 account'],
    ["14, all kept (the union of two types' lists)", 14, false, '14 accounts'],
    ['the cap reached: 5,000 accounts read as at least 10, not 10', 10, true, 'at least 10 accounts'],
    ['two types capped: at least 20, not 20', 20, true, 'at least 20 accounts'],
    ['thousands kept', 1234, false, '1,234 accounts'],
  ])('countWords: %s', (_name, n, capped, words) => {
    expect(countWords(n, capped, ACCOUNTS)).toBe(words);
  });

  test.each<[string, readonly string[], boolean, number | undefined, string]>([
    ['a short list, all kept', ids(3), false, undefined, '111122223300, 111122223301, 111122223302'],
    ['more kept than shown', ids(12), false, 10, `${ids(10).join(', ')} and 2 more`],
    ['capped at 10', ids(10), true, undefined, `${ids(10).join(', ')} (first 10 of at least 10 accounts)`],
    ['the union of capped lists, all shown', ids(20), true, 20, `${ids(20).join(', ')} (first 20 of at least 20 accounts)`],
    ['the union of capped lists, 10 shown', ids(20), true, 10, `${ids(10).join(', ')} (first 10 of at least 20 accounts)`],
  ])('namesWords: %s', (_name, names, capped, shown, words) => {
    expect(namesWords(names, capped, ACCOUNTS, shown)).toBe(words);
  });

  test('a list is capped once it holds AFFECTED_CAP names', () => {
    expect([isCapped(ids(AFFECTED_CAP - 1)), isCapped(ids(AFFECTED_CAP))]).toEqual([false, true]);
  });
});
