import type { LogEvent } from './log-events';

/**
 * Events about the job, not a run (a pause or resumption after the run's summary, a cancel without runDate after the
 * run ended): the summary cannot tell them, so each is told on its own, once.
 */
export type JobEventTelling =
  | { readonly tell: true; readonly reason: 'the job was paused or resumed after its run was summarised' | 'the job was cancelled after its run ended' }
  | { readonly tell: false; readonly reason: 'an event of the run: its summary or correction tells it' };

const PAUSE_OR_RESUME: JobEventTelling = { tell: true, reason: 'the job was paused or resumed after its run was summarised' };
const JOB_CANCELLED: JobEventTelling = { tell: true, reason: 'the job was cancelled after its run ended' };
const RUN_EVENT: JobEventTelling = { tell: false, reason: 'an event of the run: its summary or correction tells it' };

/** Is this event, arriving after its run's summary, about the job (told on its own)? */
export function jobEventTelling({ kind, event }: LogEvent): JobEventTelling {
  switch (kind.effect) {
    case 'PAUSED_BY_USER':
    case 'PAUSED_BY_QUOTA':
    case 'RESUMED':
      return PAUSE_OR_RESUME;
    case 'CANCELLED':
      return event.runDate === undefined ? JOB_CANCELLED : RUN_EVENT;
    default:
      return RUN_EVENT;
  }
}
