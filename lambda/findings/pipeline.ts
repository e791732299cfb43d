import type { BatchReport, RecordReport } from '../core/event-report';
import { atLeast } from '../core/severity';
import type { AttemptReads, BatchEvent, Target } from '../eventbridge/apply-batch-once';
import { processEventBatch, type EventPipeline } from '../eventbridge/event-batch';
import type { PipelineDeps } from '../pipeline-deps';
import { decodeOptional } from '../state/codec';
import { keyString, type Condition, type StateStore } from '../state/store';
import { keys, UNKNOWN_RUN, type ItemKey } from '../state/table';
import { UNKNOWN_BUCKET } from './finding-alert';
import { FindingEventSchema, type FindingDetail, type FindingEvent } from './finding-events';
import { findingsGroup, groupIdentity, type GroupIdentity, type GroupOrigin } from './findings-group';
import { claimedRollup, FindingsRollupCodec, placeNewGroup, rollupGuard, rollupKey, type GroupPlace } from './findings-rollup';
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
 * The job item does not list the run as summarized: the condition an unmarked group of the run is written
 * on. A summary written between the route's read and the group's write fails it, and the retry, reading the
 * job again, marks the group late, so the sweeper's "run summary updated" reports the finding. (The job-log
 * pipeline rewrites the job item on most batches: a transaction in flight on it at the same moment cancels
 * this one, which is retried the same way.)
 */
function notSummarized(jobId: string, runDate: string): { key: ItemKey; condition: Condition } {
  return {
    key: keys.job(jobId),
    condition: {
      expression: 'attribute_not_exists(#summarized) OR NOT contains(#summarized, :runDate)',
      names: { '#summarized': 'summarizedRuns' },
      values: { ':runDate': runDate },
      // A job past its TTL was read as absent, so as listing no run.
      orExpired: true,
    },
  };
}

/**
 * Each job's current run as last seen through this store (one per Lambda container): the route reads a job
 * and the groups of that run in one request, and reads again only for a job whose run changed.
 */
const lastRunDates = new WeakMap<StateStore, Map<string, string>>();

/**
 * Each finding's aggregate. A job's findings go to the job's current run (its JOB item, which the job-log
 * pipeline keeps); a job it has not seen yet gets run UNKNOWN. One read covers the batch: its jobs, the
 * groups of each job's run as last seen, and every other aggregate (policy findings, automated discovery,
 * samples); only a job whose run changed costs a second.
 */
