import { describeAck, NO_ACKS, type Acknowledger } from '../silences/ack';
import * as z from 'zod/mini';
import { details, formatCount, type Alert } from '../core/alert';
import { maxIso, minIso } from '../core/iso-time';
import { decideRepeat, repeatDueAt } from '../core/repeat-decision';
import type { PipelineSettings } from '../core/settings';
import { maxSeverity, severitiesPresent, type Severity } from '../core/severity';
import type { Aggregate, Step } from '../eventbridge/aggregate';
import { bookkeepingItem, bookkeepingShape, compact, itemCodec, type Bookkeeping } from '../state/codec';
import { GSI1, keys, UNKNOWN_RUN, type ItemKey } from '../state/table';
import { alertSeverity, commonFields, findingIdentityDetails, findingLinks, iso, typeInfo } from './finding-alert';
import type { FindingDetail } from './finding-events';
import { bucketDetails, describeSensitiveData, formatBytes, objectDetails } from './finding-format';
import type { GroupPlace, RolledUp } from './findings-rollup';

/**
 * Sensitive-data findings of one (job run, bucket, type), or of automated discovery or Macie's samples per
 * (account, bucket, type). The first finding of a group alerts; the rest are counted (the job-log run summary
 * reads the counts), with one "still occurring" alert at most once per repeatIntervalMinutes of event time.
 * A finding counted after its run's summary went out marks the group as late (`late`, listed in
 * LATE_FINDINGS): the sweeper reports the run's late findings in one "run summary updated" alert per
 * repeatIntervalMinutes, and unmarks the groups.
 */
export type GroupOrigin = 'job' | 'automated' | 'sample';
type SeverityCounts = Partial<Record<Severity, number>>;

/** Which group a finding belongs to: everything its key and its alerts' wording need. */
export interface GroupIdentity {
  readonly key: ItemKey;
  readonly alertIdPrefix: string;
  readonly origin: GroupOrigin;
  readonly bucket: string;
  readonly jobId?: string;
  /** The job's name, when the job log told it (the JOB item): alerts name the job by it. Not part of the key. */
  readonly jobName?: string;
  readonly runDate?: string;
  /** Set when the run's summary has gone out: the time (wall clock) a group first counting a late finding is marked at. */
  readonly lateMarkAt?: string;
  /** A new group of a job run: alone, first of its type in the run, or rolled up (findings-rollup.ts). */
  readonly place?: GroupPlace;
}

export function groupIdentity(
  finding: FindingDetail,
  bucket: string,
  origin: GroupOrigin,
  runDate?: string,
  lateMarkAt?: string,
  place?: GroupPlace,
  jobName?: string,
): GroupIdentity {
  const jobId = finding.classificationDetails?.jobId ?? undefined;
  const { accountId, type } = finding;
  if (origin === 'sample')
    return { key: keys.sampleFindingGroup(accountId, bucket, type), alertIdPrefix: `sd:sample:${accountId}:${bucket}:${type}`, origin, bucket, jobId };
  if (origin === 'automated' || !jobId)
    return { key: keys.automatedFindingGroup(accountId, bucket, type), alertIdPrefix: `sd:auto:${accountId}:${bucket}:${type}`, origin: 'automated', bucket };
  const run = runDate ?? UNKNOWN_RUN;
  return {
    key: keys.findingGroup(jobId, run, bucket, type),
    alertIdPrefix: `sd:${jobId}:${run}:${bucket}:${type}`,
    origin,
    bucket,
    jobId,
    jobName,
    runDate: run,
    lateMarkAt,
    place,
  };
}

/** Findings counted after the run's summary that no summary or update has reported yet. */
export interface LateFindings {
  /** The group's count as of the last report that included it (the summary, or the last update). */
  readonly reported: number;
  /** When the group was marked (wall clock): its sort key in LATE_FINDINGS. */
  readonly since: string;
}

