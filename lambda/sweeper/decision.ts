import type { Alert } from '../core/alert';
import { lostAlertIds, outboxWrites } from '../delivery/outbox';
import type { PipelineDeps } from '../pipeline-deps';
import type { JobSweeperMarks, RunSweeperMarks } from '../state/job-items';
import { ConditionalWriteConflict, unchangedSince, withOptimisticRetry, type Item, type WriteOp } from '../state/store';
import type { ItemKey } from '../state/table';
import { errorText } from '../core/error-text';

/**
 * How every sweeper check raises its alerts once: decide on the item, then write the change and its alerts in one
 * write conditioned on the item's version; a lost condition reads afresh and decides again.
 */
export type Decide = (item: Item, now: Date) => Promise<Decision | undefined>;

export type Decision =
  | {
      readonly alerts: readonly Alert[];
      /** The item's new `sweeper` map (whole: the sweeper owns it), on a job or run item. */
      readonly sweeper: RunSweeperMarks | JobSweeperMarks;
    }
  | {
      readonly alerts: readonly Alert[];
      /**
       * The owner's own writes (at most 100 less the alerts), given the ids of the alerts they list in its
       * pendingAlerts (none when those alerts turn out to exist already); the first is conditional on the
       * item as read.
       */
      readonly writes: (alertIds: readonly string[]) => WriteOp[];
    };

export function isKeyed(item: Item): item is Item & { pk: string; sk: string } {
  return typeof item.pk === 'string' && typeof item.sk === 'string';
}

/**
 * Decide on the item as the index listed it and write with its version as the condition: a stale listed copy fails
 * the condition, and only then is the item read afresh, so a quiet sweep reads nothing per listed item.
 */
export async function applyDecision(deps: PipelineDeps, owner: ItemKey, listed: Item, decide: Decide): Promise<Alert[]> {
  let unread: Item | undefined = listed;
  return withOptimisticRetry(async () => {
    const item = unread ?? (await deps.store.get(owner));
    unread = undefined;
    if (!item) return [];
    const now = deps.now();
    const decision = await decide(item, now);
    if (!decision) return [];
    const ownerWrites = (ids: readonly string[]) => ('sweeper' in decision ? [ownerUpdate(owner, decision.sweeper, item, ids)] : decision.writes(ids));
    const ops = [...ownerWrites(decision.alerts.map((a) => a.id)), ...outboxWrites(decision.alerts, owner, now, deps.settings.stateRetentionDays)];
    try {
      await deps.store.write(ops);
    } catch (error) {
      // Only the ALERT puts lost: those alerts exist already (their mark was lost to a rewrite of the item by
      // code that does not keep it). Record the mark again, but never raise the same alert twice.
      const onlyAlertsLost =
        error instanceof ConditionalWriteConflict && error.failedIndexes.length > 0 && lostAlertIds(error, ops).length === error.failedIndexes.length;
      if (onlyAlertsLost) {
        await deps.store.write(ownerWrites([]));
        deps.telemetry.warn('sweeper: alert already raised, its mark was missing on the item', { key: `${owner.pk}/${owner.sk}` });
        return [];
      }
      throw error;
    }
    return [...decision.alerts];
  });
}

/** Writes the sweeper's marks, conditional on the version read, keeping every attribute it does not own. */
export function ownerUpdate(owner: ItemKey, sweeper: RunSweeperMarks | JobSweeperMarks, read: Item, ids: readonly string[]): WriteOp {
  const version = typeof read.version === 'number' ? read.version : undefined;
  return {
    kind: 'update',
    key: owner,
    expression: `SET #sweeper = :sweeper, #version = :next${ids.length > 0 ? ' ADD pendingAlerts :ids' : ''}`,
    names: { '#sweeper': 'sweeper', '#version': 'version' },
    values: { ':sweeper': sweeper, ':next': (version ?? 0) + 1, ...(ids.length > 0 ? { ':ids': new Set(ids) } : {}) },
    condition: unchangedSince(read),
  };
}

/** What sweeper checks raised, per owner, and what they could not do (the next sweep tries again). */
export interface CheckResult {
  readonly raised: { readonly owner: ItemKey; readonly alerts: readonly Alert[] }[];
  readonly failures: { readonly key: string; readonly reason: string }[];
}

/**
 * Runs the check of each owner on its own: an owner whose check fails (an unreadable item, a write that
 * keeps losing its condition) is listed with the reason, and the others go on.
 */
export async function checkEach<T extends { readonly owner: ItemKey }>(
  entries: Iterable<T>,
  check: (entry: T) => Promise<readonly Alert[]>,
  into: CheckResult = { raised: [], failures: [] },
): Promise<CheckResult> {
  for (const entry of entries) {
    try {
      const alerts = await check(entry);
      if (alerts.length > 0) into.raised.push({ owner: entry.owner, alerts });
    } catch (error) {
      into.failures.push({ key: `${entry.owner.pk}/${entry.owner.sk}`, reason: errorText(error) });
    }
  }
  return into;
}
