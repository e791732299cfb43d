import type { SQSEvent } from 'aws-lambda';
import type { BatchReport, RecordReport } from '../../lambda/core/event-report';
import type { BatchingSettings } from '../../lambda/core/settings';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import type { PlainMetricName, RecordedLine, RecordingTelemetry } from '../../lambda/core/telemetry';
import { deliverBatches, MAX_RECEIVE_COUNT, mappingBatches, messageIdFor } from '../local/sqs-queue';
import { describeOrigin, eventCount, type EventBridgeEvent, type InputProblem, type LogsPayload, type ReplayUnit } from './inputs';

/**
 * The replay engine: each unit to the pipeline Lambda would run for it, in input order, one at a time, EventBridge
 * events in full SQS batches with redeliveries. Pipelines are passed in, so it runs without DynamoDB too.
 */
export interface Pipelines {
  subscriptionEvent(event: { awslogs: { data: string } }, deps: PipelineDeps): Promise<unknown>;
  logsPayload(payload: LogsPayload, deps: PipelineDeps): Promise<unknown>;
  findingBatch(event: SQSEvent, deps: PipelineDeps): Promise<BatchReport>;
  apiCallBatch(event: SQSEvent, deps: PipelineDeps): Promise<BatchReport>;
  healthBatch(event: SQSEvent, deps: PipelineDeps): Promise<BatchReport>;
}

/** The batch sizes of the findings and API-call queues' event source mappings. */
export type ReplayBatching = Pick<BatchingSettings, 'findingsBatchSize' | 'apiCallsBatchSize'>;

export type EventSource = 'jobLogEvents' | 'findings' | 'apiCalls' | 'healthEvents';

export interface ReplayTally {
  readonly events: Record<EventSource, number>;
  /**
   * Events by what the pipelines did with them (alerted, grouped, inhibited, silenced, known, duplicate, ignored,
   * below-threshold, bad).
   */
  readonly outcomes: Record<string, number>;
  /** Inputs the pipeline could not process (an exception, or a record never applied): replay goes on with the next one. */
  readonly failures: InputProblem[];
  /** Records the pipeline rejected as malformed (its BadRecords metric), attributed to their input. */
  readonly rejected: InputProblem[];
}

export type ReplayProgress = (processed: number, total: number) => void;

/** What the pipelines count when they reject input (a record, or a whole undecodable batch). */
const REJECTION_METRICS: readonly PlainMetricName[] = ['BadRecords', 'BadBatches'];

type EventUnit = Extract<ReplayUnit, { kind: 'finding' | 'api-call' | 'health' }>;

export async function replayUnits(
  units: readonly ReplayUnit[],
  deps: PipelineDeps & { readonly telemetry: RecordingTelemetry },
  pipelines: Pipelines,
  batching: ReplayBatching,
  progress?: ReplayProgress,
): Promise<ReplayTally> {
  const tally: ReplayTally = {
    events: { jobLogEvents: 0, findings: 0, apiCalls: 0, healthEvents: 0 },
    outcomes: {},
    failures: [],
    rejected: [],
  };
  const total = units.reduce((n, u) => n + eventCount(u), 0);
  let processed = 0;
  progress?.(0, total);
  for (let i = 0; i < units.length; ) {
    const unit = units[i];
    if (unit.kind === 'finding' || unit.kind === 'api-call' || unit.kind === 'health') {
      let end = i + 1;
      while (end < units.length && units[end].kind === unit.kind) end++;
      await replayEvents(units.slice(i, end) as EventUnit[], i, deps, pipelines, batching, tally);
      tally.events[unit.kind === 'finding' ? 'findings' : unit.kind === 'health' ? 'healthEvents' : 'apiCalls'] += end - i;
      processed += end - i;
      i = end;
    } else {
      await replayLogs(unit, deps, pipelines, tally);
      tally.events.jobLogEvents += eventCount(unit);
      processed += eventCount(unit);
      i++;
    }
    progress?.(processed, total);
  }
  return tally;
}

