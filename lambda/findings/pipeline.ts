import { acknowledger } from '../silences/ack';
import { ackSource } from '../silences/cache';
import type { BatchReport, RecordReport } from '../core/event-report';
import { atLeast } from '../core/severity';
import type { BatchEvent, Target } from '../eventbridge/aggregate';
import type { AttemptReads } from '../eventbridge/attempt-reads';
import { processEventBatch, type EventPipeline } from '../eventbridge/event-batch';
import type { PipelineDeps } from '../pipeline-deps';
import { decodeOptional } from '../state/codec';
import { countBeforeSummary, readLedger } from '../state/findings-ledger';
import { findingRun, runStartBefore } from './finding-run';
import { keyString, type StateStore } from '../state/store';
import { expiresAt, keys, UNKNOWN_RUN, type ItemKey } from '../state/table';
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
 * Each job's current run as last seen through this store (one per Lambda container): the route reads a job
 * and the ledger and groups of that run in one request, and reads again only for findings of another run.
 */
const lastRunDates = new WeakMap<StateStore, Map<string, string>>();

/**
 * Each finding's aggregate. A job's finding goes to the job's run that started last before the finding was
 * created (finding-run.ts: the JOB item, which the job-log pipeline keeps, lists the recent run starts); a
 * finding created after that run ended, or of a job the log has not shown, is held back (SQS delivers it
 * again) until the job log shows its run. A finding counted into a run whose summary was saved (its findings
 * ledger says so) marks its group as late; one counted before bumps the ledger in the same transaction, on
 * condition that the summary is still not saved (findings-ledger.ts), so the summary and the count cannot
 * miss each other. A job run's new group is placed in its type's roll-up (findings-rollup.ts): the first bucket
 * of a type claims the roll-up in the group's write, a later one is marked rolled up, on condition that the
 * roll-up is still open. One read covers the batch: its jobs, the ledger and groups of each job's run as last
 * seen, and every other aggregate (policy findings, automated discovery, samples); findings of another run
 * cost a second (with their types' roll-ups), and a new group whose roll-up was not read one more.
 */