async function routeFindings(deps: PipelineDeps, events: readonly BatchEvent<FindingDetail>[], reads: AttemptReads): Promise<Target<FindingDetail>[]> {
  const lastRunDate = lastRunDates.get(deps.store) ?? new Map<string, string>();
  lastRunDates.set(deps.store, lastRunDate);
  const identity = (finding: FindingDetail, runDate?: string, lateMarkAt?: string, place?: GroupPlace): GroupIdentity =>
    groupIdentity(finding, finding.resourcesAffected?.s3Bucket?.name ?? UNKNOWN_BUCKET, originOf(finding), runDate, lateMarkAt, place);
  const target = (finding: FindingDetail, runDate?: string, lateMarkAt?: string, place?: GroupPlace): Target<FindingDetail> => {
    if (!isSensitiveData(finding)) return { aggregate: policyFinding(finding.id, deps.settings) };
    const group = identity(finding, runDate, lateMarkAt, place);
    const aggregate = findingsGroup(group, deps.settings);
    const jobId = jobOf(finding);
    const rollup = jobId && runDate && place ? rollupGuard(place, rollupKey(jobId, runDate, finding.type), () => claimedRollup(finding, jobId, runDate, group.bucket, deps.now(), deps.settings.stateRetentionDays)) : undefined;
    return {
      aggregate: {
        ...aggregate,
        ...(jobId && runDate && !lateMarkAt ? { guard: notSummarized(jobId, runDate) } : {}),
        ...(rollup ? { guards: [rollup] } : {}),
      },
    };
  };
  const jobOf = (finding: FindingDetail) => (isSensitiveData(finding) && originOf(finding) === 'job' ? (finding.classificationDetails?.jobId as string) : undefined);
  const jobIds = [...new Set(events.flatMap((e) => jobOf(e.event) ?? []))];
  const expected = events.flatMap(({ event: finding }) => {
    const jobId = jobOf(finding);
    const runDate = jobId && lastRunDate.get(jobId);
    return jobId && !runDate ? [] : [target(finding, runDate || undefined)];
  });
  const expectedKeys = expected.flatMap((t) => ('aggregate' in t ? [t.aggregate.key] : []));
  await reads.read([...jobIds.map((id) => keys.job(id)), ...expectedKeys]);
  if (lastRunDate.size > 1000) lastRunDate.clear();
  // A finding counted into a run whose summary went out (the job item lists it) marks its group as late; one
  // counted unmarked is written only while the job still does not list the run (notSummarized).
  const lateMarkAt = deps.now().toISOString();
  const summarized = new Map<string, ReadonlySet<string>>();
  for (const jobId of jobIds) {
    const job = reads.get(keys.job(jobId));
    const runDate = job?.currentRunDate;
    lastRunDate.set(jobId, typeof runDate === 'string' && runDate ? runDate : UNKNOWN_RUN);
    summarized.set(jobId, new Set(Array.isArray(job?.summarizedRuns) ? job.summarizedRuns.filter((d): d is string => typeof d === 'string') : []));
  }
  const runOf = (finding: FindingDetail) => {
    const jobId = jobOf(finding);
    return jobId ? lastRunDate.get(jobId) : undefined;
  };
  // A job run's new groups (absent as read) are placed in their type's roll-up. The groups of a run the first
  // read did not expect are read with their types' roll-ups; a new group's roll-up not read yet costs one more.
  const asked = new Set(expectedKeys.map(keyString));
  const rollsUp = deps.settings.findingAlertsPer === 'type';
  await reads.read(
    events.flatMap(({ event: finding }) => {
      const [jobId, runDate] = [jobOf(finding), runOf(finding)];
      const key = jobId && runDate ? identity(finding, runDate).key : undefined;
      if (!jobId || !runDate || !key || asked.has(keyString(key))) return [];
      return rollsUp ? [key, rollupKey(jobId, runDate, finding.type)] : [key];
    }),
  );
  const isNew = (finding: FindingDetail) => !!runOf(finding) && !reads.get(identity(finding, runOf(finding)).key);
  await reads.read(events.flatMap(({ event: finding }) => (rollsUp && isNew(finding) ? [rollupKey(jobOf(finding) as string, runOf(finding) as string, finding.type)] : [])));
  const places = new Map<string, GroupPlace>();
  const claimed = new Set<string>();
  const placeOf = (finding: FindingDetail, jobId: string, runDate: string): GroupPlace => {
    const groupKey = keyString(identity(finding, runDate).key);
    const known = places.get(groupKey);
    if (known) return known;
    const key = rollupKey(jobId, runDate, finding.type);
    const place = placeNewGroup({
      alertsPer: deps.settings.findingAlertsPer,
      origin: originOf(finding),
      bucket: finding.resourcesAffected?.s3Bucket?.name ?? UNKNOWN_BUCKET,
      rollup: decodeOptional(FindingsRollupCodec, reads.get(key)),
      claimedInAttempt: claimed.has(keyString(key)),
      now: deps.now(),
      repeatIntervalMinutes: deps.settings.repeatIntervalMinutes,
    });
    if (place.kind === 'first') claimed.add(keyString(key));
    places.set(groupKey, place);
    return place;
  };
  return events.map(({ event: finding }) => {
    const jobId = jobOf(finding);
    const runDate = runOf(finding);
    const late = jobId && runDate && summarized.get(jobId)?.has(runDate) ? lateMarkAt : undefined;
    return target(finding, runDate, late, jobId && runDate && isNew(finding) ? placeOf(finding, jobId, runDate) : undefined);
  });
}
