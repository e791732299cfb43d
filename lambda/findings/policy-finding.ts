import * as z from 'zod/mini';
import { details, formatCount, type Alert } from '../core/alert';
import { maxIso, minIso } from '../core/iso-time';
import { decideRepeat, repeatDueAt, type RepeatDecision } from '../core/repeat-decision';
import type { PipelineSettings } from '../core/settings';
import type { Severity } from '../core/severity';
import type { Aggregate, Step } from '../eventbridge/aggregate';
import { describeAck, NO_ACKS, type Ack, type Acknowledger } from '../silences/ack';
import type { SilenceSubject } from '../silences/silence';
import { bookkeepingItem, bookkeepingShape, compact, itemCodec, type Bookkeeping } from '../state/codec';
import { GSI1, keys } from '../state/table';
import { alertSeverity, commonFields, findingIdentityDetails, findingLinks, iso, typeInfo, UNKNOWN_BUCKET } from './finding-alert';
import type { FindingDetail } from './finding-events';
import { bucketDetails, policyActor, policyDetails } from './finding-format';

/**
 * One policy finding (and findings of an unknown category: one per id, alerted like policy findings).
 * Macie re-publishes a policy finding when it recurs, same id, count incremented: it alerts when new, then at
 * most once per policyFindingRepeatHours, saying how often it occurred since the last alert. A recurrence
 * inside the window is held: reported by the next occurrence after the window, or, if none comes, by the
 * sweeper once the window has passed (flushHeldRecurrences), so no count waits for good.
 */
export interface PolicyFinding extends Bookkeeping {
  readonly pk: string;
  readonly sk: string;
  /** Absent on items written before the sweeper reported held recurrences (so are severity, region, title, category). */
  readonly findingId?: string;
  readonly findingType: string;
  /** Macie's severity and title of the latest occurrence, its Region and category: what a flush alert says. */
  readonly severity?: Severity;
  readonly region?: string;
  readonly title?: string;
  readonly category?: string;
  readonly bucket?: string;
  readonly accountId: string;
  readonly sample: boolean;
  /** The highest count seen. */
  readonly lastCount: number;
  readonly firstAt: string;
  readonly lastAt: string;
  readonly lastAlertAt?: string;
  /** The count the last alert was about. */
  readonly lastAlertCount?: number;
  /**
   * Set while occurrences after the last alert are held (lastCount > lastAlertCount): when the repeat window
   * ends. The item is listed in HELD_RECURRENCE by it, for the sweeper.
   */
  readonly heldUntil?: string;
  readonly alerts: number;
}

export const PolicyFindingCodec = itemCodec(
  'policy finding',
  z.object({
    ...bookkeepingShape,
    findingId: z.optional(z.string()),
    findingType: z.string(),
    severity: z.optional(z.enum(['LOW', 'MEDIUM', 'HIGH'])),
    region: z.optional(z.string()),
    title: z.optional(z.string()),
    category: z.optional(z.string()),
    bucket: z.optional(z.string()),
    accountId: z.string(),
    sample: z.boolean(),
    lastCount: z.number(),
    firstAt: z.string(),
    lastAt: z.string(),
    lastAlertAt: z.optional(z.string()),
    lastAlertCount: z.optional(z.number()),
    heldUntil: z.optional(z.string()),
    alerts: z.number(),
  }),
  (p: PolicyFinding) =>
    compact({
      pk: p.pk,
      sk: p.sk,
      findingId: p.findingId,
      findingType: p.findingType,
      severity: p.severity,
      region: p.region,
      title: p.title,
      category: p.category,
      bucket: p.bucket,
      accountId: p.accountId,
      sample: p.sample,
      lastCount: p.lastCount,
      firstAt: p.firstAt,
      lastAt: p.lastAt,
      lastAlertAt: p.lastAlertAt,
      lastAlertCount: p.lastAlertCount,
      heldUntil: p.heldUntil,
      alerts: p.alerts,
      ...(p.heldUntil ? { gsi1pk: GSI1.heldRecurrence, gsi1sk: p.heldUntil } : {}),
      ...bookkeepingItem(p),
    }),
);

export function policyFinding(findingId: string, settings: PipelineSettings, acks: Acknowledger = NO_ACKS): Aggregate<PolicyFinding, FindingDetail> {
  return { key: keys.policyFinding(findingId), codec: PolicyFindingCodec, step: (state, finding) => stepPolicyFinding(settings, state, finding, acks) };
}

