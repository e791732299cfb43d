import type { Alert } from '../core/alert';
import { errorText } from '../core/error-text';
import { FindingsGroupCodec, type FindingsGroup } from '../findings/findings-group';
import { findingsChanges, findingsSnapshot, findingsUpdateAlert, reportedBySummary } from '../job-log/findings-update';
import { asPreviousRun, type PreviousRun } from '../job-log/run-compare';
import { previousRunDate } from '../job-log/read-plan';
import { summarizeFindings } from '../job-log/run-findings';
import type { PipelineDeps } from '../pipeline-deps';
import { silenceSource } from '../silences/cache';
import { silencer } from '../silences/silence';
import { decodeOptional } from '../state/codec';
import { JobCodec, RunCodec, type JobState, type RunState } from '../state/job-items';
import { ConditionalWriteConflict, keyString, unchangedSince, type WriteOp } from '../state/store';
import { GSI1, keys, type ItemKey } from '../state/table';
import { applyDecision, checkEach, isKeyed, ownerUpdate, type CheckResult } from './decision';

/**
 * Findings counted after their run's summary went out. The findings pipeline marks each group that counts
 * one (listed in LATE_FINDINGS); per run with marked groups, the sweeper reads the run and lists the run's
 * groups (one Query), and sends one "run summary updated" alert with what changed since the last report and
 * the corrected totals, at most once per repeatIntervalMinutes (on its own clock: late findings are late by
 * delivery, not by their event time). The run's new bookkeeping (sweeper.lateFindings: what this update
 * reported) and the alert go in one write conditional on the run's version, with the unmarking of the groups
 * (each conditional on the version listed): two sweeps at once send it once, and a finding counted into a
 * group meanwhile makes the write start over, so it is in this update. Groups beyond one transaction are
 * unmarked afterwards; one left marked by a crash is found again with nothing new, and only unmarked.
 */

/** Operations of one transaction left for the unmarking, besides the run's write and its alert. */
const UNMARKS_PER_WRITE = 98;

export async function sendLateFindingUpdates(deps: PipelineDeps): Promise<CheckResult> {
  const result: CheckResult = { raised: [], failures: [] };
  // Every marked group: when its run's update is due is the run's to say (sweeper.lateFindings), not the group's.
  const listed = (await deps.store.listIndex(GSI1.lateFindings)).filter(isKeyed);
  const runs = new Map<string, { jobId: string; runDate: string; owner: ItemKey }>();
  for (const item of listed) {
    try {
      const { jobId, runDate } = FindingsGroupCodec.decode(item);
      if (!jobId || !runDate) continue;
      const owner = keys.run(jobId, runDate);
      runs.set(keyString(owner), { jobId, runDate, owner });
    } catch (error) {
      result.failures.push({ key: `${item.pk}/${item.sk}`, reason: errorText(error) });
    }
  }
  if (runs.size > 0) deps.telemetry.info('sweeper: late findings', { groups: listed.length, runs: runs.size });
  return checkEach(runs.values(), ({ jobId, runDate, owner }) => updateRun(deps, jobId, runDate, owner), result);
}

