import type { Alert } from '../core/alert';
import type { LateFindingsMark, RunState, SummarySnapshot } from '../state/job-items';
import { describeChanges, runAlertId, summaryAlert, type RunAlertContext } from './run-alerts';
import { isTerminal } from './run-status';
import type { SilenceOf } from './run-silences';
import type { FindingsSummary } from './run-findings';
import { unsilencedErrors } from './run-summary';

/** Whether this batch sends the run's summary, a correction of it, or neither, and why. */
export type SummaryDecision =
  | { readonly send: 'summary'; readonly reason: 'the run ended'; readonly silenced: boolean }
  | { readonly send: 'update'; readonly reason: 'late events changed what the summary said'; readonly version: number; readonly silenced: boolean }
  | { readonly send: 'nothing'; readonly reason: 'the run has not ended' | 'the summary already says it' };

/**
 * Decided from the run as read and the run with the batch's facts (and silences). Late events after the
 * summary send one correction per batch that changed what it said, never one alert per event. A silence on
 * the job (or on its ending event's type) silences its summaries too.
 */
export function decideSummary(current: RunState | undefined, run: RunState, silenceOf?: SilenceOf): SummaryDecision {
  const silenced = (at: string | undefined) => !!silenceOf?.({ type: run.statusEvent ?? 'JOB_COMPLETED', at: at ?? '', jobId: run.jobId });
  if (current?.summarySentAt !== undefined) {
    if (summaryFacts(current) === summaryFacts(run)) return { send: 'nothing', reason: 'the summary already says it' };
    return { send: 'update', reason: 'late events changed what the summary said', version: (run.summaryVersion ?? 1) + 1, silenced: silenced(run.lastEventAt) };
  }
  if (!isTerminal(run.status)) return { send: 'nothing', reason: 'the run has not ended' };
  return { send: 'summary', reason: 'the run ended', silenced: silenced(run.endedAt) };
}

/** Did the run's summary go out before this batch? */
export function summarizedBefore(decision: SummaryDecision): boolean {
  return decision.send === 'update' || decision.reason === 'the summary already says it';
}

/** What a summary states; silenced errors do not count (nor a type only they have), so late silenced events send no correction. */
function summaryFacts(run: RunState): string {
  const errors = Object.entries(unsilencedErrors(run)).filter(([, n]) => n > 0);
  return JSON.stringify([run.status, run.startedAt, run.endedAt, run.bucketsMatched, errors, run.noBucketsAt]);
}

/** The run with the decision's bookkeeping, and its alert (none when silenced). */
export function applySummary(run: RunState, decision: SummaryDecision, ctx: RunAlertContext): { run: RunState; alert?: Alert } {
  if (decision.send === 'nothing') return { run };
  const { jobId, runDate } = run;
  if (decision.send === 'summary') {
    const summarized = { ...run, summarySentAt: run.endedAt, summaryVersion: 1 };
    const alert = decision.silenced ? undefined : summaryAlert(summarized, { id: runAlertId(jobId, runDate, 'summary'), kind: 'summary' }, ctx);
    return { run: { ...summarized, summarized: snapshot(summarized) }, alert };
  }
  let updated: RunState = { ...run, summaryVersion: decision.version };
  if (decision.silenced) return { run: { ...updated, summarized: snapshot(updated) } };
  const changes = { lines: describeChanges(run.summarized, run) };
  const alert = summaryAlert(updated, { id: runAlertId(jobId, runDate, `summary-update:${decision.version - 1}`), kind: 'update', changes }, ctx);
  // It told the findings as they are now: the sweeper's next late-findings update compares with them.
  if (ctx.findings) updated = { ...updated, sweeper: { ...updated.sweeper, lateFindings: toldFindings(updated, ctx.findings) } };
  return { run: { ...updated, summarized: snapshot(updated) }, alert };
}

function snapshot(run: RunState): SummarySnapshot {
  return { status: run.status, bucketsMatched: run.bucketsMatched, errors: { ...run.errors } };
}

/** The run's late-findings mark once an alert told `findings`; its count and interval stay the sweeper's. */
function toldFindings(run: RunState, findings: FindingsSummary): LateFindingsMark {
  const mark = run.sweeper?.lateFindings;
  return {
    updates: mark?.updates ?? 0,
    lastAt: mark?.lastAt ?? run.summarySentAt ?? run.lastEventAt ?? run.runDate,
    reported: { total: findings.total, byType: { ...findings.byType } },
  };
}
