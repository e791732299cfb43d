import { AFFECTED_CAP, CappedList } from '../../../lambda/job-log/capped-list';

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
    expect([stored, list.list]).toEqual([['b', 'd'], ['a', 'b', 'c', 'd']]);
  });
});
