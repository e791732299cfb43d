import { compareIso } from '../core/iso-time';
import type { PipelineSettings } from '../core/settings';
import type { JobState, RunState } from '../state/job-items';
import { isErrorEffect } from './event-types';
import type { LogEvent } from './log-events';
import { endsRun } from './run-status';
import { own } from './type-maps';

/** What the pipeline reads for a run beyond the run itself, decided from the run as read and the batch's events. */

/** Does building this run's alerts need its findings (a summary or a summary update may be sent)? */
export function needsFindings(current: RunState | undefined, events: readonly LogEvent[]): boolean {
  if (current?.summarySentAt) return true;
  return events.some((e) => endsRun(e.kind.effect));
}

/** The job's run before this one, among its recent run starts; only for periodic jobs (one-time jobs have one run). */
export function previousRunDate(job: JobState, runDate: string): string | undefined {
  if (job.kind !== 'SCHEDULED') return undefined;
  return job.recentRunStarts
    .filter((d) => compareIso(d, runDate) < 0)
    .sort(compareIso)
    .at(-1);
}

/**
 * Does building this run's alerts need the previous run: a summary (or its update) may be built, or, with
 * knownErrors: summary, an error group of the run may send its first alert?
 */
export function needsPrevious(job: JobState, runDate: string, current: RunState | undefined, events: readonly LogEvent[], settings: PipelineSettings): boolean {
  if (previousRunDate(job, runDate) === undefined) return false;
  if (needsFindings(current, events)) return true;
  if (settings.knownErrors !== 'summary') return false;
  return events.some((e) => e.kind.alertsAtOnce && isErrorEffect(e.kind.effect) && !own(current?.groups ?? {}, e.event.eventType)?.alerts);
}
