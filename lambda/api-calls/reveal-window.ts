import * as z from 'zod/mini';
import type { Alert } from '../core/alert';
import { maxIso } from '../core/iso-time';
import { decideRepeat, repeatDueAt } from '../core/repeat-decision';
import type { PipelineSettings } from '../core/settings';
import type { Aggregate, Step } from '../eventbridge/aggregate';
import type { SilenceSubject } from '../silences/silence';
import { bookkeepingItem, bookkeepingShape, compact, itemCodec, type Bookkeeping } from '../state/codec';
import { GSI1, keys } from '../state/table';
import { callAlert, heldRevealsAlert, REVEAL, type CallContext } from './call-alert';
import { param } from './call-types';

/**
 * Reveals of sensitive data samples (GetSensitiveDataOccurrences) by one principal, per repeat window: the
 * first reveal of a window alerts; the rest are counted and reported with the next window's first reveal,
 * or, if the principal reveals nothing more, by the sweeper once the window has ended (flushHeldReveals).
 */

/** Finding ids kept per principal's reveal window: enough to name them in the alert, bounded item size. */
const MAX_FINDING_IDS = 10;

export interface RevealWindow extends Bookkeeping {
  readonly pk: string;
  readonly sk: string;
  readonly principalArn: string;
  readonly principalType?: string;
  /** Short form of the principal, its account and the Region of its reveals: what a flush alert says. */
  readonly principalName?: string;
  readonly accountId?: string;
  readonly region?: string;
  readonly windowStart: string;
  /** Reveals in the window so far. */
  readonly count: number;
  /** Of those, how many an alert reported: the first, then all of them after a flush (absent: 1). */
  readonly reported?: number;
  /** Finding ids of the reveals not reported yet (and of the window's first), at most MAX_FINDING_IDS. */
  readonly findingIds: readonly string[];
  readonly lastAt: string;
  readonly lastAlertAt?: string;
  /** Set while reveals of the window are not reported: when the window ends (listed in HELD_REVEALS by it). */
  readonly heldUntil?: string;
  readonly alerts: number;
}

export const RevealWindowCodec = itemCodec(
  'reveal window',
  z.object({
    ...bookkeepingShape,
    principalArn: z.string(),
    principalType: z.optional(z.string()),
    principalName: z.optional(z.string()),
    accountId: z.optional(z.string()),
    region: z.optional(z.string()),
    windowStart: z.string(),
    count: z.number(),
    reported: z.optional(z.number()),
    findingIds: z.array(z.string()),
    lastAt: z.string(),
    lastAlertAt: z.optional(z.string()),
    heldUntil: z.optional(z.string()),
    alerts: z.number(),
  }),
  (w: RevealWindow) =>
    compact({
      pk: w.pk,
      sk: w.sk,
      principalArn: w.principalArn,
      principalType: w.principalType,
      principalName: w.principalName,
      accountId: w.accountId,
      region: w.region,
      windowStart: w.windowStart,
      count: w.count,
      reported: w.reported,
      findingIds: [...w.findingIds],
      lastAt: w.lastAt,
      lastAlertAt: w.lastAlertAt,
      heldUntil: w.heldUntil,
      alerts: w.alerts,
      ...(w.heldUntil ? { gsi1pk: GSI1.heldReveals, gsi1sk: w.heldUntil } : {}),
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
  const windowMs = settings.repeatIntervalMinutes * 60_000;
  // A window opens with the alert of its first reveal; a reveal inside it is counted, not alerted.
  const inWindow = decideRepeat({ alerted: !!windowStart, dueAt: repeatDueAt(windowStart, windowMs), at: Date.parse(eventAt) }).kind === 'hold';
  const prevCount = state?.count ?? 0;
  const prevReported = state?.reported ?? 1;
  const prevIds = state?.findingIds ?? [];

  let alert: Alert | undefined;
  let next: Pick<RevealWindow, 'windowStart' | 'count' | 'reported' | 'findingIds'>;
  let reason: string;
  if (inWindow && windowStart) {
    const ids = findingId && !prevIds.includes(findingId) && prevIds.length < MAX_FINDING_IDS ? [...prevIds, findingId] : prevIds;
    next = { windowStart, count: prevCount + 1, reported: prevReported, findingIds: ids };
    reason = `reveal ${prevCount + 1} by ${arn} since ${windowStart}: counted`;
  } else {
    const summary = windowStart && prevCount > prevReported ? { earlier: prevCount - prevReported, since: windowStart, findingIds: prevIds } : undefined;
    alert = callAlert(ctx, summary);
    next = { windowStart: eventAt, count: 1, reported: 1, findingIds: findingId ? [findingId] : [] };
    reason = summary ? `first reveal of a new window, reporting ${summary.earlier} earlier reveal(s)` : 'first reveal of a window';
  }
  const held = next.count > (next.reported ?? 1);
  return {
    state: {
      ...keys.principalReveals(arn),
      principalArn: arn,
      principalType: ctx.principal.type,
      principalName: ctx.principal.name,
      accountId: ctx.accountId,
      region: ctx.record.awsRegion,
      ...next,
      lastAt: maxIso(state?.lastAt, eventAt),
      lastAlertAt: alert ? eventAt : state?.lastAlertAt,
      heldUntil: held ? new Date(Date.parse(next.windowStart) + windowMs).toISOString() : undefined,
      alerts: (state?.alerts ?? 0) + (alert ? 1 : 0),
    },
    alert,
    reason,
  };
}

/**
 * The reveals a window held, once it has ended (`now`, the sweeper's clock) with no later reveal by the
 * principal to report them: one alert, "N more reveals since the last alert". A reveal after it opens a
 * new window as always (or, sent late with a time inside this one, is held and flushed in turn). Pure;
 * undefined when nothing is due.
 */
export function flushHeldReveals(
  state: RevealWindow,
  ctx: { readonly settings: PipelineSettings; readonly region: string; readonly now: Date },
): Step<RevealWindow> | undefined {
  const { heldUntil } = state;
  if (!heldUntil || decideRepeat({ alerted: true, dueAt: Date.parse(heldUntil), at: ctx.now.getTime() }).kind === 'hold') return undefined;
  const held = state.count - (state.reported ?? 1);
  const next = { ...state, reported: state.count, findingIds: [], heldUntil: undefined };
  if (held <= 0) return { state: next, reason: 'nothing held' };
  return {
    state: { ...next, lastAlertAt: state.lastAt, alerts: state.alerts + 1 },
    alert: heldRevealsAlert(state, held, ctx),
    reason: `${held} reveal(s) by ${state.principalArn} held since ${state.windowStart}: window ended at ${heldUntil}`,
  };
}

/** What silences are asked about a flush: the principal's latest reveal (the pipeline asks the same of each). */
export function revealWindowSubject(w: RevealWindow): SilenceSubject {
  return { type: REVEAL, at: w.lastAt, accountId: w.accountId };
}
