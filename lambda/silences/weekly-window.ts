import type { WeeklyWindowSpec } from '../state/silence-items';

/**
 * Recurring silences (`--every 'sat,sun 00:00-06:00'`): windows on given weekdays, UTC only, each covering
 * [open, close); one that closes at or before it opens crosses midnight.
 */
export type { WeeklyWindowSpec } from '../state/silence-items';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const MINUTE_MS = 60_000;
/** 1970-01-01 was a Thursday, so a week here (Sunday 00:00 UTC onwards) starts 4 days after the epoch's. */
const SUNDAY_OFFSET_MS = 4 * DAY_MS;

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A weekly window that cannot be read: the message says which part and why. */
export class WeeklyWindowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeeklyWindowError';
  }
}

/** A window ready to ask: days as 0 (Sunday) .. 6, open and length in milliseconds from midnight. */
export interface CompiledWindow {
  readonly days: readonly number[];
  readonly openMs: number;
  readonly lengthMs: number;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

function minutes(text: string, what: string): number {
  if (!TIME.test(text)) throw new WeeklyWindowError(`${what} "${text}" is not a time of day: use HH:MM in UTC (00:00 to 24:00)`);
  const [h, m] = text.split(':').map(Number);
  return h * 60 + m;
}

function dayIndex(text: string): number {
  const i = WEEKDAYS.indexOf(text as Weekday);
  if (i < 0) throw new WeeklyWindowError(`"${text}" is not a weekday: use mon, tue, wed, thu, fri, sat, sun, a range (mon-fri) or daily`);
  return i;
}

/**
 * `sat,sun 00:00-06:00`, `mon-fri 22:00-02:00`, `daily 01:00-03:00` -> the stored spec (days in week order,
 * Monday first). Throws WeeklyWindowError.
 */
export function parseWeeklyWindow(text: string): WeeklyWindowSpec {
  const m = /^\s*(\S+)\s+(\S+)-(\S+)\s*$/.exec(text.toLowerCase());
  if (!m) throw new WeeklyWindowError(`"${text}" is not a weekly window: give days and a UTC time range, e.g. 'sat,sun 00:00-06:00' or 'mon-fri 22:00-02:00'`);
  const [, dayText, from, to] = m;
  const days = new Set<number>();
  for (const part of dayText === 'daily' ? ['sun-sat'] : dayText.split(',')) {
    const range = part.split('-');
    if (range.length > 2 || range.some((d) => d === '')) throw new WeeklyWindowError(`"${part}" is not a weekday or a range of weekdays (mon-fri)`);
    const first = dayIndex(range[0]);
    const last = dayIndex(range[range.length - 1]);
    // A range may wrap the week's end: fri-mon is Friday to Monday.
    for (let d = first; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === last) break;
    }
  }
  return checkWeeklyWindow({ days: [...days].sort((a, b) => mondayFirst(a) - mondayFirst(b)).map((d) => WEEKDAYS[d]), from, to });
}

const mondayFirst = (d: number) => (d + 6) % 7;

/** Checks a spec (typed, or stored: a hand-edited item) and returns it. Throws WeeklyWindowError. */
export function checkWeeklyWindow(spec: WeeklyWindowSpec): WeeklyWindowSpec {
  compileWeeklyWindow(spec);
  return spec;
}

export function compileWeeklyWindow(spec: WeeklyWindowSpec): CompiledWindow {
  if (spec.days.length === 0) throw new WeeklyWindowError('a weekly window needs at least one weekday');
  const days = [...new Set(spec.days.map(dayIndex))];
  const open = minutes(spec.from, 'opening time');
  const close = minutes(spec.to, 'closing time');
  if (open === 24 * 60) throw new WeeklyWindowError('a window cannot open at 24:00: use 00:00 of the next day');
  if (open === close) throw new WeeklyWindowError(`a window from ${spec.from} to ${spec.to} is empty: for whole days use 00:00-24:00`);
  const lengthMin = close > open ? close - open : close + 24 * 60 - open;
  return { days, openMs: open * MINUTE_MS, lengthMs: lengthMin * MINUTE_MS };
}

/** Milliseconds since the last Sunday 00:00 UTC. */
function intoWeek(at: number): number {
  return (((at + SUNDAY_OFFSET_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS;
}

/** Whether the instant `at` (ms since the epoch) is inside one of the window's weekly openings. */
export function inWeeklyWindow(w: CompiledWindow, at: number): boolean {
  const t = intoWeek(at);
  return w.days.some((d) => (((t - (d * DAY_MS + w.openMs)) % WEEK_MS) + WEEK_MS) % WEEK_MS < w.lengthMs);
}

export interface Opening {
  readonly from: number;
  readonly to: number;
}

/**
 * The opening in effect at `after`, or the next one, clipped to [notBefore, notAfter): undefined when none
 * opens before notAfter. `silence list` shows it.
 */
export function nextOpening(w: CompiledWindow, after: number, notBefore: number, notAfter: number): Opening | undefined {
  const ref = Math.max(after, notBefore);
  const weekStart = ref - intoWeek(ref);
  let best: Opening | undefined;
  for (const week of [-1, 0, 1]) {
    for (const d of w.days) {
      const from = weekStart + week * WEEK_MS + d * DAY_MS + w.openMs;
      const to = from + w.lengthMs;
      if (to <= ref) continue;
      if (!best || from < best.from) best = { from, to };
    }
  }
  if (!best) return undefined;
  const clipped = { from: Math.max(best.from, notBefore), to: Math.min(best.to, notAfter) };
  return clipped.from < clipped.to ? clipped : undefined;
}

const DAY_NAMES: Record<string, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

/** "every Sat, Sun 00:00-06:00 UTC": a window in words. */
export function describeWeeklyWindow(spec: WeeklyWindowSpec): string {
  const days = spec.days.length === 7 ? 'day' : spec.days.map((d) => DAY_NAMES[d] ?? d).join(', ');
  return `every ${days} ${spec.from}-${spec.to} UTC`;
}
