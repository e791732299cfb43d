import * as z from 'zod/mini';
import { details, formatCount, type Alert } from '../core/alert';
import { macieJobLink } from '../core/links';
import type { FindingAlertsPer, PipelineSettings } from '../core/settings';
import { maxSeverity, severitiesPresent, type Severity } from '../core/severity';
import type { Guard } from '../eventbridge/aggregate';
import type { SilenceSubject } from '../silences/silence';
import { bookkeepingItem, bookkeepingShape, compact, itemCodec, type Bookkeeping } from '../state/codec';
import { notExists, type Condition } from '../state/store';
import { expiresAt, keys, UNKNOWN_RUN, type ItemKey } from '../state/table';
import { typeInfo } from './finding-alert';
import type { FindingDetail } from './finding-events';
import type { FindingsGroup, GroupOrigin } from './findings-group';

/**
 * A job run's sensitive-data findings rolled up per finding type (findingAlertsPer: type). The first bucket
 * of a type alerts at once, as every group's first finding did, and claims the run's roll-up of the type
 * (this item). A later bucket of that type counts in its own group as always, without an alert: the group is
 * marked with the roll-up it joins (`rolledUp`, listed in HELD_ROLLUP by when it is due), and the sweeper
 * names the marked buckets in one alert per type per repeatIntervalMinutes.
 *
 * Exactly once: a group is marked only while the roll-up it joins is still open (its write checks `open` in
 * the same transaction). A flush first closes the roll-up (open + 1, `flushing`), so no group can join it any
 * more; then it reads the run's groups and writes the alert, the roll-up's bookkeeping and the unmarking of
 * the first groups in one write conditional on their versions. Groups beyond one transaction are unmarked
 * afterwards: one left marked by a crash joined a roll-up already announced (after < open, not flushing),
 * and is only unmarked.
 */
export interface FindingsRollup extends Bookkeeping {
  readonly pk: string;
  readonly sk: string;
  readonly jobId: string;
  readonly runDate: string;
  readonly findingType: string;
  /** The bucket that alerted at once, with its account and Region: what the roll-up alerts say. */
  readonly firstBucket: string;
  readonly accountId: string;
  readonly region: string;
  /** The roll-up new groups join: a group marked with `after: open` is named by the flush that closes it. */
  readonly open: number;
  /** Between a flush closing the roll-up and the write that announces it. */
  readonly flushing?: boolean;
  /** When the current window started (wall clock): the claim, or the last roll-up alert. */
  readonly windowStart: string;
  /** Roll-up alerts sent, and the buckets they named. */
  readonly alerts: number;
  readonly bucketsNamed: number;
}

export const FindingsRollupCodec = itemCodec(
  'findings roll-up',
  z.object({
    ...bookkeepingShape,
    jobId: z.string(),
    runDate: z.string(),
    findingType: z.string(),
    firstBucket: z.string(),
    accountId: z.string(),
    region: z.string(),
    open: z.number(),
    flushing: z.optional(z.boolean()),
    windowStart: z.string(),
    alerts: z.number(),
    bucketsNamed: z.number(),
  }),
  (r: FindingsRollup) =>
    compact({
      pk: r.pk,
      sk: r.sk,
      jobId: r.jobId,
      runDate: r.runDate,
      findingType: r.findingType,
      firstBucket: r.firstBucket,
      accountId: r.accountId,
      region: r.region,
      open: r.open,
      flushing: r.flushing,
      windowStart: r.windowStart,
      alerts: r.alerts,
      bucketsNamed: r.bucketsNamed,
      ...bookkeepingItem(r),
    }),
);

/** A group's place in its type's roll-up: the roll-up it joined, and while it waits, when that is due. */
export interface RolledUp {
  readonly after: number;
  /** Set while the group waits to be named (listed in HELD_ROLLUP by it); gone once named. */
  readonly dueAt?: string;
}

/** Where a new group's first finding goes. */
export type GroupPlace =
  | { readonly kind: 'alone'; readonly reason: string }
  | { readonly kind: 'first'; readonly reason: string }
  | { readonly kind: 'rolled'; readonly after: number; readonly dueAt: string; readonly reason: string };

export interface PlaceInput {
  readonly alertsPer: FindingAlertsPer;
  readonly origin: GroupOrigin;
  readonly bucket: string;
  /** The run's roll-up of the type, as read (undefined: absent). */
  readonly rollup: FindingsRollup | undefined;
  /** Another new group of this type and run claimed the roll-up in this attempt. */
  readonly claimedInAttempt: boolean;
  readonly now: Date;
  readonly repeatIntervalMinutes: number;
}

