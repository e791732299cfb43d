import type { PipelineDeps } from '../../lambda/pipeline-deps';
import type { PlainMetricName, RecordedLine, RecordingTelemetry } from '../../lambda/core/telemetry';
import { describeOrigin, eventCount, type EventBridgeEvent, type InputProblem, type LogsPayload, type ReplayUnit } from './inputs';

/**
 * The replay engine: hands each unit to the pipeline Lambda would run for it, in input order, one at a time
 * (as a single Lambda container would), and keeps score. Pipelines are passed in so the engine does not
 * care which handler code is current, and so the engine can be driven without DynamoDB.
 */
export interface Pipelines {
  subscriptionEvent(event: { awslogs: { data: string } }, deps: PipelineDeps): Promise<unknown>;
  logsPayload(payload: LogsPayload, deps: PipelineDeps): Promise<unknown>;
  finding(event: EventBridgeEvent, deps: PipelineDeps): Promise<unknown>;
  apiCall(event: EventBridgeEvent, deps: PipelineDeps): Promise<unknown>;
}

export type EventSource = 'jobLogEvents' | 'findings' | 'apiCalls';

export interface ReplayTally {
  readonly events: Record<EventSource, number>;
  /**
   * Events by what the pipelines did with them: alerted, grouped (counted into an earlier alert or a run
   * summary), inhibited (grouped because an account-level error covers the bucket), silenced (a silence
   * matched them), known (failed the same way in the job's previous run), duplicate, ignored,
   * below-threshold, bad.
   */
  readonly outcomes: Record<string, number>;
  /** Inputs the pipeline could not process (an exception): replay goes on with the next one. */
  readonly failures: InputProblem[];
  /** Records the pipeline rejected as malformed (its BadRecords metric), attributed to their input. */
  readonly rejected: InputProblem[];
}

export interface ReplayProgress {
  (processed: number, total: number): void;
}

/** What the pipelines count when they reject input (a record, or a whole undecodable batch). */
const REJECTION_METRICS: readonly PlainMetricName[] = ['BadRecords', 'BadBatches'];

export async function replayUnits(
  units: readonly ReplayUnit[],
  deps: PipelineDeps & { readonly telemetry: RecordingTelemetry },
  pipelines: Pipelines,
  progress?: ReplayProgress,
): Promise<ReplayTally> {
  const tally: ReplayTally = {
    events: { jobLogEvents: 0, findings: 0, apiCalls: 0 },
    outcomes: {},
    failures: [],
    rejected: [],
  };
  const total = units.reduce((n, u) => n + eventCount(u), 0);
  let processed = 0;
  progress?.(0, total);
  for (const unit of units) {
    const linesBefore = deps.telemetry.lines.length;
    const rejectedBefore = rejections(deps.telemetry);
    try {
      const report = await runUnit(unit, deps, pipelines);
      for (const [outcome, n] of Object.entries(outcomesOf(report))) tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + n;
    } catch (error) {
      tally.failures.push({ origin: unit.origin, reason: `the pipeline failed: ${(error as Error)?.message ?? String(error)}` });
    }
    const source: EventSource = unit.kind === 'finding' ? 'findings' : unit.kind === 'api-call' ? 'apiCalls' : 'jobLogEvents';
    tally.events[source] += eventCount(unit);

    const bad = rejections(deps.telemetry) - rejectedBefore;
    if (bad > 0) {
      const warnings = deps.telemetry.lines.slice(linesBefore).filter((l) => l.level === 'warn' || l.level === 'error');
      tally.rejected.push({ origin: unit.origin, reason: rejectionReason(bad, warnings) });
    }
    processed += eventCount(unit);
    progress?.(processed, total);
  }
  return tally;
}

function runUnit(unit: ReplayUnit, deps: PipelineDeps, pipelines: Pipelines): Promise<unknown> {
  switch (unit.kind) {
    case 'subscription-event':
      return pipelines.subscriptionEvent(unit.event, deps);
    case 'logs-payload':
      return pipelines.logsPayload(unit.payload, deps);
    case 'finding':
      return pipelines.finding(unit.event, deps);
    case 'api-call':
      return pipelines.apiCall(unit.event, deps);
  }
}

function rejections(telemetry: RecordingTelemetry): number {
  return REJECTION_METRICS.reduce((n, m) => n + (telemetry.counters[m] ?? 0), 0);
}

/**
 * Event outcomes in a pipeline report: an EventBridge report (EventReport) has one `outcome`; a job log
 * batch report (JobLogReport) counts its events: suppressed (grouped, of which inhibited; and silenced and
 * known, counted apart), duplicates, bad.
 */
export function outcomesOf(report: unknown): Record<string, number> {
  if (typeof report !== 'object' || report === null) return {};
  const r = report as Record<string, unknown>;
  if (typeof r.outcome === 'string') return { [r.outcome]: 1 };
  const num = (v: unknown) => (typeof v === 'number' && v > 0 ? v : 0);
  const counts: Record<string, number> = {
    grouped: num(r.suppressed) - num(r.silenced) - num(r.known),
    inhibited: num(r.inhibited),
    silenced: num(r.silenced),
    known: num(r.known),
    duplicate: num(r.duplicates),
    bad: num(r.bad),
  };
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

function rejectionReason(bad: number, warnings: readonly RecordedLine[]): string {
  const reasons = [...new Set(warnings.map((w) => [w.message, w.fields.reason].filter((x) => typeof x === 'string' && x !== '').join(': ')))];
  const shown = reasons.slice(0, 3).join('; ');
  const more = reasons.length > 3 ? `; and ${reasons.length - 3} more reasons` : '';
  return `${bad} record(s) rejected by the pipeline${shown ? `: ${shown}${more}` : ''}`;
}

export function problemLine(problem: InputProblem): string {
  return `${describeOrigin(problem.origin)}: ${problem.reason}`;
}
