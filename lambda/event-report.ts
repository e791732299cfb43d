import type { Alert } from './alert';
import type { PipelineDeps } from './pipeline-deps';

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
export function badEvent(deps: PipelineDeps, event: unknown, reason: string, kind: string): EventReport {
  deps.telemetry.warn(`Malformed ${kind} event skipped`, { eventId: eventIdOf(event), reason });
  deps.telemetry.count('BadRecords');
  return { outcome: 'bad', published: [], reason };
}

/** Zod issues as one short line: "detail.severity: ...; detail.count: ...". */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || '(event)'}: ${i.message}`);
  return issues.length > 5 ? `${shown.join('; ')}; and ${issues.length - 5} more` : shown.join('; ');
}

export function ignoredEvent(deps: PipelineDeps, reason: string, fields: Record<string, unknown> = {}): EventReport {
  deps.telemetry.info('Event ignored', { reason, ...fields });
  deps.telemetry.count('EventsIgnored');
  return { outcome: 'ignored', published: [], reason };
}