/** Where a new group of a job run goes: alone (alerts at once), first of its type (alerts, claims), or rolled up. Pure. */
export function placeNewGroup(input: PlaceInput): GroupPlace {
  const { rollup } = input;
  if (input.alertsPer === 'bucket') return { kind: 'alone', reason: 'one alert per bucket (findingAlertsPer: bucket)' };
  if (input.origin !== 'job') return { kind: 'alone', reason: 'automated discovery and sample findings alert per bucket' };
  const intervalMs = input.repeatIntervalMinutes * 60_000;
  if (!rollup) {
    if (!input.claimedInAttempt) return { kind: 'first', reason: 'first bucket of its type in the run' };
    const dueAt = new Date(input.now.getTime() + intervalMs).toISOString();
    return { kind: 'rolled', after: 0, dueAt, reason: 'another bucket of this batch is the first of its type in the run: rolled up' };
  }
  if (rollup.firstBucket === input.bucket) return { kind: 'alone', reason: 'the bucket that first alerted for its type in the run' };
  if (rollup.flushing) {
    const dueAt = new Date(input.now.getTime() + intervalMs).toISOString();
    return { kind: 'rolled', after: rollup.open, dueAt, reason: `rolled up into the next alert for its type (roll-up ${rollup.open} is being sent)` };
  }
  const dueAt = new Date(Date.parse(rollup.windowStart) + intervalMs).toISOString();
  return {
    kind: 'rolled',
    after: rollup.open,
    dueAt,
    reason: `rolled up: its type alerts at most once per ${input.repeatIntervalMinutes} min in this run (next at ${dueAt})`,
  };
}

export function rollupKey(jobId: string, runDate: string, findingType: string): ItemKey {
  return keys.findingRollup(jobId, runDate, findingType);
}

/** What a new group's write checks of (or claims) its type's roll-up, in the same transaction. */
export function rollupGuard(place: GroupPlace, key: ItemKey, claim: () => FindingsRollup): Guard | undefined {
  if (place.kind === 'first') return { kind: 'put', item: FindingsRollupCodec.encode(claim()), condition: notExists };
  if (place.kind === 'rolled') return { kind: 'condition-check', key, condition: rollupOpenAt(place.after) };
  return undefined;
}

/** The roll-up still takes groups into `after`: no flush closed it since the route read it. */
export function rollupOpenAt(after: number): Condition {
  return { expression: '#open = :open', names: { '#open': 'open' }, values: { ':open': after } };
}

/** The roll-up a first bucket claims: nothing rolled up yet, its window starting now. */
export function claimedRollup(finding: FindingDetail, jobId: string, runDate: string, bucket: string, now: Date, retentionDays: number): FindingsRollup {
  return {
    ...rollupKey(jobId, runDate, finding.type),
    jobId,
    runDate,
    findingType: finding.type,
    firstBucket: bucket,
    accountId: finding.accountId,
    region: finding.region,
    open: 0,
    windowStart: now.toISOString(),
    alerts: 0,
    bucketsNamed: 0,
    version: 1,
    expiresAt: expiresAt(now, retentionDays),
  };
}

/** The marked groups of a roll-up, split: the ones its flush names, and the ones named before and only left marked. */
export function heldGroups(rollup: FindingsRollup, groups: readonly FindingsGroup[]): { readonly toName: FindingsGroup[]; readonly named: FindingsGroup[] } {
  const marked = groups.filter((g) => g.findingType === rollup.findingType && g.rolledUp?.dueAt !== undefined);
  const closing = rollup.open - 1;
  return {
    toName: rollup.flushing ? marked.filter((g) => g.rolledUp?.after === closing) : [],
    named: marked.filter((g) => (g.rolledUp?.after ?? 0) < (rollup.flushing ? closing : rollup.open)),
  };
}

/** The roll-up is due: its window has passed (the sweeper's clock). */
export function rollupDue(rollup: FindingsRollup, now: Date, settings: Pick<PipelineSettings, 'repeatIntervalMinutes'>): boolean {
  return rollup.flushing === true || now.getTime() >= Date.parse(rollup.windowStart) + settings.repeatIntervalMinutes * 60_000;
}

/** What silences are asked about a rolled-up bucket: its latest finding, as the pipeline asked of each. */
export function rolledUpSubject(g: FindingsGroup): SilenceSubject {
  return { type: g.findingType, at: g.lastAt, jobId: g.jobId, bucket: g.bucket, accountId: g.accountId };
}

