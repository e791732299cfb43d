import { withSilenced, type Silence, type SilenceSubject } from '../silences/silence';
import type { SilencedEvents } from '../state/job-items';
import type { LogEvent } from './log-events';
import { endsRun } from './run-status';
import { copyMap } from './type-maps';

/** A compiled set of silences (silencer() in lambda/silences). */
export type SilenceOf = (subject: SilenceSubject) => Silence | undefined;

export interface RunSilencing {
  /** The run's silenced counts with this batch's added, by silence id (undefined when none). */
  readonly silenced: Readonly<Record<string, SilencedEvents>> | undefined;
  /** The batch's events a silence matched. */
  readonly matched: ReadonlySet<LogEvent>;
}

/** Which alerting events of the batch a silence matches; an ending event is the summary's, which is matched as a whole. */
export function matchSilences(
  current: Readonly<Record<string, SilencedEvents>> | undefined,
  events: readonly LogEvent[],
  jobId: string,
  silenceOf?: SilenceOf,
): RunSilencing {
  let silenced = copyMap(current);
  const matched = new Set<LogEvent>();
  if (silenceOf) {
    for (const e of events) {
      if (!e.kind.alertsAtOnce || endsRun(e.kind.effect)) continue;
      const silence = silenceOf(eventSubject(e, jobId));
      if (!silence) continue;
      silenced = withSilenced(silenced, silence, e.event.eventType);
      matched.add(e);
    }
  }
  return { silenced: Object.keys(silenced).length > 0 ? silenced : undefined, matched };
}

/** What a silence is asked about one job log event. */
function eventSubject({ event }: LogEvent, jobId: string): SilenceSubject {
  return { type: event.eventType, at: event.occurredAt, jobId, bucket: event.affectedResource?.value, accountId: event.affectedAccount };
}
