import { digestIndexEntry, type DigestIndexEntry } from '../delivery/alert-item';
import { outboxWrites, type PendingAlerts } from '../delivery/outbox';
import type { PipelineDeps } from '../pipeline-deps';
import { listMuting } from '../silences/ack-store';
import { CorruptItemError } from '../state/codec';
import { DigestCodec } from '../state/digest-items';
import { RunCodec, type RunState } from '../state/job-items';
import { ConditionalWriteConflict, keyString, notExists, withOptimisticRetry, type Item } from '../state/store';
import { expiresAt, GSI1, GSI2, keys, utcDay } from '../state/table';
import { buildDigestAlert } from './digest-alert';
import { summarizeDigest, type DigestInputs, type DigestWindow } from './digest-content';

/**
 * The daily digest: one INFO alert a day, category DIGEST, built from the state table by the first sweep at
 * or after digestHourUtc (UTC). It covers exactly the 24 hours before that hour, [end - 24 h, end), in UTC:
 * no local time is involved, so a day is 24 h whatever daylight saving does anywhere, and consecutive digests
 * tile time without gap or overlap.
 *
 * What it reads, all bounded by the day's activity and none of it a scan (see docs/operations.md):
 *   - the marks of the last three digests (one BatchGetItem, every sweep);
 *   - the alerts raised in the window: the digest's index (gsi2) lists every alert by the UTC day it was
 *     raised, with a few facts of it (category, severity, type, count, first names), one Query per day;
 *   - the job runs: those whose end is placed since the window began (gsi2, by the day of runEndReportedAt;
 *     then one BatchGetItem per 100 runs) and those still open (gsi1 OPEN_RUN);
 *   - the silences (one Query).
 * Runs and their errors are placed by Macie's event times (a run started, ended, paused), except an end that
 * reached the pipeline after its time: it is placed when it arrived (runEndReportedAt), so an end delivered
 * after the digest covering its time is in the next one, told as reported late, rather than in none. Alerts
 * are placed by when the pipeline raised them, so each alert is in exactly one digest.
 *
 * It is raised once: the digest's mark (DIGEST / <window end>) and its alert go in one conditional write, so
 * of two sweeps racing for the same day one writes and the other finds the mark. A sweep that finds the
 * day before missed (its mark absent while the one before it exists: a sweep failed, or the sweeper rate is a
 * full day and a run came late) raises that one too: one missed day is caught up, not more.
 */

export const DAY_MS = 24 * 3_600_000;

/**
 * How long after its hour a digest waits. An alert is placed in a window by its createdAt, taken when the
 * invocation that raised it began, and it is committed (then in the index, which is eventually consistent) up
 * to one invocation later: 5 minutes is the longest function timeout. Raised at the hour itself, a digest could
 * miss an alert created just before the hour, which no later window covers.
 */
export const DIGEST_SETTLE_MS = 5 * 60_000;

/** The most recent digest hour at or before `now`: the end of the window due. */
export function latestDigestEnd(now: Date, hourUtc: number): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hourUtc);
  return new Date(today <= now.getTime() ? today : today - DAY_MS);
}

/** The 24 hours ending at `end`. */
export function windowEndingAt(end: Date): DigestWindow {
  return { start: new Date(end.getTime() - DAY_MS).toISOString(), end: end.toISOString() };
}

/**
 * Raises the digests due at deps.now() and returns them for delivery: the latest, unless raised already, and
 * the one before it when that one was missed. Nothing when digestHourUtc is off.
 */
export async function raiseDueDigests(deps: PipelineDeps): Promise<PendingAlerts[]> {
  const hour = deps.settings.digestHourUtc;
  if (hour === undefined) return [];
  const now = deps.now();
  const latest = latestDigestEnd(new Date(now.getTime() - DIGEST_SETTLE_MS), hour).getTime();
  const [beforeMissed, missed, due] = [latest - 2 * DAY_MS, latest - DAY_MS, latest].map((t) => new Date(t));
  const marks = await deps.store.getMany([beforeMissed, missed, due].map((end) => keys.digest(end.toISOString())));
  const raised = (end: Date) => deps.store.lookup(marks, keys.digest(end.toISOString())) !== undefined;
  const windows = [...(!raised(missed) && raised(beforeMissed) ? [missed] : []), ...(!raised(due) ? [due] : [])].map(windowEndingAt);
  const out: PendingAlerts[] = [];
  for (const window of windows) {
    const digest = await raiseDigest(deps, window);
    if (digest) out.push(digest);
  }
  return out;
}

