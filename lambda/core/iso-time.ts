/**
 * Event times as ISO 8601 text, compared by instant. Every pipeline keeps first/last times this way; the
 * module imports nothing, so using it costs no pipeline its bundle size or cold start.
 */

/**
 * Date.parse of each text once. A storm batch compares each of its 1,000 event times a dozen times (sorting,
 * first/last of each group, the newest event), and parsing is most of a comparison. Bounded: cleared when
 * full, since what repeats is the times of the batch at hand. Date.parse depends on nothing but the text
 * (and, for a text without Z or offset, the process's time zone, which nothing here changes while running).
 */
const instants = new Map<string, number>();
const INSTANTS_CAP = 8192;

export function instant(iso: string): number {
  let ms = instants.get(iso);
  if (ms === undefined) {
    ms = Date.parse(iso);
    if (instants.size >= INSTANTS_CAP) instants.clear();
    instants.set(iso, ms);
  }
  return ms;
}

/** Orders ISO date-times by instant (offsets differ, digits differ), then by text so the order is total. */
export function compareIso(a: string, b: string): number {
  return compareAt(a, instant(a), b, instant(b));
}

/**
 * compareIso of two times whose instants (`instant`, i.e. Date.parse) the caller already holds: a loop over a
 * batch's 1,000 events compares each time several times, and each lookup in the map of instants costs more
 * than the comparison.
 */
export function compareAt(a: string, aMs: number, b: string, bMs: number): number {
  const d = aMs - bMs;
  if (d !== 0 && Number.isFinite(d)) return d < 0 ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The later of two ISO date-times (compareIso); an undefined one is no candidate. */
export function maxIso(a: string | undefined, b: string): string;
export function maxIso(a: string | undefined, b: string | undefined): string | undefined;
export function maxIso(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareIso(a, b) >= 0 ? a : b;
}

/** The earlier of two ISO date-times (compareIso); an undefined one is no candidate. */
export function minIso(a: string | undefined, b: string): string;
export function minIso(a: string | undefined, b: string | undefined): string | undefined;
export function minIso(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareIso(a, b) <= 0 ? a : b;
}

/** The event that occurred last (the first of them on a tie); `events` must not be empty. */
export function newestEvent<T extends { readonly occurredAt: string }>(events: readonly T[]): T {
  let newest = events[0];
  let newestMs = instant(newest.occurredAt);
  for (const e of events) {
    const ms = instant(e.occurredAt);
    if (compareAt(e.occurredAt, ms, newest.occurredAt, newestMs) > 0) {
      newest = e;
      newestMs = ms;
    }
  }
  return newest;
}
