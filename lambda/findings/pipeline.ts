import type { BatchReport, RecordReport } from '../core/event-report';
import { atLeast } from '../core/severity';
import type { AttemptReads, BatchEvent, Target } from '../eventbridge/apply-batch-once';
import { processEventBatch, type EventPipeline } from '../eventbridge/event-batch';
import type { PipelineDeps } from '../pipeline-deps';
import { countBeforeSummary, readLedger } from '../state/findings-ledger';
import type { StateStore } from '../state/store';
import { expiresAt, keys, UNKNOWN_RUN } from '../state/table';
import { UNKNOWN_BUCKET } from './finding-alert';
import { FindingEventSchema, type FindingDetail, type FindingEvent } from './finding-events';
import { findingsGroup, groupIdentity, type GroupOrigin } from './findings-group';
import { policyFinding } from './policy-finding';

export type { BatchReport } from '../core/event-report';

const AUTOMATED_ORIGIN = 'AUTOMATED_SENSITIVE_DATA_DISCOVERY';

/**
 * One SQS batch of Macie Finding EventBridge events (the findings queue). Sensitive-data findings are grouped
 * per (job run or automated discovery or sample, bucket, type); policy findings per finding id. Each
 * finding's effect is applied once, keyed by its finding id and count: an SQS redelivery, an EventBridge
 * duplicate and Macie publishing the same finding and count again change nothing. Never throws for bad
 * input: a bad record is logged, counted and dropped, and the rest of the batch is applied.
 */
export function processFindingBatch(batch: unknown, deps: PipelineDeps): Promise<BatchReport> {
  return processEventBatch(batch, deps, findingsPipeline(deps));
}

function findingsPipeline(deps: PipelineDeps): EventPipeline<FindingEvent, FindingDetail> {
  return {
    kind: 'finding',
    expected: { kind: 'finding', source: 'aws.macie', detailType: 'Macie Finding', schema: FindingEventSchema },
    classify: (event, messageId) => {
      const finding = event.detail;
      if (finding.archived) return belowThreshold(deps, messageId, event, 'archived (suppressed) finding');
      if (!atLeast(finding.severity, deps.settings.minFindingSeverity)) {
        return belowThreshold(deps, messageId, event, `severity ${finding.severity} is below the minimum ${deps.settings.minFindingSeverity}`);
      }
      return { key: `finding:${finding.id}:${finding.count}`, event: finding };
    },
    route: (events, reads) => routeFindings(deps, events, reads),
    subject: (finding) => ({
      type: finding.type,
      at: finding.updatedAt,
      jobId: finding.classificationDetails?.jobId ?? undefined,
      bucket: finding.resourcesAffected?.s3Bucket?.name ?? undefined,
      accountId: finding.accountId,
    }),
    countApplied: (findings) => {
      for (const finding of findings) deps.telemetry.countBy('Findings', finding.severity);
    },
  };
}

function belowThreshold(deps: PipelineDeps, messageId: string, event: FindingEvent, reason: string): RecordReport {
  deps.telemetry.info('Finding below the alert threshold', { messageId, eventId: event.id, findingId: event.detail.id, reason });
  deps.telemetry.count('EventsIgnored');
  return { messageId, eventId: event.id, outcome: 'below-threshold', reason };
}

function isSensitiveData(finding: FindingDetail): boolean {
  if (finding.category) return finding.category === 'CLASSIFICATION';
  return finding.type.startsWith('SensitiveData:') || !!finding.classificationDetails;
}

function originOf(finding: FindingDetail): GroupOrigin {
  if (finding.sample) return 'sample';
  const jobId = finding.classificationDetails?.jobId;
  return !jobId || finding.classificationDetails?.originType === AUTOMATED_ORIGIN ? 'automated' : 'job';
}

/**
 * Each job's current run as last seen through this store (one per Lambda container): the route reads a job
 * and the groups of that run in one request, and reads again only for a job whose run changed.
 */
const lastRunDates = new WeakMap<StateStore, Map<string, string>>();

/**
 * Each finding's aggregate. A job's findings go to the job's current run (its JOB item, which the job-log
 * pipeline keeps); a job it has not seen yet gets run UNKNOWN. A finding counted into a run whose summary was
 * saved (its findings ledger says so) marks its group as late; one counted before bumps the ledger in the same
 * transaction, on condition that the summary is still not saved (findings-ledger.ts), so the summary and the
 * count cannot miss each other. One read covers the batch: its jobs, the ledger and groups of each job's run
 * as last seen, and every other aggregate (policy findings, automated discovery, samples); only a job whose
 * run changed costs a second.
 */
async function routeFindings(deps: PipelineDeps, events: readonly BatchEvent<FindingDetail>[], reads: AttemptReads): Promise<Target<FindingDetail>[]> {
  const lastRunDate = lastRunDates.get(deps.store) ?? new Map<string, string>();
  lastRunDates.set(deps.store, lastRunDate);
  const ttl = expiresAt(deps.now(), deps.settings.stateRetentionDays);
  const lateMarkAt = deps.now().toISOString();
  const target = (finding: FindingDetail, runDate?: string, summarized?: boolean): Target<FindingDetail> => {
    if (!isSensitiveData(finding)) return { aggregate: policyFinding(finding.id, deps.settings) };
    const bucket = finding.resourcesAffected?.s3Bucket?.name ?? UNKNOWN_BUCKET;
    const aggregate = findingsGroup(groupIdentity(finding, bucket, originOf(finding), runDate, summarized ? lateMarkAt : undefined), deps.settings);
    const jobId = jobOf(finding);
    return { aggregate: jobId && runDate && !summarized ? { ...aggregate, guard: countBeforeSummary(jobId, runDate, ttl) } : aggregate };
  };
  const jobOf = (finding: FindingDetail) => (isSensitiveData(finding) && originOf(finding) === 'job' ? (finding.classificationDetails?.jobId as string) : undefined);
  const jobIds = [...new Set(events.flatMap((e) => jobOf(e.event) ?? []))];
  const ledgerKeys = (runOf: (jobId: string) => string | undefined) => jobIds.flatMap((id) => (runOf(id) ? [keys.runFindingsLedger(id, runOf(id)!)] : []));
  const aggregateKeys = (runOf: (jobId: string) => string | undefined) =>
    events.flatMap(({ event: finding }) => {
      const jobId = jobOf(finding);
      if (jobId && !runOf(jobId)) return [];
      const t = target(finding, jobId && runOf(jobId));
      return 'aggregate' in t ? [t.aggregate.key] : [];
    });
  const guessed = (jobId: string) => lastRunDate.get(jobId);
  await reads.read([...jobIds.map((id) => keys.job(id)), ...ledgerKeys(guessed), ...aggregateKeys(guessed)]);
  if (lastRunDate.size > 1000) lastRunDate.clear();
  for (const jobId of jobIds) {
    const runDate = reads.get(keys.job(jobId))?.currentRunDate;
    lastRunDate.set(jobId, typeof runDate === 'string' && runDate ? runDate : UNKNOWN_RUN);
  }
  const current = (jobId: string) => lastRunDate.get(jobId);
  // Nothing when every job's run was guessed right.
  await reads.read([...ledgerKeys(current), ...aggregateKeys(current)]);
  return events.map(({ event: finding }) => {
    const jobId = jobOf(finding);
    const runDate = jobId && current(jobId);
    const summarized = !!jobId && !!runDate && readLedger(reads.get(keys.runFindingsLedger(jobId, runDate))).summarizedAt !== undefined;
    return target(finding, runDate || undefined, summarized);
  });
}
