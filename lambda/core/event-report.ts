import type { Alert } from './alert';
import type { Telemetry } from './telemetry';

/**
 * What happened to one EventBridge event: the replay CLI prints it, the bench and the tests assert on it.
 *   alerted          state written and at least one alert published (or already published by a retry)
 *   grouped          state written (counted in its group), no alert due
 *   duplicate        this event id was applied before; pending alerts of its aggregate were delivered again
 *   ignored          not something the pipeline alerts on (e.g. a call with harmless parameters, AWS Config)
 *   bad              malformed: logged and counted, never retried (a retry cannot fix it)
 *   below-threshold  below the configured minimum severity, or archived
 */
export type EventOutcome = 'alerted' | 'grouped' | 'duplicate' | 'ignored' | 'bad' | 'below-threshold';

export interface EventReport {
  readonly outcome: EventOutcome;
  /** Alerts this invocation published (a retry may publish alerts an earlier attempt created). */
  readonly published: readonly Alert[];
  /** Alerts this event created (published now or by whoever delivers the outbox next). */
  readonly created?: readonly Alert[];
  readonly reason?: string;
}

/** The id of an event that failed validation, when it has one, for the log line. */
export function eventIdOf(event: unknown): string | undefined {
  const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

/** A malformed event: one warn line with its id and the reason, one BadRecords count; resolves (retrying cannot fix it). */
export function badEvent(deps: { readonly telemetry: Telemetry }, event: unknown, reason: string, kind: string): EventReport {
  deps.telemetry.warn(`Malformed ${kind} event skipped`, { eventId: eventIdOf(event), reason });
  deps.telemetry.count('BadRecords');
  return { outcome: 'bad', published: [], reason };
}

export interface DescribeIssuesOptions {
  /** Where the validated value sits in what was received: prefixed to every issue's path. */
  readonly path?: readonly PropertyKey[];
  /** How many issues are listed. */
  readonly max?: number;
  /** What an issue of the value as a whole is labelled with. */
  readonly rootLabel?: string;
  /** End with "; and N more" when issues were left out. */
  readonly countRest?: boolean;
}

/**
 * Zod issues as one short line for a bad-record log: "detail.severity: ...; detail.count: ...". The
 * defaults are the EventBridge pipelines' wording; the job-log decoder passes its own (see job-log/log-events.ts).
 */
export function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  { path = [], max = 5, rootLabel = '(event)', countRest = true }: DescribeIssuesOptions = {},
): string {
  const shown = issues.slice(0, max).map((i) => `${[...path, ...i.path].map(String).join('.') || rootLabel}: ${i.message}`);
  return countRest && issues.length > max ? `${shown.join('; ')}; and ${issues.length - max} more` : shown.join('; ');
}

export function ignoredEvent(deps: { readonly telemetry: Telemetry }, reason: string, fields: Record<string, unknown> = {}): EventReport {
  deps.telemetry.info('Event ignored', { reason, ...fields });
  deps.telemetry.count('EventsIgnored');
  return { outcome: 'ignored', published: [], reason };
}
