import { formatCount, type Alert } from '../core/alert';
import type { PipelineSettings } from '../core/settings';
import type { FindingsSnapshot, RunState } from '../state/job-items';
import { compareRuns, type PreviousRun } from './run-compare';
import { runAlertId } from './run-alerts';
import { pausesOf } from './run-pauses';
import type { FindingsSummary } from './run-findings';
import { buildRunSummaryAlert } from './run-summary';

/**
 * "Run summary updated" for sensitive-data findings counted after the run's summary went out. The sweeper
 * sends it (at most once per repeatIntervalMinutes per run), built like the update late job events send:
 * what changed, then the corrected totals. Pure.
 */

/** A group's late findings as its mark records them: its type, its count now, and its count when last reported. */
export interface LateGroup {
  readonly findingType: string;
  readonly count: number;
  readonly reported: number;
}

export function findingsSnapshot(findings: FindingsSummary): FindingsSnapshot {
  return { total: findings.total, byType: { ...findings.byType } };
}

/**
 * What the last report said, when no update has been sent yet: the findings now, less what each marked group
 * counted since (every group is of one type). A group is marked by the first finding it counts after the
 * summary, with its count then, so this is what the summary reported.
 */
export function reportedBySummary(findings: FindingsSummary, late: readonly LateGroup[]): FindingsSnapshot {
  const byType: Record<string, number> = { ...findings.byType };
  let total = findings.total;
  for (const g of late) {
    const more = Math.max(0, g.count - g.reported);
    total -= more;
    byType[g.findingType] = (byType[g.findingType] ?? 0) - more;
  }
  for (const [type, n] of Object.entries(byType)) if (n <= 0) delete byType[type];
  return { total, byType };
}

const num = formatCount;

/** "Sensitive data findings: 12 more (40 in all).", then one line per type that changed; none when nothing did. */
export function findingsChanges(before: FindingsSnapshot, now: FindingsSummary): string[] {
  if (now.total === before.total && Object.keys(now.byType).every((t) => now.byType[t] === (before.byType[t] ?? 0))) return [];
  const lines = [`Sensitive data findings: ${num(now.total - before.total)} more (${num(now.total)} in all).`];
  for (const type of Object.keys(now.byType).sort()) {
    const was = before.byType[type] ?? 0;
    if (now.byType[type] !== was) lines.push(`${type}: ${num(now.byType[type] - was)} more (${num(now.byType[type])} in all).`);
  }
  return lines;
}

export function findingsUpdateAlert(
  run: RunState,
  findings: FindingsSummary,
  changes: readonly string[],
  opts: { readonly update: number; readonly region: string; readonly settings: PipelineSettings; readonly previous?: PreviousRun },
): Alert {
  return buildRunSummaryAlert(
    { ...run, pauses: pausesOf(run.statusEvents, run.endedAt) },
    {
      id: runAlertId(run.jobId, run.runDate, `findings-update:${opts.update}`),
      kind: 'update',
      region: run.region || opts.region,
      settings: opts.settings,
      findings,
      changes: { lines: changes },
      comparison: opts.previous ? compareRuns(opts.previous, run.fingerprint, run.status === 'COMPLETED') : undefined,
    },
  );
}