async function updateRun(deps: PipelineDeps, jobId: string, runDate: string, owner: ItemKey): Promise<Alert[]> {
  const read = await deps.store.getMany([owner, keys.job(jobId)]);
  const runItem = deps.store.lookup(read, owner);
  const job = decodeOptional(JobCodec, deps.store.lookup(read, keys.job(jobId)));
  const groupsOf = async () =>
    (await deps.store.listPrefix(owner.pk, keys.runFindingsPrefix(runDate))).map((item) => ({ item, group: FindingsGroupCodec.decode(item) }));
  if (!runItem) {
    // The run is gone (past its retention) or was never recorded: there is no summary to update.
    await unmark(
      deps,
      (await groupsOf()).map((g) => g.group).filter((g) => g.late),
    );
    return [];
  }
  let rest: FindingsGroup[] = [];
  const alerts = await applyDecision(deps, owner, runItem, async (item, now) => {
    rest = [];
    const run = RunCodec.decode(item);
    // Not summarized yet (its job item was written first, in a split write): the summary will count them.
    if (run.summarySentAt === undefined) return undefined;
    const mark = run.sweeper?.lateFindings;
    if (mark && now.getTime() < Date.parse(mark.lastAt) + deps.settings.repeatIntervalMinutes * 60_000) return undefined;
    const groups = await groupsOf();
    const late = groups.map((g) => g.group).filter((g) => g.late);
    if (late.length === 0) return undefined;
    const findings = summarizeFindings(groups.map((g) => g.item));
    const before =
      mark?.reported ??
      reportedBySummary(
        findings,
        late.map((g) => ({ findingType: g.findingType, count: g.count, reported: g.late?.reported ?? g.count })),
      );
    const changes = findingsChanges(before, findings);
    const unmarks = late.map(unmarkWrite);
    rest = late.slice(UNMARKS_PER_WRITE);
    if (changes.length === 0) return { alerts: [], writes: () => unmarks.slice(0, UNMARKS_PER_WRITE) };

    const update = (mark?.updates ?? 0) + 1;
    const reported = findingsSnapshot(findings);
    const sweeper = { ...run.sweeper, lateFindings: { updates: update, lastAt: now.toISOString(), reported } };
    const writes = (ids: readonly string[]): WriteOp[] => [ownerUpdate(owner, sweeper, item, ids), ...unmarks.slice(0, UNMARKS_PER_WRITE)];
    const silenceOf = silencer(await silenceSource(deps).list());
    // A silence on the job (or on its completion type) silences its summaries and their updates.
    const latest =
      late
        .map((g) => g.lastAt)
        .sort()
        .at(-1) ?? now.toISOString();
    if (silenceOf({ type: run.statusEvent ?? 'JOB_COMPLETED', at: latest, jobId })) return { alerts: [], writes };
    // A silence on the late findings themselves (their bucket, account or type) leaves them counted in the
    // totals and unannounced, as a silenced finding is: alone they send no update, and take neither its
    // number nor its interval.
    if (late.every((g) => silenceOf({ type: g.findingType, at: g.lastAt, jobId, bucket: g.bucket, accountId: g.accountId }))) {
      const counted = { ...run.sweeper, lateFindings: { updates: mark?.updates ?? 0, lastAt: mark?.lastAt ?? run.summarySentAt, reported } };
      return { alerts: [], writes: (ids: readonly string[]) => [ownerUpdate(owner, counted, item, ids), ...unmarks.slice(0, UNMARKS_PER_WRITE)] };
    }
    const alert = findingsUpdateAlert(run, findings, changes, {
      update,
      region: deps.region,
      settings: deps.settings,
      previous: await previousOf(deps, job, run),
    });
    return { alerts: [alert], writes };
  });
  await unmark(deps, rest);
  return alerts;
}

/** The job's previous completed run, for the comparison a periodic job's summary (and its updates) carry. */
async function previousOf(deps: PipelineDeps, job: JobState | undefined, run: RunState): Promise<PreviousRun | undefined> {
  const date = job && previousRunDate(job, run.runDate);
  return date ? asPreviousRun(decodeOptional(RunCodec, await deps.store.get(keys.run(run.jobId, date)))) : undefined;
}

/** The group with its late findings reported: out of LATE_FINDINGS, conditional on the version listed. */
function unmarkWrite(g: FindingsGroup): WriteOp {
  return { kind: 'put', item: FindingsGroupCodec.encode({ ...g, late: undefined, version: (g.version ?? 0) + 1 }), condition: unchangedSince(g) };
}

/**
 * Unmarks groups outside the run's write. A group that counted another finding meanwhile loses its condition
 * and stays marked (its new finding is for the next update); so does the rest of its transaction, found
 * again by the next sweep with nothing new and unmarked then.
 */
async function unmark(deps: PipelineDeps, groups: readonly FindingsGroup[]): Promise<void> {
  for (let i = 0; i < groups.length; i += 100) {
    try {
      await deps.store.write(groups.slice(i, i + 100).map(unmarkWrite));
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict)) throw error;
    }
  }
}
