import type { Alert } from '../core/alert';
import { outboxWrites } from '../delivery/outbox';
import { FindingsGroupCodec, type FindingsGroup } from '../findings/findings-group';
import { FindingsRollupCodec, heldGroups, rolledUpAlert, rolledUpSubject, rollupDue, rollupKey, type FindingsRollup } from '../findings/findings-rollup';
import type { PipelineDeps } from '../pipeline-deps';
import { silenceSource } from '../silences/cache';
import { silencer } from '../silences/silence';
import { withIds } from '../state/codec';
import { readableJobName } from '../state/job-items';
import { ConditionalWriteConflict, keyString, unchangedSince, withOptimisticRetry, type WriteOp } from '../state/store';
import { expiresAt, GSI1, keys, type ItemKey } from '../state/table';
import { errorText } from '../core/error-text';
import { checkEach, isKeyed, type CheckResult } from './decision';

/**
 * Buckets rolled up into their type's alert for a job run (findings-rollup.ts): one alert per (run, type)
 * per repeatIntervalMinutes names the buckets that joined since the last. Each waiting group is listed in
 * HELD_ROLLUP by when its roll-up is due; per roll-up due, the sweeper closes it (no group joins it after),
 * reads the run's groups (one Query), and writes the alert, the roll-up's bookkeeping and the unmarking of
 * the first groups in one write conditional on their versions.
 */

/** Operations of one transaction left for the unmarking, besides the roll-up's write and its alert. */
const UNMARKS_PER_WRITE = 98;

export async function flushFindingRollups(deps: PipelineDeps): Promise<CheckResult> {
  const result: CheckResult = { raised: [], failures: [] };
  const listed = (await deps.store.listIndex(GSI1.heldRollup, deps.now().toISOString())).filter(isKeyed);
  const due = new Map<string, { owner: ItemKey; jobId: string; runPk: string; runDate: string }>();
  for (const item of listed) {
    try {
      const { jobId, runDate, findingType } = FindingsGroupCodec.decode(item);
      if (!jobId || !runDate) continue;
      const owner = rollupKey(jobId, runDate, findingType);
      due.set(keyString(owner), { owner, jobId, runPk: keys.run(jobId, runDate).pk, runDate });
    } catch (error) {
      result.failures.push({ key: `${item.pk}/${item.sk}`, reason: errorText(error) });
    }
  }
  if (due.size > 0) deps.telemetry.info('sweeper: finding roll-ups', { groups: listed.length, rollups: due.size });
  return checkEach(due.values(), (entry) => flushRollup(deps, entry), result);
}

async function flushRollup(
  deps: PipelineDeps,
  { owner, jobId, runPk, runDate }: { owner: ItemKey; jobId: string; runPk: string; runDate: string },
): Promise<Alert[]> {
  let rest: FindingsGroup[] = [];
  const alerts = await withOptimisticRetry(async (): Promise<Alert[]> => {
    rest = [];
    // The job item, read with the roll-up in one request, names the job in the alert.
    const read = await deps.store.getMany([owner, keys.job(jobId)]);
    const item = deps.store.lookup(read, owner);
    const now = deps.now();
    const groupsOf = async () => (await deps.store.listPrefix(runPk, keys.runFindingsPrefix(runDate))).map((g) => FindingsGroupCodec.decode(g));
    if (!item) {
      // The roll-up is gone (past its retention): nothing can be named any more; the marks are only cleared.
      rest = (await groupsOf()).filter((g) => g.rolledUp?.dueAt !== undefined);
      return [];
    }
    let rollup = FindingsRollupCodec.decode(item);
    if (!rollup.flushing) {
      if (!rollupDue(rollup, now, deps.settings)) {
        // Groups of roll-ups named before, left marked by a crash: only unmarked.
        rest = heldGroups(rollup, await groupsOf()).named;
        return [];
      }
      // Closed first: a group written from now on joins the next roll-up (its write checks `open`).
      const closed: FindingsRollup = { ...rollup, open: rollup.open + 1, flushing: true, version: (rollup.version ?? 0) + 1 };
      await deps.store.write([{ kind: 'put', item: FindingsRollupCodec.encode(closed), condition: unchangedSince(rollup) }]);
      rollup = closed;
    }
    const { toName, named } = heldGroups(rollup, await groupsOf());
    const silenceOf = silencer(await silenceSource(deps).list());
    const told = toName.filter((g) => !silenceOf(rolledUpSubject(g)));
    // A silenced bucket is counted (the summary has it) and not named, as its first finding would not have alerted.
    const alert = told.length > 0 ? rolledUpAlert(rollup, told, deps.settings, readableJobName(deps.store.lookup(read, keys.job(jobId)))) : undefined;
    const unmarks = [...toName, ...named].map(unmarkWrite);
    rest = [...toName, ...named].slice(UNMARKS_PER_WRITE);
    const ids = alert ? [alert.id] : [];
    const next: FindingsRollup = {
      ...rollup,
      flushing: undefined,
      // Alone, silenced buckets take neither an alert's number nor its window.
      windowStart: alert ? now.toISOString() : rollup.windowStart,
      alerts: rollup.alerts + (alert ? 1 : 0),
      bucketsNamed: rollup.bucketsNamed + told.length,
      version: (rollup.version ?? 0) + 1,
      pendingAlerts: withIds(rollup.pendingAlerts, ids),
      expiresAt: expiresAt(now, deps.settings.stateRetentionDays),
    };
    const ops: WriteOp[] = [
      { kind: 'put', item: FindingsRollupCodec.encode(next), condition: unchangedSince(rollup) },
      ...unmarks.slice(0, UNMARKS_PER_WRITE),
      ...(alert ? outboxWrites([alert], owner, now, deps.settings.stateRetentionDays) : []),
    ];
    await deps.store.write(ops);
    return alert ? [alert] : [];
  });
  try {
    await unmark(deps, rest);
  } catch (error) {
    // The alert is written: it is delivered with this sweep's. The groups left marked are found by the next
    // sweep, named already, and only unmarked.
    deps.telemetry.warn('sweeper: roll-up named, some groups left marked for the next sweep', { key: `${owner.pk}/${owner.sk}`, error: errorText(error) });
  }
  return alerts;
}

/** The group named (or left marked after being named): out of HELD_ROLLUP, conditional on the version listed. */
function unmarkWrite(g: FindingsGroup): WriteOp {
  return {
    kind: 'put',
    item: FindingsGroupCodec.encode({ ...g, rolledUp: g.rolledUp && { after: g.rolledUp.after }, version: (g.version ?? 0) + 1 }),
    condition: unchangedSince(g),
  };
}

/** Unmarks groups outside the roll-up's write; one that changed meanwhile stays marked, found again by the next sweep and only unmarked. */
async function unmark(deps: PipelineDeps, groups: readonly FindingsGroup[]): Promise<void> {
  for (let i = 0; i < groups.length; i += 100) {
    try {
      await deps.store.write(groups.slice(i, i + 100).map(unmarkWrite));
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict)) throw error;
    }
  }
}
