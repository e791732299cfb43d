/**
 * Event times as ISO 8601 text, compared by instant. Every pipeline keeps first/last times this way; the
 * module imports nothing, so using it costs no pipeline its bundle size or cold start.
 */

/** An ISO date-time with its instant (Date.parse), for times compared many times over: parsed once. */
export interface Instant {
  readonly iso: string;
  readonly ms: number;
}

export function instantOf(iso: string): Instant {
  return { iso, ms: Date.parse(iso) };
}

/** Orders by instant (offsets differ, digits differ), then by text so the order is total (NaN included). */
export function compareInstants(a: Instant, b: Instant): number {
  const d = a.ms - b.ms;
  if (d !== 0 && Number.isFinite(d)) return d < 0 ? -1 : 1;
  return a.iso < b.iso ? -1 : a.iso > b.iso ? 1 : 0;
}

/** compareInstants of two texts. */
export function compareIso(a: string, b: string): number {
  const d = Date.parse(a) - Date.parse(b);
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

/** The later of two instants (the first on a tie); an undefined one is no candidate. */
export function later(a: Instant | undefined, b: Instant): Instant {
  return a !== undefined && compareInstants(a, b) >= 0 ? a : b;
}

/** The earlier of two instants (the first on a tie); an undefined one is no candidate. */
export function earlier(a: Instant | undefined, b: Instant): Instant {
  return a !== undefined && compareInstants(a, b) <= 0 ? a : b;
}

/**
 * "2024-06-05 10:00 UTC": a time as a subject line shows it, to the minute; with `seconds`, a time that has
 * them shows them ("10:00:30 UTC"), for an end that must not read earlier than it is. Text that is no
 * date-time, as it is.
 */
export function subjectTime(iso: string, seconds = false): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const t = new Date(ms).toISOString();
  return `${t.slice(0, 10)} ${t.slice(11, seconds && t.slice(17, 19) !== '00' ? 19 : 16)} UTC`;
}