async function replayLogs(
  unit: Exclude<ReplayUnit, EventUnit>,
  deps: PipelineDeps & { readonly telemetry: RecordingTelemetry },
  pipelines: Pipelines,
  tally: ReplayTally,
): Promise<void> {
  const linesBefore = deps.telemetry.lines.length;
  const rejectedBefore = rejections(deps.telemetry);
  try {
    const report = unit.kind === 'subscription-event' ? await pipelines.subscriptionEvent(unit.event, deps) : await pipelines.logsPayload(unit.payload, deps);
    addOutcomes(tally, outcomesOf(report));
  } catch (error) {
    tally.failures.push({ origin: unit.origin, reason: `the pipeline failed: ${(error as Error)?.message ?? String(error)}` });
  }
  const bad = rejections(deps.telemetry) - rejectedBefore;
  if (bad > 0) {
    const warnings = deps.telemetry.lines.slice(linesBefore).filter((l) => l.level === 'warn' || l.level === 'error');
    tally.rejected.push({ origin: unit.origin, reason: rejectionReason(bad, warnings) });
  }
}

/** Consecutive EventBridge events of one kind through their queue; a record's last outcome is what counts. */
async function replayEvents(
  units: readonly EventUnit[],
  offset: number,
  deps: PipelineDeps,
  pipelines: Pipelines,
  batching: ReplayBatching,
  tally: ReplayTally,
): Promise<void> {
  const { kind } = units[0];
  const findings = kind === 'finding';
  const messages = units.map((u, k) => ({
    messageId: messageIdFor(`${describeOrigin(u.origin)}#${offset + k}`),
    body: JSON.stringify(u.event satisfies EventBridgeEvent),
  }));
  const batchSize = findings ? batching.findingsBatchSize : batching.apiCallsBatchSize;
  // The Health queue's batch size is fixed (HEALTH_BATCHING), the same as the API calls' default.
  const invoke = (event: SQSEvent) =>
    findings ? pipelines.findingBatch(event, deps) : kind === 'health' ? pipelines.healthBatch(event, deps) : pipelines.apiCallBatch(event, deps);
  const run = await deliverBatches(mappingBatches(messages, batchSize), invoke, { batchSize });
  const last = new Map<string, RecordReport>();
  for (const response of run.responses) for (const record of response.records) last.set(record.messageId, record);
  const deadLettered = new Set(run.deadLettered.map((m) => m.messageId));
  messages.forEach((message, k) => {
    const { origin } = units[k];
    const record = last.get(message.messageId);
    if (deadLettered.has(message.messageId)) {
      const why = record?.reason ?? (run.errors[0] instanceof Error ? run.errors[0].message : run.errors[0] && String(run.errors[0]));
      tally.failures.push({ origin, reason: `the pipeline failed: not applied in ${MAX_RECEIVE_COUNT} deliveries${why ? ` (${why})` : ''}` });
    } else if (record?.outcome === 'bad') {
      tally.rejected.push({ origin, reason: `1 record(s) rejected by the pipeline: ${record.reason ?? 'malformed'}` });
      addOutcomes(tally, { bad: 1 });
    } else if (record) {
      addOutcomes(tally, { [record.outcome]: 1 });
    }
  });
}

function addOutcomes(tally: ReplayTally, outcomes: Record<string, number>): void {
  for (const [outcome, n] of Object.entries(outcomes)) tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + n;
}

function rejections(telemetry: RecordingTelemetry): number {
  return REJECTION_METRICS.reduce((n, m) => n + (telemetry.counters[m] ?? 0), 0);
}

/**
 * Event outcomes in a job log batch report (JobLogReport): suppressed (grouped, of which inhibited; and
 * silenced and known, counted apart), duplicates, bad.
 */
export function outcomesOf(report: unknown): Record<string, number> {
  if (typeof report !== 'object' || report === null) return {};
  const r = report as Record<string, unknown>;
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
