import { randomInt } from 'node:crypto';
import type { Ack } from '../state/ack-items';

/**
 * Acknowledgements: "I am on it; stop reminding me until then". One holds the repeats and reminders of the alert
 * it names while it lasts, never a new problem. Judged like silences, at the event's own time.
 */
export type { Ack } from '../state/ack-items';

/** Letters and digits that cannot be misread for one another, as silence ids. */
const ID_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ACK_ID = /^A-[0-9A-Z]{1,12}$/;

export function randomAckId(): string {
  let id = 'A-';
  for (let i = 0; i < 4; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** `a-7kq2` as typed -> `A-7KQ2`; undefined when it is not an id. */
export function normalizeAckId(text: string): string | undefined {
  const id = text.trim().toUpperCase();
  return ACK_ID.test(id) ? id : undefined;
}

/** Alert ids are printable, without spaces; at most 1,024 characters (the SNS attribute carries them). */
export const ALERT_ID = /^[\x21-\x7e]{3,1024}$/;

/**
 * The condition an alert id stands for, shared by the alert and its repeats: the id without its occurrence
 * (`run:<job>:<runDate>:BUCKET_ACCESS_DENIED:first` and `...:repeat:3` -> `run:<job>:<runDate>:BUCKET_ACCESS_DENIED`;
 * `sd:...:first` and `sd:...:still:40` -> `sd:...`; a policy finding's `policy:<id>:4` and `policy:<id>:9:held` -> `policy:<id>`).
 */
export function ackSubject(alertId: string): string {
  const policy = /^(policy:[^:]+):\d+(?::held)?$/.exec(alertId);
  if (policy) return policy[1];
  return alertId.replace(/:(first|repeat:\d+|still:\d+)$/, '');
}

/** The run an alert is about (its own alerts, and the sweeper's), as the prefix of their ids; undefined otherwise. */
function runOf(alertId: string): { jobId: string; runDate: string } | undefined {
  const m = /^(?:run|sweep):([^:]+):(\d{4}-\d{2}-\d{2}T[0-9:.]+Z):/.exec(alertId);
  return m ? { jobId: m[1], runDate: m[2] } : undefined;
}

export interface Acknowledger {
  /** The acknowledgement holding the repeats of the condition of `alertIdPrefix` at `at`, if any. */
  subject(alertIdPrefix: string, at: number): Ack | undefined;
  /** The acknowledgement holding the sweeper's checks of a run at `at`: one of an alert about that run. */
  run(jobId: string, runDate: string, at: number): Ack | undefined;
  /** The acknowledgement holding a job's missed-run alerts at `at`: one of a missed-run alert of the job. */
  missedRuns(jobId: string, at: number): Ack | undefined;
  /** The acknowledgement holding the reminders that a job paused between runs is still paused: one of such a reminder. */
  pausedJob(jobId: string, at: number): Ack | undefined;
}

const inForce = (a: Ack, at: number) => Date.parse(a.startsAt) <= at && at < Date.parse(a.endsAt);

/** Compile once per batch, ask per decision. The smallest id wins, whatever order they were read in. */
export function acknowledger(acks: readonly Ack[]): Acknowledger {
  const sorted = [...acks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const bySubject = new Map<string, Ack[]>();
  const byRun = new Map<string, Ack[]>();
  const byMissed = new Map<string, Ack[]>();
  const byPaused = new Map<string, Ack[]>();
  const push = (map: Map<string, Ack[]>, k: string, a: Ack) => map.set(k, [...(map.get(k) ?? []), a]);
  for (const a of sorted) {
    push(bySubject, ackSubject(a.alertId), a);
    const run = runOf(a.alertId);
    if (run) push(byRun, `${run.jobId}\u0000${run.runDate}`, a);
    const missed = /^sweep:([^:]+):missed-run:/.exec(a.alertId);
    if (missed) push(byMissed, missed[1], a);
    const paused = /^sweep:([^:]+):paused:/.exec(a.alertId);
    if (paused) push(byPaused, paused[1], a);
  }
  const find = (list: Ack[] | undefined, at: number) => list?.find((a) => inForce(a, at));
  return {
    subject: (prefix, at) => find(bySubject.get(prefix), at),
    run: (jobId, runDate, at) => find(byRun.get(`${jobId}\u0000${runDate}`), at),
    missedRuns: (jobId, at) => find(byMissed.get(jobId), at),
    pausedJob: (jobId, at) => find(byPaused.get(jobId), at),
  };
}

export const NO_ACKS: Acknowledger = acknowledger([]);

/** "acknowledged (A-7KQ2 by alice until 2024-06-05T10:00:00.000Z: restoring the bucket policy)": a reason in words. */
export function describeAck(a: Pick<Ack, 'id' | 'author' | 'endsAt' | 'reason'>): string {
  return `acknowledged (${a.id} by ${a.author} until ${a.endsAt}: ${a.reason})`;
}
