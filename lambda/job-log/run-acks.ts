import { formatCount } from '../core/alert';
import { compareIso } from '../core/iso-time';
import { describeAck, type Ack } from '../silences/ack';
import { classify } from './event-types';

/**
 * The acknowledgements a run summary names: those of an alert about this run (its error groups' alerts, the
 * sweeper's checks of it) that were in force while it ran, so the summary says which repeats and reminders
 * were held, by whom, until when and why. Bounded: the first RUN_ACKS_NAMED by id, and how many more. Pure.
 */
export const RUN_ACKS_NAMED = 5;

export interface RunAcks {
  /** "bucket access denied: acknowledged (A-7KQ2 by alice until ...: restoring the bucket policy)". */
  readonly named: readonly string[];
  readonly more: number;
}

const SWEEPER_CHECKS: Record<string, string> = {
  'still-running': 'still running',
  'quota-paused': 'still paused by the monthly quota',
  'user-paused': 'paused by a user',
};

/** What the acknowledged alert was about, in the words of its headline. */
function alertWords(alertId: string, runPrefix: string): string {
  const [what = alertId] = alertId.slice(runPrefix.length).split(':');
  if (alertId.startsWith('sweep:')) return SWEEPER_CHECKS[what] ?? what;
  const kind = classify(what);
  return kind.known ? kind.title : what;
}

/** `from`/`to`: the run's start and end (`to` absent while it runs). */
export function runAcks(acks: readonly Ack[], jobId: string, runDate: string, from: string, to: string | undefined): RunAcks {
  const about = [`run:${jobId}:${runDate}:`, `sweep:${jobId}:${runDate}:`];
  const held = acks
    .filter(
      (a) => about.some((prefix) => a.alertId.startsWith(prefix)) && compareIso(a.endsAt, from) > 0 && (to === undefined || compareIso(a.startsAt, to) < 0),
    )
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    named: held.slice(0, RUN_ACKS_NAMED).map((a) => `${alertWords(a.alertId, about.find((p) => a.alertId.startsWith(p)) ?? '')}: ${describeAck(a)}`),
    more: Math.max(0, held.length - RUN_ACKS_NAMED),
  };
}

/** "and 3 more acknowledgements" after the named ones; empty when none is left out. */
export function moreAcks(n: number): string {
  return n > 0 ? `and ${formatCount(n)} more ${n === 1 ? 'acknowledgement' : 'acknowledgements'}` : '';
}