/** Bucket names a roll-up alert lists in its text; every one is in its affected resources, up to ROLLUP_LISTED. */
const ROLLUP_IN_TEXT = 20;
export const ROLLUP_LISTED = 500;

function runText(r: FindingsRollup, jobName: string | undefined): string {
  return `Macie job ${jobName ? `"${jobName}" (${r.jobId})` : r.jobId}${r.runDate !== UNKNOWN_RUN ? ` (run ${r.runDate})` : ''}`;
}

/** "personal information in 37 more buckets: a, b, c, and 34 more": one alert for the buckets a window rolled up. */
/** `jobName`: the job's name, when the job log told it (its JOB item); the job id otherwise. */
export function rolledUpAlert(
  r: FindingsRollup,
  groups: readonly FindingsGroup[],
  settings: Pick<PipelineSettings, 'repeatIntervalMinutes'>,
  jobName?: string,
): Alert {
  const { info, known } = typeInfo({ type: r.findingType }, 'sensitive-data');
  const sorted = [...groups].sort((a, b) => b.count - a.count || (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0));
  const buckets = sorted.map((g) => g.bucket);
  const n = buckets.length;
  const findings = groups.reduce((sum, g) => sum + g.count, 0);
  const bySeverity: Partial<Record<Severity, number>> = {};
  for (const g of groups) for (const [s, c] of Object.entries(g.bySeverity)) bySeverity[s as Severity] = (bySeverity[s as Severity] ?? 0) + (c ?? 0);
  const severities = severitiesPresent(bySeverity);
  const breakdown = severities.map(([s, c]) => `${formatCount(c)} ${s.toLowerCase()}`).join(', ');
  const groupSeverity = maxSeverity(...severities.map(([s]) => s));
  const accounts = [...new Set(groups.map((g) => g.accountId))].sort();
  const plural = (k: number, one: string, many: string) => `${formatCount(k)} ${k === 1 ? one : many}`;
  const shown = buckets.slice(0, ROLLUP_IN_TEXT);
  const listed = buckets.slice(0, ROLLUP_LISTED);
  const rest = n - shown.length;
  return {
    id: `sd:${r.jobId}:${r.runDate}:${r.findingType}:rollup:${r.open}`,
    severity: known ? groupSeverity : maxSeverity(groupSeverity, 'MEDIUM'),
    category: 'SENSITIVE_DATA_FINDING',
    eventType: r.findingType,
    accountId: r.accountId,
    region: r.region,
    sample: false,
    job: { id: r.jobId, ...(jobName ? { name: jobName } : {}), runDate: r.runDate },
    // The count tells roll-ups of one run apart: it leads, before the job's name, which may be cut.
    headline: `Macie found ${info.short} in ${plural(n, 'more bucket', 'more buckets')} (job ${jobName || r.jobId})`,
    whatHappened:
      `${runText(r, jobName)} found ${info.short} in ${plural(n, 'more bucket', 'more buckets')}` +
      `${accounts.length > 1 ? ` of ${plural(accounts.length, 'account', 'accounts')}` : ''} (${plural(findings, 'finding', 'findings')}: ${breakdown}): ` +
      `${shown.join(', ')}${rest > 0 ? `, and ${formatCount(rest)} more` : ''}. ` +
      `The first bucket with this type of finding in this run, ${r.firstBucket}, alerted at once; further buckets are named together, ` +
      `at most once per ${settings.repeatIntervalMinutes} min per finding type (findingAlertsPer: type). The run summary has the full counts.` +
      (known ? '' : ' Macie reported a finding type this version does not recognise.'),
    whatItMeans: info.meaning,
    whatToDo: `${info.whatToDo} With this many buckets affected, review what the job scanned as a whole rather than bucket by bucket.`,
    details: details([
      ['Finding type', r.findingType],
      ['Buckets', formatCount(n)],
      ['Findings in them', formatCount(findings)],
      ['By severity', breakdown],
      ['Accounts', accounts.length > 1 ? formatCount(accounts.length) : accounts[0]],
      ['First bucket (alerted at once)', r.firstBucket],
      ['Source', runText(r, jobName)],
      ['Region', r.region],
    ]),
    affected: [
      { kind: 'bucket', items: listed, total: n },
      ...(accounts.length > 1 ? [{ kind: 'account' as const, items: accounts.slice(0, 10), total: accounts.length }] : []),
    ],
    count: findings,
    links: [{ label: 'Job in the Macie console', url: macieJobLink(r.region, r.jobId) }],
    occurredAt:
      groups
        .map((g) => g.lastAt)
        .sort()
        .at(-1) ?? r.windowStart,
    threadId: r.jobId,
  };
}
