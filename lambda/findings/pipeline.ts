import { acknowledger, type Acknowledger } from '../silences/ack';
import { ackSource } from '../silences/cache';
import type { BatchReport, RecordReport } from '../core/event-report';
import { atLeast } from '../core/severity';
import type { BatchEvent, Target } from '../eventbridge/aggregate';
import type { AttemptReads } from '../eventbridge/attempt-reads';
import { processEventBatch, type EventPipeline } from '../eventbridge/event-batch';
import type { PipelineDeps } from '../pipeline-deps';
import { decodeOptional } from '../state/codec';
import { countBeforeSummary, readLedger } from '../state/findings-ledger';
import { findingRun, runStartBefore, type FindingRun } from './finding-run';
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
 * One SQS batch of Macie Finding events: sensitive-data findings grouped per run or origin, bucket and type, policy
 * findings per id. Each finding's effect is applied once, keyed by id and count. Never throws for bad input.
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

/** What the stages of one batch's route share: the deps, the batch's reads, the acknowledgements and its clock. */
interface RouteContext {
  readonly deps: PipelineDeps;
  readonly reads: AttemptReads;
  readonly acks: Acknowledger;
  readonly now: Date;
  readonly ttl: number;
  readonly lateMarkAt: string;
  readonly rollsUp: boolean;
}

/** Which run a finding is placed in, given its job (undefined: not placed yet). */
type RunOf = (finding: FindingDetail, jobId: string) => string | undefined;

/** Each finding's aggregate, in as few reads as the batch allows (the steps: docs/development.md, `lambda/findings/`). */
async function routeFindings(deps: PipelineDeps, events: readonly BatchEvent<FindingDetail>[], reads: AttemptReads): Promise<Target<FindingDetail>[]> {
  const lastRunDate = lastRunDatesOf(deps.store);
  const ctx = await routeContext(deps, reads);
  const jobIds = [...new Set(events.flatMap((e) => jobOf(e.event) ?? []))];
  const first = keysToRead(ctx, events, (_, jobId) => lastRunDate.get(jobId));
  const expected = new Set(first.map(keyString));
  await reads.read([...jobIds.map((id) => keys.job(id)), ...first]);
  if (lastRunDate.size > 1000) lastRunDate.clear();
  const startsOf = runStartsOf(reads, jobIds, lastRunDate);
  const candidate: RunOf = (finding, jobId) => runStartBefore(finding.createdAt, startsOf.get(jobId) ?? []);
  // Nothing when every finding's run was guessed right.
  await reads.read(keysToRead(ctx, events, candidate, expected));
  const placed = placeInRuns(ctx, events, startsOf, candidate);
  const runOf = (finding: FindingDetail) => {
    const placement = placed.get(finding);
    return placement && 'run' in placement ? placement.run : undefined;
  };
  // Only findings counted in run UNKNOWN, rarely.
  await reads.read(keysToRead(ctx, events, runOf, expected));
  await reads.read(newGroupRollupKeys(ctx, events, runOf));
  const placeOf = groupPlacer(ctx);
  return events.map(({ event: finding }): Target<FindingDetail> => {
    const jobId = jobOf(finding);
    const placement = placed.get(finding);
    if (!jobId || !placement) return targetOf(ctx, finding);
    if ('held' in placement) return { held: placement.held };
    const { run } = placement;
    return targetOf(ctx, finding, run, isSummarized(reads, jobId, run), isNewGroup(ctx, finding, run) ? placeOf(finding, jobId, run) : undefined);
  });
}

function lastRunDatesOf(store: StateStore): Map<string, string> {
  const lastRunDate = lastRunDates.get(store) ?? new Map<string, string>();
  lastRunDates.set(store, lastRunDate);
  return lastRunDate;
}

async function routeContext(deps: PipelineDeps, reads: AttemptReads): Promise<RouteContext> {
  // Read with the silences, through the same cache: no request of its own.
  const acks = acknowledger(await ackSource(deps).list());
  const now = deps.now();
  return {
    deps,
    reads,
    acks,
    now,
    ttl: expiresAt(now, deps.settings.stateRetentionDays),
    lateMarkAt: now.toISOString(),
    rollsUp: deps.settings.findingAlertsPer === 'type',
  };
}

/** The job whose run a finding is counted in: a job's sensitive-data finding only. */
function jobOf(finding: FindingDetail): string | undefined {
  return isSensitiveData(finding) && originOf(finding) === 'job' ? (finding.classificationDetails?.jobId as string) : undefined;
}

// The job item is read with the batch: its name, as the job log told it, words the alerts.
function jobNameOf({ reads }: RouteContext, finding: FindingDetail): string | undefined {
  const jobId = jobOf(finding);
  const name = jobId ? reads.get(keys.job(jobId))?.jobName : undefined;
  return typeof name === 'string' && name ? name : undefined;
}

