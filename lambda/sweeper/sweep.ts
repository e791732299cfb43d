import type { Alert } from '../core/alert';
import { errorText } from '../core/error-text';
import { outboxEntry } from '../delivery/alert-item';
import { deliverPending, type PendingAlerts } from '../delivery/outbox';
import { jobLinks } from '../core/links';
import { deliveryDeps, type PipelineDeps } from '../pipeline-deps';
import { keyString, type Item } from '../state/store';
import { decodeOptional } from '../state/codec';
import { raiseDueDigests } from './digest';
import { JobCodec, RunCodec, type JobState, type JobSweeperMarks, type MissedRunMark, type RunState, type RunSweeperMarks } from '../state/job-items';
import { GSI1, keys, type ItemKey } from '../state/table';
import { applyDecision, checkEach, isKeyed, type CheckResult, type Decide, type Decision } from './decision';
import { flushFindingRollups } from './finding-rollups';
import { flushHeldCounts } from './held-counts';
import { logClock } from './log-clock';
import { sendLateFindingUpdates } from './late-findings';
import { nextStartAfter, pausedJobAlert, pausedJobReminder, stepsThrough, userPauseAlert, userPauseReminder } from './paused-jobs';
import { announceSilences } from './silence-announcements';
import { sendSmsBudgetNotices } from './sms-budget-notice';
import { acknowledger, type Acknowledger } from '../silences/ack';
import { ackSource } from '../silences/cache';

/**
 * The scheduled checks that no event can trigger: a run that goes quiet, a quota pause nobody lifted, a
 * periodic job whose next run never came. It is the one part of the pipeline driven by the wall clock
 * (deps.now), and it is also the outbox's safety net: alerts left PENDING (their batch went to the DLQ, or
 * delivery failed and no later event touched the same aggregate) and alerts left SENDING past their lease
 * (the process delivering them died) are delivered from here. It also raises the daily digest (digest.ts).
 *
 * Every alert is raised once per condition: the condition is recorded on the item (`sweeper` map) in the
 * same atomic write that puts the alert in the outbox, conditional on the item's version, so a concurrent
 * pipeline write or a second sweeper makes this one re-read and re-decide instead of alerting twice.
 */

/** Alerts PENDING for longer than this are the sweeper's to deliver (younger ones are still in flight). */
export const PENDING_ALERT_GRACE_MINUTES = 15;

/** Steady schedule: at least this many consecutive intervals, each within 10% of their median. */
export const STEADY_INTERVALS = 3;
export const STEADY_TOLERANCE = 0.1;

export interface SweepReport {
  readonly openRuns: number;
  readonly periodicJobs: number;
  /** Ids of the alerts this sweep put in the outbox. */
  readonly raised: readonly string[];
  /** Ids published by this sweep (raised now, or left pending by someone else). */
  readonly published: readonly string[];
  /** What could not be done; the next sweep tries again (the handler fails the invocation so it shows). */
  readonly failures: readonly { readonly key: string; readonly reason: string }[];
}

const HOUR_MS = 3_600_000;