export interface FindingsGroup extends Bookkeeping {
  readonly pk: string;
  readonly sk: string;
  readonly findingType: string;
  readonly bucket: string;
  readonly accountId: string;
  readonly origin: GroupOrigin;
  readonly jobId?: string;
  readonly runDate?: string;
  readonly sample: boolean;
  readonly count: number;
  readonly bySeverity: SeverityCounts;
  readonly firstAt: string;
  readonly lastAt: string;
  readonly firstFindingId: string;
  readonly lastFindingId: string;
  /** Event time covered by the group's last alert. */
  readonly lastAlertAt?: string;
  readonly alerts: number;
  readonly late?: LateFindings;
  /** Rolled up into its type's alert for the run: never alerts on its own. */
  readonly rolledUp?: RolledUp;
}

export const FindingsGroupCodec = itemCodec(
  'findings group',
  z.object({
    ...bookkeepingShape,
    findingType: z.string(),
    bucket: z.string(),
    accountId: z.string(),
    origin: z.enum(['job', 'automated', 'sample']),
    jobId: z.optional(z.string()),
    runDate: z.optional(z.string()),
    sample: z.boolean(),
    count: z.number(),
    bySeverity: z.record(z.string(), z.number()),
    firstAt: z.string(),
    lastAt: z.string(),
    firstFindingId: z.string(),
    lastFindingId: z.string(),
    lastAlertAt: z.optional(z.string()),
    alerts: z.number(),
    late: z.optional(z.object({ reported: z.number(), since: z.string() })),
    rolledUp: z.optional(z.object({ after: z.number(), dueAt: z.optional(z.string()) })),
  }),
  (g: FindingsGroup) =>
    compact({
      pk: g.pk,
      sk: g.sk,
      findingType: g.findingType,
      bucket: g.bucket,
      accountId: g.accountId,
      origin: g.origin,
      jobId: g.jobId,
      runDate: g.runDate,
      sample: g.sample,
      count: g.count,
      bySeverity: g.bySeverity,
      firstAt: g.firstAt,
      lastAt: g.lastAt,
      firstFindingId: g.firstFindingId,
      lastFindingId: g.lastFindingId,
      lastAlertAt: g.lastAlertAt,
      alerts: g.alerts,
      late: g.late,
      rolledUp: g.rolledUp && compact({ ...g.rolledUp }),
      // One index entry per item: a group waiting for its roll-up is listed for it first; unmarked, for its late findings.
      ...(g.rolledUp?.dueAt ? { gsi1pk: GSI1.heldRollup, gsi1sk: g.rolledUp.dueAt } : g.late ? { gsi1pk: GSI1.lateFindings, gsi1sk: g.late.since } : {}),
      ...bookkeepingItem(g),
    }),
  (parsed) => parsed as FindingsGroup,
);

export function findingsGroup(group: GroupIdentity, settings: PipelineSettings, acks: Acknowledger = NO_ACKS): Aggregate<FindingsGroup, FindingDetail> {
  return { key: group.key, codec: FindingsGroupCodec, step: (state, finding) => stepFindingsGroup(group, settings, state, finding, acks) };
}

