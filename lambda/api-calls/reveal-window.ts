import * as z from 'zod/mini';
import type { Alert } from '../core/alert';
import { maxIso } from '../core/iso-time';
import type { PipelineSettings } from '../core/settings';
import type { Aggregate, Step } from '../eventbridge/apply-batch-once';
import { bookkeepingItem, bookkeepingShape, compact, itemCodec, type Bookkeeping } from '../state/codec';
import { keys } from '../state/table';
import { callAlert, type CallContext } from './call-alert';
import { param } from './call-types';

/**
 * Reveals of sensitive data samples (GetSensitiveDataOccurrences) by one principal, per repeat window: the
 * first reveal of a window alerts; the rest are counted and reported with the next window's first reveal.
 */

/** Finding ids kept per principal's reveal window: enough to name them in the alert, bounded item size. */
const MAX_FINDING_IDS = 10;

export interface RevealWindow extends Bookkeeping {
  readonly pk: string;
  readonly sk: string;
  readonly principalArn: string;
  readonly principalType?: string;
  readonly windowStart: string;
  /** Reveals in the window so far. */
  readonly count: number;
  readonly findingIds: readonly string[];
  readonly lastAt: string;
  readonly lastAlertAt?: string;
  readonly alerts: number;
}

export const RevealWindowCodec = itemCodec(
  'reveal window',
  z.object({
    ...bookkeepingShape,
    principalArn: z.string(),
    principalType: z.optional(z.string()),
    windowStart: z.string(),
    count: z.number(),
    findingIds: z.array(z.string()),
    lastAt: z.string(),
    lastAlertAt: z.optional(z.string()),
    alerts: z.number(),
  }),
  (w: RevealWindow) =>
    compact({
      pk: w.pk,
      sk: w.sk,
      principalArn: w.principalArn,
      principalType: w.principalType,
      windowStart: w.windowStart,
      count: w.count,
      findingIds: [...w.findingIds],
      lastAt: w.lastAt,
      lastAlertAt: w.lastAlertAt,
      alerts: w.alerts,
      ...bookkeepingItem(w),
    }),
);

export function revealWindow(principalArn: string, settings: PipelineSettings): Aggregate<RevealWindow, CallContext> {
  return { key: keys.principalReveals(principalArn), codec: RevealWindowCodec, step: (state, ctx) => stepRevealWindow(principalArn, settings, state, ctx) };
}

/** One reveal by the principal: pure. */
export function stepRevealWindow(arn: string, settings: PipelineSettings, state: RevealWindow | undefined, ctx: CallContext): Step<RevealWindow> {
  const eventAt = new Date(ctx.record.eventTime).toISOString();
  const findingId = String(param(ctx.record.requestParameters, 'findingId') ?? '');
  const windowStart = state?.windowStart;
  const inWindow = !!windowStart && Date.parse(eventAt) - Date.parse(windowStart) < settings.repeatIntervalMinutes * 60_000;
  const prevCount = state?.count ?? 0;
  const prevIds = state?.findingIds ?? [];

  let alert: Alert | undefined;
  let next: Pick<RevealWindow, 'windowStart' | 'count' | 'findingIds'>;
  let reason: string;
  if (inWindow) {
    const ids = findingId && !prevIds.includes(findingId) && prevIds.length < MAX_FINDING_IDS ? [...prevIds, findingId] : prevIds;
    next = { windowStart, count: prevCount + 1, findingIds: ids };
    reason = `reveal ${prevCount + 1} by ${arn} since ${windowStart}: counted`;
  } else {
    const summary = windowStart && prevCount > 1 ? { earlier: prevCount - 1, since: windowStart, findingIds: prevIds } : undefined;
    alert = callAlert(ctx, summary);
    next = { windowStart: eventAt, count: 1, findingIds: findingId ? [findingId] : [] };
    reason = summary ? `first reveal of a new window, reporting ${summary.earlier} earlier reveal(s)` : 'first reveal of a window';
  }
  return {
    state: {
      ...keys.principalReveals(arn),
      principalArn: arn,
      principalType: ctx.principal.type,
      ...next,
      lastAt: maxIso(state?.lastAt, eventAt),
      lastAlertAt: alert ? eventAt : state?.lastAlertAt,
      alerts: (state?.alerts ?? 0) + (alert ? 1 : 0),
    },
    alert,
    reason,
  };
}