export async function sweep(deps: PipelineDeps): Promise<SweepReport> {
  const raised: string[] = [];
  const published: string[] = [];
  const failures: { key: string; reason: string }[] = [];
  const pending: PendingAlerts[] = [];
  const raisedNow = new Set<string>();

  const openRuns = await deps.store.listIndex(GSI1.openRun);
  const periodicJobs = await deps.store.listIndex(GSI1.periodicJob);
  const openRunKeys = new Set(openRuns.filter(isKeyed).map(keyString));
  // Read only when a reminder is due (most sweeps raise none), then kept for the sweep.
  let acksRead: Promise<Acknowledger> | undefined;
  const acks = () => (acksRead ??= ackSource(deps).list().then(acknowledger));

  const checks: { owner: ItemKey; listed: Item; decide: Decide }[] = [
    ...openRuns.filter(isKeyed).map((run) => ({
      owner: { pk: run.pk, sk: run.sk },
      listed: run,
      decide: async (item: Item, now: Date) => decideRun(deps, RunCodec.decode(item), now, acks),
    })),
    ...periodicJobs.filter(isKeyed).map((job) => ({
      owner: { pk: job.pk, sk: job.sk },
      listed: job,
      decide: (item: Item, now: Date) => decideJob(deps, JobCodec.decode(item), now, openRunKeys, acks),
    })),
  ];

  const checked = await checkEach(checks, (check) => applyDecision(deps, check.owner, check.listed, check.decide));
  await reportHeldCounts(deps, checked);
  for (const { owner, alerts } of checked.raised) {
    const ids = alerts.map((a) => a.id);
    for (const id of ids) raisedNow.add(id);
    raised.push(...ids);
    pending.push({ owner, alertIds: ids });
  }
  failures.push(...checked.failures);

  // The daily digest (digest.ts), when one is due: raised once per day, delivered with the checks' alerts.
  try {
    for (const digest of await raiseDueDigests(deps)) {
      for (const id of digest.alertIds) raisedNow.add(id);
      raised.push(...digest.alertIds);
      pending.push(digest);
    }
  } catch (error) {
    failures.push({ key: 'daily digest', reason: errorText(error) });
  }

  const stranded = await strandedAlerts(deps, raisedNow);

  await deliverEach(deps, [...pending, ...stranded], { published, failures });
  await deliverSmsNotices(deps, { raised, published, failures });
  for (const f of failures) deps.telemetry.error('sweeper: check or delivery failed, the next sweep retries', f);
  deps.telemetry.info('sweeper: done', {
    openRuns: openRuns.length,
    periodicJobs: periodicJobs.length,
    raised: raised.length,
    published: published.length,
    failures: failures.length,
  });
  return { openRuns: openRuns.length, periodicJobs: periodicJobs.length, raised, published, failures };
}

/**
 * Safety net: alerts nobody delivered, PENDING past the grace period or SENDING past their lease (their
 * delivery died, so they go out again labelled), grouped by owner: one delivery per owner, which also cleans its set.
 */
async function strandedAlerts(deps: PipelineDeps, raisedNow: ReadonlySet<string>): Promise<PendingAlerts[]> {
  const now = deps.now();
  const cutoff = new Date(now.getTime() - PENDING_ALERT_GRACE_MINUTES * 60_000).toISOString();
  const stranded = await deps.store.listIndex(GSI1.pendingAlert, cutoff);
  const unconfirmed = await deps.store.listIndex(GSI1.sendingAlert, now.toISOString());
  const byOwner = new Map<string, PendingAlerts & { alertIds: string[] }>();
  for (const entry of [...stranded, ...unconfirmed].map(outboxEntry)) {
    if (!entry || raisedNow.has(entry.alertId)) continue;
    const k = keyString(entry.owner);
    const group = byOwner.get(k) ?? { owner: entry.owner, alertIds: [] };
    group.alertIds.push(entry.alertId);
    byOwner.set(k, group);
  }
  if (byOwner.size > 0) {
    deps.telemetry.info('sweeper: delivering stranded alerts', { pending: stranded.length, unconfirmed: unconfirmed.length, owners: byOwner.size });
  }
  return [...byOwner.values()];
}

/**
 * Counts the pipelines held back, reported once they are due (late-findings.ts, held-counts.ts): findings
 * counted after their run's summary, policy recurrences and reveals held inside a repeat window; and the
 * silences made or ended since the last sweep (silence-announcements.ts).
 */
async function reportHeldCounts(deps: PipelineDeps, into: CheckResult): Promise<void> {
  const checks = [
    ['finding roll-ups', flushFindingRollups],
    ['late findings', sendLateFindingUpdates],
    ['held counts', flushHeldCounts],
    ['silence announcements', announceSilences],
  ] as const;
  await runChecks(deps, checks, into);
}

async function runChecks(
  deps: PipelineDeps,
  checks: readonly (readonly [string, (deps: PipelineDeps) => Promise<CheckResult>])[],
  into: CheckResult,
): Promise<void> {
  for (const [name, check] of checks) {
    try {
      const result = await check(deps);
      into.raised.push(...result.raised);
      into.failures.push(...result.failures);
    } catch (error) {
      // The listing itself failed (DynamoDB unavailable): the next sweep lists again.
      into.failures.push({ key: name, reason: errorText(error) });
    }
  }
}

