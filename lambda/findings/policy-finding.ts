import * as z from 'zod/mini';
import { details, type Alert } from '../core/alert';
import { maxIso, minIso } from '../core/iso-time';
import type { PipelineSettings } from '../core/settings';
import type { Aggregate, Step } from '../eventbridge/apply-batch-once';
import { bookkeepingItem, bookkeepingShape, compact, itemCodec, type Bookkeeping } from '../state/codec';
import { keys } from '../state/table';
import { alertSeverity, commonFields, findingLinks, iso, sampleNote, samplePrefix, typeInfo, UNKNOWN_BUCKET } from './finding-alert';
import type { FindingDetail } from './finding-events';
import { bucketDetails, policyActor, policyDetails } from './finding-format';

/**
 * One policy finding (and findings of an unknown category: one per id, alerted like policy findings).
 * Macie re-publishes a policy finding when it recurs, same id, count incremented: it alerts when new, then at
 * most once per policyFindingRepeatHours, saying how often it occurred since the last alert.
 */
export interface PolicyFinding extends Bookkeeping {
  readonly pk: string;
  readonly sk: string;
  readonly findingType: string;
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
  readonly alerts: number;
}

export const PolicyFindingCodec = itemCodec(
  'policy finding',
  z.object({
    ...bookkeepingShape,
    findingType: z.string(),
    bucket: z.optional(z.string()),
    accountId: z.string(),
    sample: z.boolean(),
    lastCount: z.number(),
    firstAt: z.string(),
    lastAt: z.string(),
    lastAlertAt: z.optional(z.string()),
    lastAlertCount: z.optional(z.number()),
    alerts: z.number(),
  }),
  (p: PolicyFinding) =>
    compact({
      pk: p.pk,
      sk: p.sk,
      findingType: p.findingType,
      bucket: p.bucket,
      accountId: p.accountId,
      sample: p.sample,
      lastCount: p.lastCount,
      firstAt: p.firstAt,
      lastAt: p.lastAt,
      lastAlertAt: p.lastAlertAt,
      lastAlertCount: p.lastAlertCount,
      alerts: p.alerts,
      ...bookkeepingItem(p),
    }),
);

export function policyFinding(findingId: string, settings: PipelineSettings): Aggregate<PolicyFinding, FindingDetail> {
  return { key: keys.policyFinding(findingId), codec: PolicyFindingCodec, step: (state, finding) => stepPolicyFinding(settings, state, finding) };
}

/** One occurrence of the finding: pure. */
export function stepPolicyFinding(settings: PipelineSettings, state: PolicyFinding | undefined, finding: FindingDetail): Step<PolicyFinding> {
  const eventAt = iso(finding.updatedAt);
  const lastAlertCount = state?.lastAlertCount ?? 0;
  const lastAlertAt = state?.lastAlertAt;
  const repeatMs = settings.policyFindingRepeatHours * 3_600_000;

  let due: boolean;
  let reason: string;
  if (finding.count <= lastAlertCount) {
    due = false;
    reason = `occurrence ${finding.count} already alerted (or an older one than the last alert)`;
  } else if (!lastAlertAt) {
    due = true;
    reason = finding.count === 1 ? 'new policy finding' : `first event seen for this finding (occurrence ${finding.count})`;
  } else if (Date.parse(eventAt) - Date.parse(lastAlertAt) >= repeatMs) {
    due = true;
    reason = `recurrence ${finding.count}, last alert at ${lastAlertAt}`;
  } else {
    due = false;
    reason = `recurrence ${finding.count} within ${settings.policyFindingRepeatHours} h of the last alert (${lastAlertAt})`;
  }
  const alert = due ? policyAlert(finding, `policy:${finding.id}:${finding.count}`, lastAlertCount, lastAlertAt) : undefined;
  return {
    state: {
      ...keys.policyFinding(finding.id),
      findingType: finding.type,
      bucket: finding.resourcesAffected?.s3Bucket?.name ?? undefined,
      accountId: finding.accountId,
      sample: finding.sample === true,
      lastCount: Math.max(state?.lastCount ?? 0, finding.count),
      firstAt: minIso(state?.firstAt, iso(finding.createdAt)),
      lastAt: maxIso(state?.lastAt, eventAt),
      lastAlertAt: due ? maxIso(lastAlertAt, eventAt) : lastAlertAt,
      lastAlertCount: due ? finding.count : lastAlertCount || undefined,
      alerts: (state?.alerts ?? 0) + (alert ? 1 : 0),
    },
    alert,
    reason,
  };
}
function policyAlert(finding: FindingDetail, id: string, lastAlertCount: number, lastAlertAt: string | undefined): Alert {
  const isPolicy = finding.category === 'POLICY' || (!finding.category && finding.type.startsWith('Policy:'));
  const { info, known } = typeInfo(finding, 'policy');
  const bucket = finding.resourcesAffected?.s3Bucket?.name ?? UNKNOWN_BUCKET;
  const actor = policyActor(finding.policyDetails);
  const api = finding.policyDetails?.action?.apiCallDetails?.api;
  const ip = finding.policyDetails?.actor?.ipAddressDetails;
  const recurrence =
    finding.count > 1
      ? ` This finding has now occurred ${finding.count} times (first on ${iso(finding.createdAt)})` +
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
    headline: `${samplePrefix(finding)}Macie policy finding: ${info.short} for bucket ${bucket}${finding.count > 1 ? ` (occurred ${finding.count} times)` : ''}`,
    whatHappened:
      `${finding.title ?? info.short}.${finding.description ? ` ${finding.description}` : ''}${recurrence}${by}` +
      (known ? '' : ' Macie reported a finding type this version does not recognise.') +
      sampleNote(finding),
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
      ...details([
        ['Account', finding.accountId],
        ['Region', finding.region],
        ['Finding id', finding.id],
        ['Sample', finding.sample ? 'yes (SAMPLE finding)' : undefined],
      ]),
    ],
    affected: [
      { kind: 'bucket', items: [bucket], total: 1 },
      ...(actor?.arn ? [{ kind: 'principal' as const, items: [actor.arn], total: 1 }] : []),
    ],
    count: 1,
    links: findingLinks(finding),
    occurredAt: iso(finding.updatedAt),
    threadId: finding.id,
  };
}
