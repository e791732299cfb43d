import * as z from 'zod/mini';
import { truncateText } from '../core/sanitize';
import { compareIso, maxIso } from '../core/iso-time';
import type { Aggregate, Step } from '../eventbridge/aggregate';
import { bookkeepingItem, bookkeepingShape, compact, itemCodec, type Bookkeeping } from '../state/codec';
import { keys } from '../state/table';
import { healthAlert, jobIdsOf } from './health-alert';
import { descriptionOf, healthTime, type HealthNotice } from './health-events';

/**
 * One AWS Health event about Macie, per (account, event ARN): what its alerts have told. The first page
 * alerts; the same event again (a redelivery, Health's backup copy, another page) is folded in without an
 * alert; a new status (open -> closed), or a later update with a changed description, alerts once as an
 * update. Pages of a long event carry different affected entities: they are merged here, and an update
 * names them all.
 */

/** Affected entities kept per event: enough to name them in an alert, bounded item size. */
export const MAX_ENTITIES = 50;
/** Characters of the description kept: what an alert shows, and what tells a changed description. */
const MAX_DESCRIPTION = 4000;

export interface HealthEntity {
  readonly value: string;
  readonly status?: string;
}

export interface HealthEventState extends Bookkeeping {
  readonly pk: string;
  readonly sk: string;
  readonly accountId: string;
  readonly region: string;
  readonly eventArn: string;
  readonly eventTypeCode: string;
  readonly eventTypeCategory: string;
  readonly statusCode?: string;
  readonly startTime?: string;
  readonly endTime?: string;
  readonly lastUpdatedTime?: string;
  readonly description: string;
  readonly entities: readonly HealthEntity[];
  /** Distinct affected entities seen, entities holding the first MAX_ENTITIES. */
  readonly entityTotal: number;
  /** Pages folded in (page numbers as sent; "1" when the event has no pages). */
  readonly pages: readonly string[];
  readonly totalPages?: string;
  /** The name of the first job the entities name, as the job log told it (the JOB item). */
  readonly jobName?: string;
  readonly alerts: number;
  readonly lastAlertAt?: string;
}

export const HealthEventCodec = itemCodec(
  'health event',
  z.object({
    ...bookkeepingShape,
    accountId: z.string(),
    region: z.string(),
    eventArn: z.string(),
    eventTypeCode: z.string(),
    eventTypeCategory: z.string(),
    statusCode: z.optional(z.string()),
    startTime: z.optional(z.string()),
    endTime: z.optional(z.string()),
    lastUpdatedTime: z.optional(z.string()),
    description: z.string(),
    entities: z.array(z.object({ value: z.string(), status: z.optional(z.string()) })),
    entityTotal: z.number(),
    pages: z.array(z.string()),
    totalPages: z.optional(z.string()),
    jobName: z.optional(z.string()),
    alerts: z.number(),
    lastAlertAt: z.optional(z.string()),
  }),
  (s: HealthEventState) =>
    compact({
      pk: s.pk,
      sk: s.sk,
      accountId: s.accountId,
      region: s.region,
      eventArn: s.eventArn,
      eventTypeCode: s.eventTypeCode,
      eventTypeCategory: s.eventTypeCategory,
      statusCode: s.statusCode,
      startTime: s.startTime,
      endTime: s.endTime,
      lastUpdatedTime: s.lastUpdatedTime,
      description: s.description,
      entities: s.entities.map((e) => compact({ value: e.value, status: e.status })),
      entityTotal: s.entityTotal,
      pages: [...s.pages],
      totalPages: s.totalPages,
      jobName: s.jobName,
      alerts: s.alerts,
      lastAlertAt: s.lastAlertAt,
      ...bookkeepingItem(s),
    }),
);

/** @param jobNames names of the jobs the events' entities name, as the route read them */
export function healthEvent(accountId: string, eventArn: string, jobNames: ReadonlyMap<string, string> = new Map()): Aggregate<HealthEventState, HealthNotice> {
  return { key: keys.healthEvent(accountId, eventArn), codec: HealthEventCodec, step: (state, notice) => stepHealthEvent(state, notice, jobNames) };
}

/** What one delivery of a Health event is to what its alerts told: pure, with a named reason. */
export type HealthChange =
  | { readonly kind: 'new' }
  | { readonly kind: 'status-changed'; readonly from?: string; readonly to: string }
  | { readonly kind: 'description-updated' }
  | { readonly kind: 'another-page'; readonly page: string }
  | { readonly kind: 'older' }
  | { readonly kind: 'same' };

export function healthChange(state: HealthEventState | undefined, notice: HealthNotice): HealthChange {
  if (!state) return { kind: 'new' };
  const { detail } = notice;
  const updated = healthTime(detail.lastUpdatedTime);
  // An older copy sent late (Health retries, EventBridge does not order): it tells nothing new.
  if (updated && state.lastUpdatedTime && compareIso(updated, state.lastUpdatedTime) < 0) return { kind: 'older' };
  const status = detail.statusCode ?? undefined;
  if (status && status !== state.statusCode) return { kind: 'status-changed', from: state.statusCode, to: status };
  const newer = !!updated && (!state.lastUpdatedTime || compareIso(updated, state.lastUpdatedTime) > 0);
  if (newer && descriptionText(notice) !== state.description) return { kind: 'description-updated' };
  const page = pageOf(notice);
  if (!state.pages.includes(page)) return { kind: 'another-page', page };
  return { kind: 'same' };
}