/**
 * With an SMS budget, what it kept from SMS subscribers (sms-budget-notice.ts): after every delivery of this
 * sweep, so that the notice also counts the alerts the sweep itself delivered past the budget.
 */
async function deliverSmsNotices(
  deps: PipelineDeps,
  into: { raised: string[]; published: string[]; failures: { key: string; reason: string }[] },
): Promise<void> {
  const budget = deliveryDeps(deps).smsBudget;
  if (!budget) return;
  const notices: CheckResult = { raised: [], failures: [] };
  await runChecks(deps, [['SMS budget notices', (d) => sendSmsBudgetNotices(d, budget.maxPerHour)]], notices);
  into.failures.push(...notices.failures);
  const groups = notices.raised.map(({ owner, alerts }) => ({ owner, alertIds: alerts.map((a) => a.id) }));
  for (const { alertIds } of groups) into.raised.push(...alertIds);
  await deliverEach(deps, groups, into);
}

/** Each group delivered on its own: a failure of one (or an unreadable item) does not hold up the others. */
async function deliverEach(
  deps: PipelineDeps,
  groups: readonly PendingAlerts[],
  into: { published: string[]; failures: { key: string; reason: string }[] },
): Promise<void> {
  for (const group of groups) {
    try {
      const report = await deliverPending(deliveryDeps(deps), [group]);
      into.published.push(...report.published.map((a) => a.id));
    } catch (error) {
      // Counted where it happens: PublishFailures by the publisher, delivery counts by deliverPending.
      into.failures.push({ key: `${group.owner.pk}/${group.owner.sk}`, reason: errorText(error) });
    }
  }
}

function time(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * A run's reminders: still running, still paused by the quota. Each is held, unmarked, while an
 * acknowledgement of an alert about the run lasts, so it goes out at the first sweep after it ends.
 */
async function decideRun(deps: PipelineDeps, run: RunState, now: Date, acks: () => Promise<Acknowledger>): Promise<Decision | undefined> {
  const thresholdMs = deps.settings.longRunningRunHours * HOUR_MS;
  const state: { -readonly [K in keyof RunSweeperMarks]: RunSweeperMarks[K] } = { ...run.sweeper };
  const alerts: Alert[] = [];
  const at = now.toISOString();
  // Started and paused times are Macie's: compared with how far the run's log has come, not with the wall clock.
  const log = logClock(run, now).at;

  if (run.status === 'RUNNING' && !state.stillRunning) {
    const since = time(run.startedAt) ?? time(run.runDate);
    if (since !== undefined && log - since > thresholdMs && !(await acknowledged(deps, acks, run, now))) {
      const hours = Math.floor((log - since) / HOUR_MS);
      const alert = stillRunningAlert(deps, run, hours, at);
      alerts.push(alert);
      state.stillRunning = { alertedAt: at, alertId: alert.id };
    }
  }

  if (run.status === 'PAUSED' && run.pausedBy === 'QUOTA') {
    const pausedAt = run.pausedAt ?? run.statusAt;
    const since = time(pausedAt);
    // A later quota pause of the same run (paused, lifted, paused again) is a new condition: keyed by pausedAt.
    if (
      pausedAt &&
      since !== undefined &&
      state.quotaPause?.pausedAt !== pausedAt &&
      log - since > thresholdMs &&
      !(await acknowledged(deps, acks, run, now))
    ) {
      const hours = Math.floor((log - since) / HOUR_MS);
      const alert = quotaPauseAlert(deps, run, pausedAt, hours, at);
      alerts.push(alert);
      state.quotaPause = { pausedAt, alertedAt: at, alertId: alert.id };
    }
  }

  if (run.status === 'PAUSED' && run.pausedBy === 'USER') {
    const pausedAt = run.pausedAt ?? run.statusAt;
    // A later pause of the same run (paused, resumed, paused again) counts its 30 days afresh: keyed by pausedAt.
    const raised = pausedAt !== undefined && state.userPause?.pausedAt === pausedAt ? state.userPause.steps : [];
    const reminder = userPauseReminder(time(pausedAt), log, raised);
    if (pausedAt && reminder.step) {
      const alert = userPauseAlert(run, pausedAt, reminder.step, { region: run.region || deps.region, accountId: run.adminAccountId || 'unknown', at });
      alerts.push(alert);
      state.userPause = { pausedAt, steps: stepsThrough(reminder.step), alertedAt: at, alertId: alert.id };
    }
  }
  return alerts.length > 0 ? { alerts, sweeper: state } : undefined;
}

async function acknowledged(deps: PipelineDeps, acks: () => Promise<Acknowledger>, run: RunState, now: Date): Promise<boolean> {
  const ack = (await acks()).run(run.jobId, run.runDate, now.getTime());
  if (ack) deps.telemetry.info('sweeper: reminder held by an acknowledgement', { jobId: run.jobId, runDate: run.runDate, ackId: ack.id, until: ack.endsAt });
  return ack !== undefined;
}

/** Job statuses (jobStatus, recorded by the job-log pipeline) in which no scheduled run is due. */
const JOB_NOT_SCHEDULING = new Set(['CANCELLED', 'USER_PAUSED']);

export interface SteadySchedule {
  readonly intervalMs: number;
  readonly lastStart: number;
  readonly expectedAt: number;
}

/**
 * The schedule implied by the recent run starts, or undefined when they are not steady enough to predict
 * the next one (too few, or irregular: a job whose schedule changed, or runs started by hand).
 */
export function steadySchedule(recentRunStarts: readonly string[]): SteadySchedule | undefined {
  const starts = [...new Set(recentRunStarts)]
    .map((s) => Date.parse(s))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b);
  if (starts.length < STEADY_INTERVALS + 1) return undefined;
  const recent = starts.slice(-(STEADY_INTERVALS + 1));
  const intervals = recent.slice(1).map((t, i) => t - recent[i]);
  const sorted = [...intervals].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  if (median <= 0) return undefined;
  if (intervals.some((d) => Math.abs(d - median) > STEADY_TOLERANCE * median)) return undefined;
  const lastStart = starts[starts.length - 1];
  return { intervalMs: median, lastStart, expectedAt: lastStart + median };
}