/** Reads the window's state, builds its digest and writes mark and alert together; undefined if another sweep did. */
async function raiseDigest(deps: PipelineDeps, window: DigestWindow): Promise<PendingAlerts | undefined> {
  const now = deps.now();
  const alert = buildDigestAlert(summarizeDigest(await readDigestInputs(deps, window)), deps.region);
  const owner = keys.digest(window.end);
  const retention = deps.settings.stateRetentionDays;
  const mark = DigestCodec.encode({
    windowStart: window.start,
    windowEnd: window.end,
    alertId: alert.id,
    createdAt: now.toISOString(),
    version: 1,
    pendingAlerts: [alert.id],
    expiresAt: expiresAt(now, retention),
  });
  const ops = [{ kind: 'put' as const, item: mark, condition: notExists }, ...outboxWrites([alert], owner, now, retention)];
  // Two sweeps' transactions on the same items at once (contention) are tried again: one finds the other's mark.
  return withOptimisticRetry(async () => {
    try {
      await deps.store.write(ops);
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict) || error.contention) throw error;
      deps.telemetry.info('sweeper: daily digest already raised by another sweep', { alertId: alert.id });
      return undefined;
    }
    deps.telemetry.info('sweeper: daily digest raised', { alertId: alert.id, window });
    return { owner, alertIds: [alert.id] };
  });
}

/** Every UTC day (yyyy-mm-dd) from the one holding `from` to the one holding `to`. */
function utcDays(from: number, to: number): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${utcDay(new Date(from).toISOString())}T00:00:00.000Z`); t <= to; t += DAY_MS) days.push(utcDay(new Date(t).toISOString()));
  return days;
}

async function readDigestInputs(deps: PipelineDeps, window: DigestWindow): Promise<DigestInputs> {
  const { store, telemetry } = deps;
  const now = deps.now();
  const [start, end] = [Date.parse(window.start), Date.parse(window.end)];
  const skipped = (what: string, item: Item) => telemetry.warn(`sweeper: digest skipped an unreadable ${what}`, { pk: item.pk, sk: item.sk });

  const alerts: DigestIndexEntry[] = [];
  for (const day of utcDays(start, end - 1)) {
    // Sort keys are `${createdAt}#${alertId}`: BETWEEN start AND end takes exactly createdAt in [start, end).
    for (const item of await store.listDigestIndex(GSI2.alerts(day), window.start, window.end)) {
      const entry = digestIndexEntry(item);
      if (entry) alerts.push(entry);
      else skipped('alert index entry', item);
    }
  }

  // Runs that ended from the window's start until now: those ending after its end were still running in it.
  const endedKeys: { pk: string; sk: string }[] = [];
  for (const day of utcDays(start, now.getTime())) {
    for (const item of await store.listDigestIndex(GSI2.runsEnded(day), window.start, `${now.toISOString()}\uffff`)) {
      if (typeof item.pk === 'string' && typeof item.sk === 'string') endedKeys.push({ pk: item.pk, sk: item.sk });
    }
  }
  const runItems = [...(await store.listIndex(GSI1.openRun)), ...(await store.getMany(endedKeys)).values()];
  // A run listed both ways (it ended while the index still listed it open) counts once, as last written.
  const runs = new Map<string, RunState>();
  for (const item of runItems) {
    try {
      const run = RunCodec.decode(item);
      const k = keyString(keys.run(run.jobId, run.runDate));
      const seen = runs.get(k);
      if (!seen || (run.version ?? 0) > (seen.version ?? 0)) runs.set(k, run);
    } catch (error) {
      if (!(error instanceof CorruptItemError)) throw error;
      skipped('run', item);
    }
  }

  const { silences, acks } = await listMuting(store, (error) => telemetry.warn('sweeper: digest skipped an unreadable silence', { reason: error.message }));
  return { window, now, alerts, runs: [...runs.values()], silences, acks };
}
