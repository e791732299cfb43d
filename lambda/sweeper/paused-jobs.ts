import type { Alert } from '../core/alert';
import { jobLinks } from '../core/links';
import type { JobState, PausedJobMark, RunState } from '../state/job-items';

// A job paused by a user is watched until it resumes: reminders before Macie cancels a paused run, and at each
// scheduled run a job paused between runs misses; each decided by a pure function here, raised once.

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Macie cancels a job a user paused while it was running this long after the pause (userPausedDetails.jobExpiresAt). */
export const USER_PAUSE_EXPIRY_DAYS = 30;
/** The cancel event may be on its way: the expiry is told as passed only this long after it. */
export const EXPIRY_GRACE_MS = HOUR_MS;

export type UserPauseStep = 'day-23' | 'day-29' | 'expired';
const STEPS: readonly { readonly step: UserPauseStep; readonly afterMs: number }[] = [
  { step: 'day-23', afterMs: 23 * DAY_MS },
  { step: 'day-29', afterMs: 29 * DAY_MS },
  { step: 'expired', afterMs: USER_PAUSE_EXPIRY_DAYS * DAY_MS + EXPIRY_GRACE_MS },
];

export type UserPauseReminder =
  | { readonly step: UserPauseStep; readonly reason: string }
  | { readonly step?: undefined; readonly reason: 'not yet 23 days paused' | 'its latest due reminder was raised' | 'no pause time to count from' };

/**
 * The reminder due for a run a user paused at `pausedAtMs`, at `nowMs` (its log's time), given the steps raised
 * for this pause: only the latest due step (a sweeper down on day 23 and back on day 29 sends one reminder).
 */
export function userPauseReminder(pausedAtMs: number | undefined, nowMs: number, raised: readonly string[]): UserPauseReminder {
  if (pausedAtMs === undefined) return { reason: 'no pause time to count from' };
  const due = STEPS.filter((s) => nowMs >= pausedAtMs + s.afterMs);
  if (due.length === 0) return { reason: 'not yet 23 days paused' };
  const latest = due[due.length - 1];
  if (raised.includes(latest.step)) return { reason: 'its latest due reminder was raised' };
  return {
    step: latest.step,
    reason: latest.step === 'expired' ? `still paused ${USER_PAUSE_EXPIRY_DAYS} days after the pause` : `paused ${latest.step.slice(4)} days`,
  };
}

/** The steps a reminder at `step` settles: it and every earlier one. */
export function stepsThrough(step: UserPauseStep): UserPauseStep[] {
  return STEPS.slice(0, STEPS.findIndex((s) => s.step === step) + 1).map((s) => s.step);
}

export interface Schedule {
  readonly intervalMs: number;
  readonly lastStart: number;
}

export type PausedJobReminder =
  | { readonly due: true; readonly missed: number; readonly by: 'missed runs' | 'days'; readonly reason: string }
  | { readonly due: false; readonly missed: number; readonly by: 'missed runs' | 'days'; readonly reason: string };

/**
 * A periodic job paused between runs: how many of its scheduled runs it has missed since the pause (each slot
 * of its steady schedule after the pause, once half an interval overdue), or, with no steady schedule, how
 * many whole days it has been paused; a reminder is due each time that number grows past the last one told.
 */
export function pausedJobReminder(pausedAtMs: number, schedule: Schedule | undefined, nowMs: number, told: number): PausedJobReminder {
  let missed: number;
  let by: 'missed runs' | 'days';
  if (schedule) {
    by = 'missed runs';
    const first = Math.max(1, Math.ceil((pausedAtMs - schedule.lastStart) / schedule.intervalMs));
    const last = Math.floor((nowMs - schedule.intervalMs / 2 - schedule.lastStart) / schedule.intervalMs);
    missed = Math.max(0, last - first + 1);
  } else {
    by = 'days';
    missed = Math.max(0, Math.floor((nowMs - pausedAtMs) / DAY_MS));
  }
  if (missed === 0) return { due: false, missed, by, reason: by === 'days' ? 'paused less than a day' : 'no scheduled run missed yet' };
  if (missed <= told) return { due: false, missed, by, reason: `${missed} ${by} told already` };
  return { due: true, missed, by, reason: `${missed} ${by} since the pause, ${told} told` };
}

/**
 * The first scheduled start after a resumption: a job resumed after missing runs is next expected one interval
 * step after the resumption, not at the slot it missed while paused (which its reminders told).
 */