async function decideJob(
  deps: PipelineDeps,
  job: JobState,
  now: Date,
  openRunKeys: ReadonlySet<string>,
  acks: () => Promise<Acknowledger>,
): Promise<Decision | undefined> {
  const state: { -readonly [K in keyof JobSweeperMarks]: JobSweeperMarks[K] } = { ...job.sweeper };
  const { jobId, recentRunStarts: starts } = job;
  const latest = starts
    .map((s) => Date.parse(s))
    .filter(Number.isFinite)
    .sort((a, b) => b - a)[0];
  const alerts: Alert[] = [];
  const at = now.toISOString();

  // Resolution: a run started after the one the missed-run alert was computed from.
  const mark = state.missedRun;
  if (mark && !mark.resolvedAt && latest !== undefined && latest > Date.parse(mark.lastStart)) {
    const alert = runResumedAlert(deps, job, mark, new Date(latest).toISOString(), at);
    alerts.push(alert);
    state.missedRun = { ...mark, resolvedAt: at };
  }

  const currentRun = job.currentRunDate;
  // While the current run is open the run checks speak for it (a long run, a pause); a missed start would be noise.
  const currentOpen = currentRun !== undefined && openRunKeys.has(keyString(keys.run(jobId, currentRun)));
  const schedule = steadySchedule(starts);
  // Paused between runs (a pause while its current run is open is that run's check): reminded of at each run it misses.
  if (job.jobStatus === 'USER_PAUSED' && !currentOpen && job.jobStatusAt && time(job.jobStatusAt) !== undefined) {
    const pausedAt = job.jobStatusAt;
    const mark = state.pausedJob?.pausedAt === pausedAt ? state.pausedJob : undefined;
    const reminder = pausedJobReminder(time(pausedAt)!, schedule, now.getTime(), mark?.told ?? 0);
    // Held, its count is not marked as told: the first reminder after the acknowledgement counts all it missed.
    const heldBy = reminder.due ? (await acks()).pausedJob(jobId, now.getTime()) : undefined;
    if (heldBy) deps.telemetry.info('sweeper: paused-job reminder held by an acknowledgement', { jobId, ackId: heldBy.id, until: heldBy.endsAt });
    if (reminder.due && !heldBy) {
      const alert = pausedJobAlert(job, { pausedAt }, reminder, { region: deps.region, accountId: job.adminAccountId || 'unknown', at });
      alerts.push(alert);
      state.pausedJob = { pausedAt, told: reminder.missed, alertedAt: at, alertId: alert.id };
    }
  }
  if (schedule && !currentOpen && !(job.jobStatus && JOB_NOT_SCHEDULING.has(job.jobStatus))) {
    // A job resumed after missing runs while paused is next expected after its resumption (jobStatusAt).
    const next = nextStartAfter(schedule, time(job.jobStatusAt));
    const expectedAt = new Date(next).toISOString();
    const overdue = now.getTime() > next + schedule.intervalMs / 2;
    // A cancelled job has no next run: its last run says so (for jobs recorded before jobStatus was kept).
    const cancelled =
      overdue && currentRun !== undefined && decodeOptional(RunCodec, await deps.store.get(keys.run(jobId, currentRun)))?.status === 'CANCELLED';
    const held = overdue && !cancelled && state.missedRun?.expectedAt !== expectedAt && (await acks()).missedRuns(jobId, now.getTime());
    if (held) deps.telemetry.info('sweeper: missed-run alert held by an acknowledgement', { jobId, ackId: held.id, until: held.endsAt });
    if (overdue && !cancelled && !held && state.missedRun?.expectedAt !== expectedAt) {
      const alert = missedRunAlert(deps, job, schedule, expectedAt, at);
      alerts.push(alert);
      state.missedRun = { expectedAt, lastStart: new Date(schedule.lastStart).toISOString(), alertedAt: at, alertId: alert.id };
    }
  }
  return alerts.length > 0 ? { alerts, sweeper: state } : undefined;
}