/** One occurrence of the finding: pure. */
export function stepPolicyFinding(
  settings: PipelineSettings,
  state: PolicyFinding | undefined,
  finding: FindingDetail,
  acks: Acknowledger = NO_ACKS,
): Step<PolicyFinding> {
  const eventAt = iso(finding.updatedAt);
  const lastAlertCount = state?.lastAlertCount ?? 0;
  const lastAlertAt = state?.lastAlertAt;
  const repeatMs = settings.policyFindingRepeatHours * 3_600_000;

  const repeat = decideRepeat({
    alerted: !!lastAlertAt,
    dueAt: lastAlertAt ? repeatDueAt(lastAlertAt, repeatMs) : undefined,
    at: Date.parse(eventAt),
    ackAt: (at) => acks.subject(policyAckSubject(finding.id), at),
  });
  // An occurrence already counted never alerts again, whatever the window says.
  const told = finding.count <= lastAlertCount;
  const due = !told && repeat.kind !== 'hold';
  const reason = told
    ? `occurrence ${finding.count} already alerted (or an older one than the last alert)`
    : recurrenceReason(repeat, finding.count, lastAlertAt, settings);
  const alert = due ? policyAlert(finding, `policy:${finding.id}:${finding.count}`, lastAlertCount, lastAlertAt) : undefined;
  const lastCount = Math.max(state?.lastCount ?? 0, finding.count);
  const nextAlertAt = due ? maxIso(lastAlertAt, eventAt) : lastAlertAt;
  const nextAlertCount = due ? finding.count : lastAlertCount || undefined;
  const held = nextAlertAt !== undefined && lastCount > (nextAlertCount ?? 0);
  return {
    state: {
      ...keys.policyFinding(finding.id),
      findingId: finding.id,
      findingType: finding.type,
      severity: finding.severity,
      region: finding.region,
      title: finding.title ?? undefined,
      category: finding.category ?? undefined,
      bucket: finding.resourcesAffected?.s3Bucket?.name ?? undefined,
      accountId: finding.accountId,
      sample: finding.sample === true,
      lastCount,
      firstAt: minIso(state?.firstAt, iso(finding.createdAt)),
      lastAt: maxIso(state?.lastAt, eventAt),
      lastAlertAt: nextAlertAt,
      lastAlertCount: nextAlertCount,
      heldUntil: held ? new Date(Date.parse(nextAlertAt) + repeatMs).toISOString() : undefined,
      alerts: (state?.alerts ?? 0) + (alert ? 1 : 0),
    },
    alert,
    reason,
  };
}

/** Why an occurrence not alerted before alerts or waits, in words. */
function recurrenceReason(repeat: RepeatDecision<Ack>, count: number, lastAlertAt: string | undefined, settings: PipelineSettings): string {
  if (repeat.kind === 'first') return count === 1 ? 'new policy finding' : `first event seen for this finding (occurrence ${count})`;
  // Held, the recurrence waits in the count: the first alert after the acknowledgement reports it.
  if (repeat.ack) return `recurrence ${count} held: ${describeAck(repeat.ack)}`;
  if (repeat.kind === 'repeat') return `recurrence ${count}, last alert at ${lastAlertAt}`;
  return `recurrence ${count} within ${settings.policyFindingRepeatHours} h of the last alert (${lastAlertAt})`;
}

/** What a flush needs besides the state: the sweeper's clock, and the Region for items that did not record theirs. */
export interface FlushContext {
  readonly settings: PipelineSettings;
  readonly region: string;
  readonly now: Date;
}

/**
 * The occurrences a repeat window held, once it has passed (`now`, the sweeper's clock) with no later
 * occurrence to report them: one alert, "recurred N more times since the last alert". The next window starts
 * where this one ended, so the finding still alerts at most once per policyFindingRepeatHours; a later
 * occurrence starts a fresh count. Pure; undefined when nothing is due.
 */
export function flushHeldRecurrences(state: PolicyFinding, ctx: FlushContext): Step<PolicyFinding> | undefined {
  const { now } = ctx;
  const { heldUntil } = state;
  if (!heldUntil || decideRepeat({ alerted: true, dueAt: Date.parse(heldUntil), at: now.getTime() }).kind === 'hold') return undefined;
  const held = state.lastCount - (state.lastAlertCount ?? 0);
  const next = { ...state, lastAlertCount: state.lastCount, lastAlertAt: heldUntil, heldUntil: undefined };
  if (held <= 0) return { state: next, reason: 'nothing held' };
  return {
    state: { ...next, alerts: state.alerts + 1 },
    alert: heldRecurrencesAlert(state, held, ctx),
    reason: `${held} recurrence(s) held since ${state.lastAlertAt}: window ended at ${heldUntil}`,
  };
}

/** The finding's id; items written before findingId was kept have it in their key (keyPart leaves ids of Macie's length whole). */
export function policyFindingId(p: PolicyFinding): string {
  return p.findingId ?? p.pk.slice(keys.policyFinding('').pk.length);
}

/** What acknowledgements of the finding's alerts hold (lambda/silences/ack.ts: ackSubject). */
export function policyAckSubject(findingId: string): string {
  return `policy:${findingId}`;
}

/** What silences are asked about a flush: the finding as its latest occurrence was (the pipeline asks the same of each). */
export function policyFindingSubject(p: PolicyFinding): SilenceSubject {
  return { type: p.findingType, at: p.lastAt, bucket: p.bucket, accountId: p.accountId };
}

