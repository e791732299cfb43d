import { formatCount } from '../core/alert';

/** How many names an affected set keeps per error type (the smallest). */
export const AFFECTED_CAP = 10;

/**
 * The AFFECTED_CAP smallest names, added one at a time: the same names give the same list whatever the
 * arrival order. The list as read belongs to the run as read, so it is copied on its first change only.
 */
export class CappedList {
  /** Sorted and at most AFFECTED_CAP long (as this version writes it): a name can go straight to its place. */
  private sorted: boolean;
  private copied = false;

  constructor(public list: readonly string[]) {
    this.sorted = list.length <= AFFECTED_CAP && list.every((v, i) => i === 0 || list[i - 1] <= v);
  }

  add(value: string | undefined): void {
    if (!value) return;
    const list = this.list;
    if (this.sorted && list.length >= AFFECTED_CAP && value >= list[list.length - 1]) return;
    if (list.includes(value)) return;
    if (!this.sorted) {
      this.list = [...list, value].sort().slice(0, AFFECTED_CAP);
      this.sorted = this.copied = true;
      return;
    }
    const out = this.copied ? (list as string[]) : [...list];
    let i = out.length;
    while (i > 0 && out[i - 1] > value) i--;
    out.splice(i, 0, value);
    if (out.length > AFFECTED_CAP) out.pop();
    this.list = out;
    this.copied = true;
  }
}

/** A list kept to AFFECTED_CAP names that reached the cap: more names may have been left out. */
export function isCapped(list: readonly string[]): boolean {
  return list.length >= AFFECTED_CAP;
}

/** "14 accounts" when the names are all there; "at least 10 accounts" when they were capped. Pure. */
export function countWords(n: number, capped: boolean, [one, many]: readonly [string, string]): string {
  return `${capped ? 'at least ' : ''}${formatCount(n)} ${n === 1 && !capped ? one : many}`;
}

/**
 * The names and how many there are, true either way: "a, b, c"; "a, ..., j and 4 more" (all known);
 * "a, ..., j (first 10 of at least 12 accounts)" (capped: the first by name of those kept). Pure.
 */
export function namesWords(names: readonly string[], capped: boolean, unit: readonly [string, string], shown = AFFECTED_CAP): string {
  const first = names.slice(0, shown);
  if (capped) return `${first.join(', ')} (first ${formatCount(first.length)} of ${countWords(names.length, true, unit)})`;
  const more = names.length - first.length;
  return more > 0 ? `${first.join(', ')} and ${formatCount(more)} more` : first.join(', ');
}

/**
 * The first names of a set whose size is known: "a, b, c" when they are all; "a, ..., j (first 10 of 5,000
 * accounts)" when not; "(first 10 of at least 5,000 accounts)" when the size is a lower bound. Pure.
 */
export function firstOfWords(first: readonly string[], total: number, exact: boolean, unit: readonly [string, string], shown = AFFECTED_CAP): string {
  const names = first.slice(0, shown);
  if (exact && names.length >= total) return names.join(', ');
  return `${names.join(', ')} (first ${formatCount(names.length)} of ${countWords(total, !exact, unit)})`;
}

/** A count of distinct names, and whether it is exact. */
export interface NameTotal {
  readonly count: number;
  readonly exact: boolean;
}

/**
 * The distinct names of a union of sets (one per run, or per error type), each with its own count and the names
 * it kept (`listed`), and `union` the distinct names kept in all. One set: its count. Sets whose lists hold all
 * their names: the union of the lists, exact. Otherwise the sets may share names not kept, so the larger of the
 * union and the largest count is a lower bound. Pure.
 */
export function unionTotal(parts: readonly { readonly total: NameTotal; readonly listed: number }[], union: number): NameTotal {
  if (parts.length === 1) return parts[0].total;
  if (parts.every((p) => p.total.exact && p.total.count === p.listed)) return { count: union, exact: true };
  return { count: Math.max(union, ...parts.map((p) => p.total.count)), exact: false };
}