/** One page of a Health event folded into what its alerts told: pure. */
export function stepHealthEvent(
  state: HealthEventState | undefined,
  notice: HealthNotice,
  jobNames: ReadonlyMap<string, string> = new Map(),
): Step<HealthEventState> {
  const change = healthChange(state, notice);
  const { detail } = notice;
  const merged = mergeEntities(state, notice);
  const page = pageOf(notice);
  const pages = state?.pages.includes(page) ? state.pages : [...(state?.pages ?? []), page];
  // An older copy changes nothing but the entities it may add.
  const latest =
    change.kind === 'older' && state
      ? { statusCode: state.statusCode, lastUpdatedTime: state.lastUpdatedTime, description: state.description, endTime: state.endTime }
      : {
          statusCode: detail.statusCode ?? state?.statusCode,
          lastUpdatedTime: maxIso(state?.lastUpdatedTime, healthTime(detail.lastUpdatedTime)),
          description: descriptionText(notice) || state?.description || '',
          endTime: healthTime(detail.endTime) ?? state?.endTime,
        };
  const alerts = state?.alerts ?? 0;
  const next: HealthEventState = {
    ...keys.healthEvent(notice.accountId, detail.eventArn),
    accountId: notice.accountId,
    region: notice.region,
    eventArn: detail.eventArn,
    eventTypeCode: detail.eventTypeCode,
    eventTypeCategory: detail.eventTypeCategory,
    startTime: healthTime(detail.startTime) ?? state?.startTime,
    ...latest,
    entities: merged.entities,
    entityTotal: merged.total,
    pages,
    totalPages: detail.totalPages != null ? String(detail.totalPages) : state?.totalPages,
    jobName: jobNameOf(merged.entities, jobNames) ?? state?.jobName,
    alerts,
    lastAlertAt: state?.lastAlertAt,
  };
  switch (change.kind) {
    case 'new':
    case 'status-changed':
    case 'description-updated': {
      const at = next.lastUpdatedTime ?? healthTime(notice.deliveredAt) ?? notice.deliveredAt;
      const alert = healthAlert(next, change, at);
      return { state: { ...next, alerts: alerts + 1, lastAlertAt: at }, alert, reason: changeReason(change, state) };
    }
    default:
      return { state: next, reason: changeReason(change, state) };
  }
}

function changeReason(change: HealthChange, state: HealthEventState | undefined): string {
  switch (change.kind) {
    case 'new':
      return 'first delivery of the Health event';
    case 'status-changed':
      return `status changed from ${change.from ?? 'none'} to ${change.to}: update alert`;
    case 'description-updated':
      return 'later update with a changed description: update alert';
    case 'another-page':
      return `page ${change.page} of the event: its affected entities merged, no alert`;
    case 'older':
      return `an older copy than the one told (${state?.lastUpdatedTime}): no alert`;
    case 'same':
      return 'the same event as told before: no alert';
  }
}

function jobNameOf(entities: readonly HealthEntity[], jobNames: ReadonlyMap<string, string>): string | undefined {
  const [first] = jobIdsOf({ entities });
  return first === undefined ? undefined : jobNames.get(first);
}

function descriptionText(notice: HealthNotice): string {
  return truncateText(descriptionOf(notice.detail), MAX_DESCRIPTION);
}

function pageOf(notice: HealthNotice): string {
  return notice.detail.page != null ? String(notice.detail.page) : '1';
}

/** Entities of the state and of this page (the envelope's resources too), by value: newer status wins. */
function mergeEntities(state: HealthEventState | undefined, notice: HealthNotice): { entities: HealthEntity[]; total: number } {
  const byValue = new Map<string, HealthEntity>((state?.entities ?? []).map((e) => [e.value, e]));
  let total = state?.entityTotal ?? 0;
  const fresh: HealthEntity[] = [
    ...(notice.detail.affectedEntities ?? []).map((e) => ({ value: e.entityValue, status: e.status ?? undefined })),
    ...notice.resources.map((value) => ({ value })),
  ];
  for (const entity of fresh) {
    if (entity.value === '') continue;
    const known = byValue.get(entity.value);
    if (known) {
      if (entity.status && entity.status !== known.status) byValue.set(entity.value, { ...known, status: entity.status });
      continue;
    }
    // Past the cap an entity is counted only; a repeat of one not kept is counted again (the cap's price).
    if (byValue.size < MAX_ENTITIES) byValue.set(entity.value, entity);
    total++;
  }
  return { entities: [...byValue.values()], total: Math.max(total, byValue.size) };
}