function baseAlert(deps: PipelineDeps, item: { readonly region?: string; readonly adminAccountId?: string }, jobId: string, at: string) {
  const region = item.region || deps.region;
  return {
    accountId: item.adminAccountId || 'unknown',
    region,
    details: [] as { label: string; value: string }[],
    affected: [],
    count: 1,
    links: jobLinks(region, jobId),
    sample: false,
    occurredAt: at,
    threadId: jobId,
  };
}

function describeHours(hours: number): string {
  return hours >= 48 ? `${hours} h (${Math.floor(hours / 24)} days)` : `${hours} h`;
}

function stillRunningAlert(deps: PipelineDeps, run: RunState, hours: number, at: string): Alert {
  const { jobId, runDate } = run;
  const name = run.jobName || undefined;
  const base = baseAlert(deps, run, jobId, at);
  return {
    ...base,
    id: `sweep:${jobId}:${runDate}:still-running`,
    severity: 'MEDIUM',
    category: 'STUCK_RUN',
    eventType: 'SWEEPER_RUN_STILL_RUNNING',
    job: { id: jobId, name, runDate },
    headline: `Macie job ${name ?? jobId}: still running after ${describeHours(hours)}`,
    whatHappened: `The job run that started ${run.startedAt || runDate} has been running for ${describeHours(hours)}, longer than the ${deps.settings.longRunningRunHours} h threshold, and has not reported completion.`,
    whatItMeans:
      'A very large scope can take this long, but a run that stays open this long may be stuck, or its completion event may not have reached this pipeline. Either way its findings and summary are late.',
    whatToDo:
      'Check the job status in the Macie console and the last events in its log stream. If it is still progressing, no action is needed; if it is stuck, consider cancelling it and narrowing its scope.',
    details: [
      { label: 'Started', value: run.startedAt || runDate },
      { label: 'Last event', value: run.lastEventAt || 'none recorded' },
      { label: 'Threshold', value: `${deps.settings.longRunningRunHours} h` },
    ],
  };
}