function isPolicyCategory(finding: Pick<FindingDetail, 'type'> & { readonly category?: string | null }): boolean {
  return finding.category === 'POLICY' || (!finding.category && finding.type.startsWith('Policy:'));
}
function policyAlert(finding: FindingDetail, id: string, lastAlertCount: number, lastAlertAt: string | undefined): Alert {
  const isPolicy = isPolicyCategory(finding);
  const { info, known } = typeInfo(finding, 'policy');
  const bucket = finding.resourcesAffected?.s3Bucket?.name ?? UNKNOWN_BUCKET;
  const actor = policyActor(finding.policyDetails);
  const api = finding.policyDetails?.action?.apiCallDetails?.api;
  const ip = finding.policyDetails?.actor?.ipAddressDetails;
  const recurrence =
    finding.count > 1
      ? ` This finding has now occurred ${formatCount(finding.count)} times (first on ${iso(finding.createdAt)})` +
        (lastAlertAt ? `; ${finding.count - lastAlertCount} occurrence(s) since the last alert at ${lastAlertAt}.` : '.')
      : '';
  const by = actor?.arn
    ? ` Made by ${actor.type ?? 'principal'} ${actor.arn}${api ? ` with ${api}` : ''}${ip?.ipAddressV4 ? ` from ${ip.ipAddressV4}${ip.ipCountry?.name ? ` (${ip.ipCountry.name})` : ''}` : ''}.`
    : '';
  return {
    id,
    severity: alertSeverity(finding, known),
    ...commonFields(finding, isPolicy ? 'POLICY_FINDING' : 'UNKNOWN_EVENT'),
    findingId: finding.id,
    // The recurrence count tells this alert from the finding's first: it comes before what a subject may cut.
    headline: `Macie policy finding${finding.count > 1 ? ` (occurred ${formatCount(finding.count)} times)` : ''}: ${info.short} for bucket ${bucket}`,
    whatHappened:
      `${finding.title ?? info.short}.${finding.description ? ` ${finding.description}` : ''}${recurrence}${by}` +
      (known ? '' : ' Macie reported a finding type this version does not recognise.'),
    whatItMeans: info.meaning,
    whatToDo: info.whatToDo,
    details: [
      ...details([
        ['Finding type', finding.type],
        ['Macie severity', finding.severity],
        ['Occurrences', finding.count],
        ['First seen', iso(finding.createdAt)],
        ['Last seen', iso(finding.updatedAt)],
      ]),
      ...bucketDetails(finding.resourcesAffected?.s3Bucket, bucket),
      ...policyDetails(finding.policyDetails),
      ...findingIdentityDetails(finding),
    ],
    affected: [{ kind: 'bucket', items: [bucket], total: 1 }, ...(actor?.arn ? [{ kind: 'principal' as const, items: [actor.arn], total: 1 }] : [])],
    count: 1,
    links: findingLinks(finding),
    occurredAt: iso(finding.updatedAt),
    threadId: finding.id,
  };
}

/** The flush of held recurrences: built from the stored state alone (the latest occurrence's event is gone). */
function heldRecurrencesAlert(p: PolicyFinding, held: number, { settings, region }: FlushContext): Alert {
  const findingId = policyFindingId(p);
  const finding = { id: findingId, type: p.findingType, accountId: p.accountId, region: p.region ?? region, sample: p.sample };
  const { info, known } = typeInfo(finding, 'policy');
  const bucket = p.bucket ?? UNKNOWN_BUCKET;
  const times = held === 1 ? '1 more time' : `${formatCount(held)} more times`;
  return {
    id: `policy:${findingId}:${p.lastCount}:held`,
    severity: alertSeverity({ severity: p.severity ?? 'MEDIUM' }, known),
    ...commonFields(finding, isPolicyCategory({ type: p.findingType, category: p.category }) ? 'POLICY_FINDING' : 'UNKNOWN_EVENT'),
    findingId,
    headline: `Macie policy finding (recurred ${times}): ${info.short} for bucket ${bucket}`,
    whatHappened:
      `${p.title ?? info.short}. This finding recurred ${times} since the last alert at ${p.lastAlertAt}: ` +
      `${formatCount(p.lastCount)} occurrences in all (first on ${p.firstAt}), the latest at ${p.lastAt}. ` +
      `Alerts for one finding are sent at most once per ${settings.policyFindingRepeatHours} h; that window ended at ${p.heldUntil} with no later occurrence, so this alert reports the ones it held.` +
      (known ? '' : ' Macie reported a finding type this version does not recognise.'),
    whatItMeans: info.meaning,
    whatToDo: info.whatToDo,
    details: details([
      ['Finding type', p.findingType],
      ['Macie severity', p.severity],
      ['Occurrences', p.lastCount],
      ['Since the last alert', held],
      ['Last alert at', p.lastAlertAt],
      ['First seen', p.firstAt],
      ['Last seen', p.lastAt],
      ['Bucket', bucket],
      ['Account', p.accountId],
      ['Region', finding.region],
      ['Sample', p.sample ? 'yes (SAMPLE finding)' : undefined],
    ]),
    affected: [{ kind: 'bucket', items: [bucket], total: 1 }],
    count: held,
    links: findingLinks(finding),
    occurredAt: p.lastAt,
    threadId: findingId,
  };
}