/** One finding counted into its group: pure. */
export function stepFindingsGroup(
  group: GroupIdentity,
  settings: PipelineSettings,
  state: FindingsGroup | undefined,
  finding: FindingDetail,
  acks: Acknowledger = NO_ACKS,
): Step<FindingsGroup> {
  const { bucket } = group;
  const eventAt = iso(finding.updatedAt);
  const prevAlerts = state?.alerts ?? 0;
  const prevLastAlertAt = state?.lastAlertAt;
  const count = (state?.count ?? 0) + 1;
  const bySeverity: SeverityCounts = { ...state?.bySeverity };
  bySeverity[finding.severity] = (bySeverity[finding.severity] ?? 0) + 1;
  const firstAt = minIso(state?.firstAt, eventAt);
  const lastAt = maxIso(state?.lastAt, eventAt);

  const repeatMs = settings.repeatIntervalMinutes * 60_000;
  const place = state ? undefined : group.place;
  const rolledUp = state ? state.rolledUp : place?.kind === 'rolled' ? { after: place.after, dueAt: place.dueAt } : undefined;
  let alert: Alert | undefined;
  let reason: string;
  const repeat = decideRepeat({
    alerted: prevAlerts > 0,
    dueAt: prevLastAlertAt ? repeatDueAt(prevLastAlertAt, repeatMs) : undefined,
    at: Date.parse(eventAt),
    ackAt: (at) => acks.subject(group.alertIdPrefix, at),
  });
  if (rolledUp) {
    // Rolled up: named in its type's roll-up alert by the sweeper, never alerted on its own.
    reason = place ? place.reason : `counted in its bucket (${count} so far); the bucket is named in its type's roll-up`;
  } else if (repeat.kind === 'first') {
    alert = firstSensitiveDataAlert(finding, group, `${group.alertIdPrefix}:first`, place?.kind === 'first');
    reason = 'first finding of its group';
  } else if (repeat.ack) {
    // Held, not marked: the repeat goes out with the first finding after the acknowledgement ends.
    reason = `counted in its group (${count} so far); its "still occurring" alert is held: ${describeAck(repeat.ack)}`;
  } else if (repeat.kind === 'repeat' && prevLastAlertAt) {
    alert = stillOccurringAlert(finding, group, `${group.alertIdPrefix}:still:${count}`, { count, bySeverity, firstAt, lastAt, sinceAlert: prevLastAlertAt });
    reason = `group still growing: ${count} so far`;
  } else {
    reason = `counted in its group (${count} so far); next alert no sooner than ${settings.repeatIntervalMinutes} min after the last`;
  }
  return {
    state: {
      ...group.key,
      findingType: finding.type,
      bucket,
      accountId: finding.accountId,
      origin: group.origin,
      jobId: group.jobId,
      runDate: group.runDate,
      sample: finding.sample === true,
      count,
      bySeverity,
      firstAt,
      lastAt,
      firstFindingId: state?.firstFindingId ?? finding.id,
      lastFindingId: finding.id,
      lastAlertAt: alert ? maxIso(prevLastAlertAt, eventAt) : prevLastAlertAt,
      alerts: prevAlerts + (alert ? 1 : 0),
      // Everything counted before the first late finding was in the summary (or the last update).
      late: state?.late ?? (group.lateMarkAt ? { reported: state?.count ?? 0, since: group.lateMarkAt } : undefined),
      rolledUp,
    },
    alert,
    reason,
  };
}

function jobOfGroup(group: GroupIdentity): Alert['job'] {
  if (!group.jobId || group.origin !== 'job') return undefined;
  return { id: group.jobId, ...(group.jobName ? { name: group.jobName } : {}), runDate: group.runDate };
}

function originText(group: GroupIdentity): string {
  if (group.origin === 'automated') return 'Automated sensitive data discovery';
  if (group.origin === 'sample') return 'Sample findings';
  const job = group.jobName ? `"${group.jobName}" (${group.jobId})` : group.jobId;
  return `Macie job ${job}${group.runDate && group.runDate !== UNKNOWN_RUN ? ` in its run of ${group.runDate}` : ''}`;
}