export function nextStartAfter(schedule: Schedule, resumedAtMs: number | undefined): number {
  const next = schedule.lastStart + schedule.intervalMs;
  if (resumedAtMs === undefined || resumedAtMs < next) return next;
  return schedule.lastStart + (Math.floor((resumedAtMs - schedule.lastStart) / schedule.intervalMs) + 1) * schedule.intervalMs;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

interface AlertPlace {
  readonly region: string;
  readonly accountId: string;
  readonly at: string;
}

function base(jobId: string, place: AlertPlace) {
  return {
    accountId: place.accountId,
    region: place.region,
    affected: [],
    count: 1,
    links: jobLinks(place.region, jobId),
    sample: false,
    occurredAt: place.at,
    threadId: jobId,
    category: 'STUCK_RUN' as const,
  };
}

/** A reminder that a run a user paused is about to be cancelled by Macie, or that its expiry passed. */
export function userPauseAlert(run: RunState, pausedAt: string, step: UserPauseStep, place: AlertPlace): Alert {
  const { jobId, runDate } = run;
  const name = run.jobName || jobId;
  const expiresMs = Date.parse(pausedAt) + USER_PAUSE_EXPIRY_DAYS * DAY_MS;
  const expires = new Date(expiresMs).toISOString();
  const details = [
    { label: 'Paused at', value: pausedAt },
    { label: 'Cancelled by Macie on', value: expires },
    { label: 'Run', value: runDate },
  ];
  const id = `sweep:${jobId}:${runDate}:user-paused:${pausedAt}:${step}`;
  if (step === 'expired') {
    return {
      ...base(jobId, place),
      id,
      severity: 'MEDIUM',
      eventType: 'SWEEPER_USER_PAUSE_EXPIRED',
      job: { id: jobId, name: run.jobName || undefined, runDate },
      headline: `Macie job ${name}: paused ${USER_PAUSE_EXPIRY_DAYS} days, expired on ${isoDay(expiresMs)}`,
      whatHappened: `The run of ${runDate} was paused by a user at ${pausedAt} and never resumed. Macie cancels a job paused this way ${USER_PAUSE_EXPIRY_DAYS} days after the pause, on ${expires}; that time has passed and no cancellation has reached this pipeline.`,
      whatItMeans: 'The job is cancelled, or about to be: what it had not analysed will not be analysed, and a cancelled job cannot be restarted.',
      whatToDo: 'Check the job status in the Macie console. If the data still needs analysing, create a new job for it.',
      details,
    };
  }
  const days = step === 'day-23' ? 23 : 29;
  return {
    ...base(jobId, place),
    id,
    severity: step === 'day-29' ? 'HIGH' : 'MEDIUM',
    eventType: 'SWEEPER_USER_PAUSE_EXPIRING',
    job: { id: jobId, name: run.jobName || undefined, runDate },
    headline: `Macie job ${name}: paused ${days} days, will be cancelled on ${isoDay(expiresMs)} unless resumed`,
    whatHappened: `The run of ${runDate} was paused by a user at ${pausedAt} and has not resumed. Macie cancels a job paused while it runs ${USER_PAUSE_EXPIRY_DAYS} days after the pause: this one will be cancelled on ${expires} unless it is resumed.`,
    whatItMeans: 'Nothing is analysed while the job is paused, and once cancelled it cannot be restarted: what it has not reached would need a new job.',
    whatToDo: 'Resume the job in the Macie console if it should finish; if it is paused on purpose and may be cancelled, no action is needed.',
    details,
  };
}

/** A reminder that a periodic job paused between runs is still paused, and what it has missed. */
export function pausedJobAlert(
  job: JobState,
  mark: Pick<PausedJobMark, 'pausedAt'>,
  reminder: Extract<PausedJobReminder, { due: true }>,
  place: AlertPlace,
): Alert {
  const { jobId } = job;
  const name = job.jobName || jobId;
  const skipped =
    reminder.by === 'missed runs'
      ? `${reminder.missed} scheduled run${reminder.missed === 1 ? '' : 's'} skipped`
      : `${reminder.missed} day${reminder.missed === 1 ? '' : 's'} paused`;
  return {
    ...base(jobId, place),
    id: `sweep:${jobId}:paused:${mark.pausedAt}:${reminder.missed}`,
    severity: 'MEDIUM',
    eventType: 'SWEEPER_JOB_STILL_PAUSED',
    job: { id: jobId, name: job.jobName || undefined },
    headline: `Macie job ${name}: still paused, ${skipped}`,
    whatHappened:
      `The job was paused by a user at ${mark.pausedAt}, between runs, and has not been resumed: ` +
      (reminder.by === 'missed runs' ? `${skipped} since then.` : `no run has started for ${reminder.missed} day${reminder.missed === 1 ? '' : 's'}.`),
    whatItMeans: 'A periodic job paused between runs does not expire, but none of its scheduled runs start: the data it covers is not being analysed.',
    whatToDo: 'If the pause was not planned, find who paused it (CloudTrail: UpdateClassificationJob) and resume the job in the Macie console.',
    details: [
      { label: 'Paused at', value: mark.pausedAt },
      { label: reminder.by === 'missed runs' ? 'Scheduled runs skipped' : 'Days paused', value: String(reminder.missed) },
    ],
  };
}
