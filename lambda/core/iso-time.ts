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

function instant(iso: string): number {
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
  const d = instant(a) - instant(b);
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
  return events.reduce((m, e) => (compareIso(e.occurredAt, m.occurredAt) > 0 ? e : m), events[0]);
}