function firstSensitiveDataAlert(finding: FindingDetail, group: GroupIdentity, id: string, firstOfType: boolean): Alert {
  const { bucket } = group;
  const { info, known } = typeInfo(finding, 'sensitive-data');
  const object = finding.resourcesAffected?.s3Object;
  const key = object?.key ?? undefined;
  const data = describeSensitiveData(finding.classificationDetails);
  const where = key ? `s3://${bucket}/${key}` : `bucket ${bucket}`;
  return {
    id,
    severity: alertSeverity(finding, known),
    ...commonFields(finding, 'SENSITIVE_DATA_FINDING'),
    job: jobOfGroup(group),
    findingId: finding.id,
    headline: `Macie found ${info.short} in ${where}`,
    whatHappened:
      `${originText(group)} found ${info.short} in ${where}${object?.size != null ? `, an object of ${formatBytes(object.size)}` : ''}.` +
      (data.categories ? ` Data found: ${data.categories}.` : '') +
      ` Further findings of this type in this bucket ${group.origin === 'job' ? 'in this run ' : ''}are counted, not alerted one by one` +
      `${group.origin === 'job' ? ' (the run summary lists them)' : ''}; a "still occurring" alert follows at most once per repeat interval.` +
      (firstOfType ? ' Other buckets with findings of this type in this run are named together in one alert per repeat interval.' : '') +
      (known ? '' : ' Macie reported a finding type this version does not recognise.'),
    whatItMeans: info.meaning,
    whatToDo: info.whatToDo,
    details: [
      ...details([
        ['Finding type', finding.type],
        ['Macie severity', finding.severity],
        ['Title', finding.title],
        ['Source', originText(group)],
      ]),
      ...bucketDetails(finding.resourcesAffected?.s3Bucket, bucket),
      ...objectDetails(object),
      ...details([
        ['Data categories', data.categories],
        ['Detection types', data.detections],
      ]),
      ...findingIdentityDetails(finding),
    ],
    affected: [{ kind: 'bucket', items: [bucket], total: 1 }, ...(key ? [{ kind: 'object' as const, items: [key], total: 1 }] : [])],
    count: 1,
    links: findingLinks(finding, group.jobId),
    occurredAt: iso(finding.updatedAt),
    threadId: group.jobId ?? bucket,
  };
}

function severityBreakdown(bySeverity: SeverityCounts): string {
  return severitiesPresent(bySeverity)
    .map(([s, n]) => `${formatCount(n)} ${s.toLowerCase()}`)
    .join(', ');
}

function stillOccurringAlert(
  finding: FindingDetail,
  group: GroupIdentity,
  id: string,
  g: { count: number; bySeverity: SeverityCounts; firstAt: string; lastAt: string; sinceAlert: string },
): Alert {
  const { bucket } = group;
  const { info, known } = typeInfo(finding, 'sensitive-data');
  const groupSeverity = maxSeverity(...(Object.keys(g.bySeverity) as Severity[]).filter((s) => g.bySeverity[s]));
  return {
    id,
    severity: known ? groupSeverity : maxSeverity(groupSeverity, 'MEDIUM'),
    ...commonFields(finding, 'SENSITIVE_DATA_FINDING'),
    job: jobOfGroup(group),
    findingId: finding.id,
    headline: `Still occurring (${formatCount(g.count)} findings so far): Macie found ${info.short} in bucket ${bucket}`,
    whatHappened:
      `${originText(group)} keeps finding ${info.short} in bucket ${bucket}: ${formatCount(g.count)} findings so far (${severityBreakdown(g.bySeverity)}), ` +
      `first at ${g.firstAt}, latest at ${g.lastAt}. The last alert for this group was at ${g.sinceAlert}.`,
    whatItMeans: info.meaning,
    whatToDo: `${info.whatToDo} With this many objects affected, review the bucket as a whole rather than object by object.`,
    details: [
      ...details([
        ['Finding type', finding.type],
        ['Findings so far', formatCount(g.count)],
        ['By severity', severityBreakdown(g.bySeverity)],
        ['First finding at', g.firstAt],
        ['Latest finding at', g.lastAt],
        ['Source', originText(group)],
      ]),
      ...bucketDetails(finding.resourcesAffected?.s3Bucket, bucket),
      ...details([
        ['Latest object key', finding.resourcesAffected?.s3Object?.key],
        ['Account', finding.accountId],
        ['Region', finding.region],
      ]),
    ],
    affected: [{ kind: 'bucket', items: [bucket], total: 1 }],
    count: g.count,
    links: findingLinks(finding, group.jobId),
    occurredAt: g.lastAt,
    threadId: group.jobId ?? bucket,
  };
}