function quotaPauseAlert(deps: PipelineDeps, run: RunState, pausedAt: string, hours: number, at: string): Alert {
  const { jobId, runDate } = run;
  const name = run.jobName || undefined;
  const base = baseAlert(deps, run, jobId, at);
  return {
    ...base,
    id: `sweep:${jobId}:${runDate}:quota-paused:${pausedAt}`,
    // HIGH like the pause itself: nothing is analysed while it lasts, and a one-time job paused for 30 days
    // is cancelled by Macie, so a pause still open after the threshold is a reason to act, not to read later.
    severity: 'HIGH',
    category: 'STUCK_RUN',
    eventType: 'SWEEPER_QUOTA_PAUSE_REMINDER',
    job: { id: jobId, name, runDate },
    headline: `Macie job ${name ?? jobId}: still paused by the service quota after ${describeHours(hours)}`,
    whatHappened: `The job run was paused at ${pausedAt} because the account reached its monthly sensitive data discovery quota, and it has not resumed for ${describeHours(hours)}.`,
    whatItMeans:
      'No objects are analysed while the job is paused. Macie resumes it when the quota resets at the start of the next month; a one-time job that stays paused for 30 days is cancelled.',
    whatToDo:
      "Raise the account's sensitive data discovery quota in the Macie console (Usage / quotas) if the job should continue now, or reduce the job's scope. Otherwise expect it to resume when the quota resets.",
    details: [
      { label: 'Paused at', value: pausedAt },
      { label: 'Run started', value: run.startedAt || runDate },
      { label: 'Threshold', value: `${deps.settings.longRunningRunHours} h` },
    ],
  };
}

function describeInterval(ms: number): string {
  const hours = ms / HOUR_MS;
  if (hours >= 24 * 6.5 && hours <= 24 * 7.5) return 'weekly';
  if (hours >= 23 && hours <= 25) return 'daily';
  if (hours >= 24 * 27 && hours <= 24 * 32) return 'monthly';
  return hours >= 48 ? `every ${Math.round(hours / 24)} days` : `every ${Math.round(hours)} h`;
}

function missedRunAlert(deps: PipelineDeps, job: JobState, schedule: SteadySchedule, expectedAt: string, at: string): Alert {
  const { jobId } = job;
  const name = job.jobName || undefined;
  const base = baseAlert(deps, job, jobId, at);
  const last = new Date(schedule.lastStart).toISOString();
  return {
    ...base,
    id: `sweep:${jobId}:missed-run:${expectedAt}`,
    severity: 'MEDIUM',
    category: 'STUCK_RUN',
    eventType: 'SWEEPER_SCHEDULED_RUN_MISSED',
    job: { id: jobId, name },
    headline: `Macie job ${name ?? jobId}: scheduled run missed`,
    whatHappened: `The job's runs started ${describeInterval(schedule.intervalMs)}, the last at ${last}. The next was expected around ${expectedAt} and has not started.`,
    whatItMeans:
      'Scheduled discovery may have stopped: the job may have been paused or cancelled, Macie may be suspended, or the job log events may no longer reach this pipeline.',
    whatToDo:
      'Check the job status in the Macie console, and that Macie is enabled in this account and Region. If the job is running normally, check the log subscription of /aws/macie/classificationjobs.',
    details: [
      { label: 'Last run started', value: last },
      { label: 'Next run expected', value: expectedAt },
    ],
  };
}

function runResumedAlert(deps: PipelineDeps, job: JobState, mark: MissedRunMark, startedAt: string, at: string): Alert {
  const { jobId } = job;
  const name = job.jobName || undefined;
  const base = baseAlert(deps, job, jobId, at);
  return {
    ...base,
    id: `sweep:${jobId}:missed-run:${mark.expectedAt}:resolved`,
    severity: 'INFO',
    category: 'STUCK_RUN',
    eventType: 'SWEEPER_SCHEDULED_RUN_RESUMED',
    job: { id: jobId, name },
    headline: `Macie job ${name ?? jobId}: scheduled runs resumed`,
    whatHappened: `A run started at ${startedAt}, after the missed run reported at ${mark.alertedAt} (expected around ${mark.expectedAt}).`,
    whatItMeans: 'The job is running on schedule again; the earlier "scheduled run missed" alert is resolved.',
    whatToDo: 'No action needed.',
    details: [
      { label: 'Run started', value: startedAt },
      { label: 'Missed run expected', value: mark.expectedAt },
    ],
  };
}