function identityOf(ctx: RouteContext, finding: FindingDetail, runDate?: string, summarized?: boolean, place?: GroupPlace): GroupIdentity {
  return groupIdentity(
    finding,
    finding.resourcesAffected?.s3Bucket?.name ?? UNKNOWN_BUCKET,
    originOf(finding),
    runDate,
    summarized ? ctx.lateMarkAt : undefined,
    place,
    jobNameOf(ctx, finding),
  );
}

function targetOf(
  ctx: RouteContext,
  finding: FindingDetail,
  runDate?: string,
  summarized?: boolean,
  place?: GroupPlace,
): Extract<Target<FindingDetail>, { readonly aggregate: unknown }> {
  const { deps, acks, now, ttl } = ctx;
  if (!isSensitiveData(finding)) return { aggregate: policyFinding(finding.id, deps.settings, acks) };
  const group = identityOf(ctx, finding, runDate, summarized, place);
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
}

/**
 * What placing the batch's findings by `runOf` needs read: each run's ledger and group, and the other
 * aggregates; a group the first read did not expect (`expected`) is read with its type's roll-up.
 */
function keysToRead(ctx: RouteContext, events: readonly BatchEvent<FindingDetail>[], runOf: RunOf, expected?: ReadonlySet<string>): ItemKey[] {
  return events.flatMap(({ event: finding }) => {
    const jobId = jobOf(finding);
    const runDate = jobId && runOf(finding, jobId);
    if (jobId && !runDate) return [];
    const key = targetOf(ctx, finding, runDate || undefined).aggregate.key;
    const unexpected = jobId && runDate && expected && !expected.has(keyString(key));
    return [
      ...(jobId && runDate ? [keys.runFindingsLedger(jobId, runDate)] : []),
      key,
      ...(unexpected && ctx.rollsUp ? [rollupKey(jobId, runDate, finding.type)] : []),
    ];
  });
}

/** Each job's recent run starts (with its current run) as read; remembers each job's current run. */
function runStartsOf(reads: AttemptReads, jobIds: readonly string[], lastRunDate: Map<string, string>): Map<string, string[]> {
  const startsOf = new Map<string, string[]>();
  for (const jobId of jobIds) {
    const job = reads.get(keys.job(jobId));
    const current = typeof job?.currentRunDate === 'string' && job.currentRunDate ? job.currentRunDate : undefined;
    const recent = Array.isArray(job?.recentRunStarts) ? job.recentRunStarts.filter((d): d is string => typeof d === 'string') : [];
    startsOf.set(jobId, [...new Set([...recent, ...(current ? [current] : [])])]);
    lastRunDate.set(jobId, current ?? UNKNOWN_RUN);
  }
  return startsOf;
}

/** Each job finding's run, or why it is held back: the candidate run's ledger says when that run ended. */
function placeInRuns(
  { reads, now }: RouteContext,
  events: readonly BatchEvent<FindingDetail>[],
  startsOf: ReadonlyMap<string, string[]>,
  candidate: RunOf,
): Map<FindingDetail, FindingRun> {
  const placed = new Map<FindingDetail, FindingRun>();
  for (const { event: finding } of events) {
    const jobId = jobOf(finding);
    if (!jobId) continue;
    const run = candidate(finding, jobId);
    const candidateEndedAt = run ? readLedger(reads.get(keys.runFindingsLedger(jobId, run))).endedAt : undefined;
    placed.set(finding, findingRun({ createdAt: finding.createdAt, starts: startsOf.get(jobId) ?? [], candidateEndedAt, now }));
  }
  return placed;
}

/** A run's summary was saved: its ledger says so, or, summarised before the findings ledgers, its job item lists it. */
function isSummarized(reads: AttemptReads, jobId: string, runDate: string): boolean {
  if (readLedger(reads.get(keys.runFindingsLedger(jobId, runDate))).summarizedAt !== undefined) return true;
  const list = reads.get(keys.job(jobId))?.summarizedRuns;
  return Array.isArray(list) && list.includes(runDate);
}

/** A job run's group absent as read. */
function isNewGroup(ctx: RouteContext, finding: FindingDetail, runDate: string | undefined): boolean {
  return runDate !== undefined && !ctx.reads.get(identityOf(ctx, finding, runDate).key);
}

// A new group's roll-up not read yet (its group was expected by the first read) costs one more read.
function newGroupRollupKeys(ctx: RouteContext, events: readonly BatchEvent<FindingDetail>[], runOf: (finding: FindingDetail) => string | undefined): ItemKey[] {
  return events.flatMap(({ event: finding }) =>
    ctx.rollsUp && isNewGroup(ctx, finding, runOf(finding)) ? [rollupKey(jobOf(finding) as string, runOf(finding) as string, finding.type)] : [],
  );
}

/** Places each new group of the batch in its type's roll-up, once per group; the first bucket of a type claims it. */
function groupPlacer(ctx: RouteContext): (finding: FindingDetail, jobId: string, runDate: string) => GroupPlace {
  const { deps, reads, now } = ctx;
  const places = new Map<string, GroupPlace>();
  const claimed = new Set<string>();
  return (finding, jobId, runDate) => {
    const groupKey = keyString(identityOf(ctx, finding, runDate).key);
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
}