async function routeFindings(deps: PipelineDeps, events: readonly BatchEvent<FindingDetail>[], reads: AttemptReads): Promise<Target<FindingDetail>[]> {
  const lastRunDate = lastRunDates.get(deps.store) ?? new Map<string, string>();
  lastRunDates.set(deps.store, lastRunDate);
  // Read with the silences, through the same cache: no request of its own.
  const acks = acknowledger(await ackSource(deps).list());
  const now = deps.now();
  const ttl = expiresAt(now, deps.settings.stateRetentionDays);
  const lateMarkAt = now.toISOString();
  const identity = (finding: FindingDetail, runDate?: string, summarized?: boolean, place?: GroupPlace): GroupIdentity =>
    groupIdentity(
      finding,
      finding.resourcesAffected?.s3Bucket?.name ?? UNKNOWN_BUCKET,
      originOf(finding),
      runDate,
      summarized ? lateMarkAt : undefined,
      place,
      jobNameOf(finding),
    );
  const target = (
    finding: FindingDetail,
    runDate?: string,
    summarized?: boolean,
    place?: GroupPlace,
  ): Extract<Target<FindingDetail>, { readonly aggregate: unknown }> => {
    if (!isSensitiveData(finding)) return { aggregate: policyFinding(finding.id, deps.settings, acks) };
    const group = identity(finding, runDate, summarized, place);
    const aggregate = findingsGroup(group, deps.settings, acks);
    const jobId = jobOf(finding);
    const rollup =
      jobId && runDate && place
        ? rollupGuard(place, rollupKey(jobId, runDate, finding.type), () =>
            claimedRollup(finding, jobId, runDate, group.bucket, now, deps.settings.stateRetentionDays),
          )
        : undefined;
    return {
      aggregate: {
        ...aggregate,
        ...(jobId && runDate && !summarized ? { guard: countBeforeSummary(jobId, runDate, ttl) } : {}),
        ...(rollup ? { guards: [rollup] } : {}),
      },
    };
  };
  const jobOf = (finding: FindingDetail) =>
    isSensitiveData(finding) && originOf(finding) === 'job' ? (finding.classificationDetails?.jobId as string) : undefined;
  const jobIds = [...new Set(events.flatMap((e) => jobOf(e.event) ?? []))];
  // The job item is read with the batch: its name, as the job log told it, words the alerts.
  const jobNameOf = (finding: FindingDetail) => {
    const jobId = jobOf(finding);
    const name = jobId ? reads.get(keys.job(jobId))?.jobName : undefined;
    return typeof name === 'string' && name ? name : undefined;
  };
  const rollsUp = deps.settings.findingAlertsPer === 'type';
  /** The groups the first read expected (undefined until it is made): a group it did not is read with its type's roll-up, in case it is new. */
  let expected: Set<string> | undefined;
  /** What a placement of the batch's findings needs read: each run's ledger and group, and the other aggregates. */
  const keysOf = (runOf: (finding: FindingDetail, jobId: string) => string | undefined): ItemKey[] =>
    events.flatMap(({ event: finding }) => {
      const jobId = jobOf(finding);
      const runDate = jobId && runOf(finding, jobId);
      if (jobId && !runDate) return [];
      const key = target(finding, runDate || undefined).aggregate.key;
      const unexpected = jobId && runDate && expected && !expected.has(keyString(key));
      return [
        ...(jobId && runDate ? [keys.runFindingsLedger(jobId, runDate)] : []),
        key,
        ...(unexpected && rollsUp ? [rollupKey(jobId, runDate, finding.type)] : []),
      ];
    });
  const first = keysOf((_, jobId) => lastRunDate.get(jobId));
  expected = new Set(first.map(keyString));
  await reads.read([...jobIds.map((id) => keys.job(id)), ...first]);
  if (lastRunDate.size > 1000) lastRunDate.clear();
  const startsOf = new Map<string, string[]>();
  for (const jobId of jobIds) {
    const job = reads.get(keys.job(jobId));
    const current = typeof job?.currentRunDate === 'string' && job.currentRunDate ? job.currentRunDate : undefined;
    const recent = Array.isArray(job?.recentRunStarts) ? job.recentRunStarts.filter((d): d is string => typeof d === 'string') : [];
    startsOf.set(jobId, [...new Set([...recent, ...(current ? [current] : [])])]);
    lastRunDate.set(jobId, current ?? UNKNOWN_RUN);
  }
  // A run summarised by a version before the findings ledgers has no ledger: its job item lists it.
  const summarizedBeforeLedgers = (jobId: string, runDate: string) => {
    const list = reads.get(keys.job(jobId))?.summarizedRuns;
    return Array.isArray(list) && list.includes(runDate);
  };
  const candidate = (finding: FindingDetail, jobId: string) => runStartBefore(finding.createdAt, startsOf.get(jobId) ?? []);
  // Nothing when every finding's run was guessed right.
  await reads.read(keysOf(candidate));
  const placed = new Map<FindingDetail, ReturnType<typeof findingRun>>();
  for (const { event: finding } of events) {
    const jobId = jobOf(finding);
    if (!jobId) continue;
    const run = candidate(finding, jobId);
    const candidateEndedAt = run ? readLedger(reads.get(keys.runFindingsLedger(jobId, run))).endedAt : undefined;
    placed.set(finding, findingRun({ createdAt: finding.createdAt, starts: startsOf.get(jobId) ?? [], candidateEndedAt, now }));
  }
  const runOf = (finding: FindingDetail) => {
    const p = placed.get(finding);
    return p && 'run' in p ? p.run : undefined;
  };
  // Only findings counted in run UNKNOWN, rarely.
  await reads.read(keysOf(runOf));
  // A job run's new groups (absent as read) are placed in their type's roll-up; a new group's roll-up not read
  // yet (its group was expected by the first read) costs one more.
  const isNew = (finding: FindingDetail) => {
    const runDate = runOf(finding);
    return runDate !== undefined && !reads.get(identity(finding, runDate).key);
  };
  await reads.read(
    events.flatMap(({ event: finding }) => (rollsUp && isNew(finding) ? [rollupKey(jobOf(finding) as string, runOf(finding) as string, finding.type)] : [])),
  );
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
      now,
      repeatIntervalMinutes: deps.settings.repeatIntervalMinutes,
    });
    if (place.kind === 'first') claimed.add(keyString(key));
    places.set(groupKey, place);
    return place;
  };
  return events.map(({ event: finding }): Target<FindingDetail> => {
    const jobId = jobOf(finding);
    const p = placed.get(finding);
    if (!jobId || !p) return target(finding);
    if ('held' in p) return { held: p.held };
    const summarized = readLedger(reads.get(keys.runFindingsLedger(jobId, p.run))).summarizedAt !== undefined || summarizedBeforeLedgers(jobId, p.run);
    return target(finding, p.run, summarized, isNew(finding) ? placeOf(finding, jobId, p.run) : undefined);
  });
}
