import type { Alert } from '../core/alert';
import { deliverPending, lostAlertIds, outboxWrites, pendingIds, withPending } from '../delivery/outbox';
import type { EventReport } from '../core/event-report';
import { deliveryDeps, type PipelineDeps } from '../pipeline-deps';
import { atVersion, ConditionalWriteConflict, notExists, withOptimisticRetry, type Item, type WriteOp } from '../state/store';
import { expiresAt, keys, type ItemKey } from '../state/table';

/** The aggregate an event changes: the item as read and its next state (see Decision.aggregate). */
export interface AggregateChange {
  readonly key: ItemKey;
  /** As read: its version conditions the write, its `pendingAlerts` carry over. */
  readonly read: Item | undefined;
  /**
   * The next state without the bookkeeping every aggregate shares (key, version, pendingAlerts, expiresAt):
   * applyEventOnce stamps those, so no pipeline can get the version condition or the outbox set wrong.
   */
  readonly next: Item;
}

/** What one event does to its aggregate (findings group, policy finding, principal's reveals, single call). */
export interface Decision {
  /**
   * The aggregate that owns the new alerts (its `pendingAlerts` lists them until they are published).
   * Undefined for an event with no aggregate of its own (a single API call): the EVENT item owns them then.
   */
  readonly aggregate?: AggregateChange;
  readonly alerts: readonly Alert[];
  readonly reason?: string;
}

/**
 * Read-decide-write for one EventBridge event, exactly once per event id:
 * the EVENT item (put if absent), the aggregate's new state and the new alerts (outbox) go in ONE atomic
 * write. If the EVENT item already exists the event was applied before (a redelivery or a Lambda retry):
 * nothing is written, but the aggregate's pending alerts are delivered, which is how a retry after "state
 * written, publish failed" completes. A lost version condition recomputes from fresh state.
 *
 * `decide` gets the ids of alerts that already exist in the outbox from another event (so it must not
 * create them again): a guard for "the same logical alert never twice" even across different event ids.
 */
export async function applyEventOnce(
  deps: PipelineDeps,
  eventId: string,
  kind: string,
  decide: (existingAlertIds: ReadonlySet<string>) => Promise<Decision>,
): Promise<EventReport> {
  const existing = new Set<string>();
  let duplicate = false;
  const applied = await withOptimisticRetry(async () => {
    duplicate = false;
    const d = await decide(existing);
    const now = deps.now();
    const retention = deps.settings.stateRetentionDays;
    const alertIds = d.alerts.map((a) => a.id);
    const owner = d.aggregate?.key ?? keys.event(eventId);
    const eventItem: Item = {
      ...keys.event(eventId),
      kind,
      appliedAt: now.toISOString(),
      expiresAt: expiresAt(now, retention),
      // The owner as decided now: a retry may decide a different one (a finding's job started a new run
      // meanwhile), and must deliver the pending alerts of the owner this event actually wrote to.
      ownerPk: owner.pk,
      ownerSk: owner.sk,
      ...(d.aggregate ? {} : { version: 1, pendingAlerts: withPending(undefined, alertIds) }),
    };
    const stateOps: WriteOp[] = [];
    let ownerItem = eventItem;
    if (d.aggregate) {
      const { key, read, next } = d.aggregate;
      const version = typeof read?.version === 'number' ? read.version : undefined;
      ownerItem = {
        ...next,
        ...key,
        version: (version ?? 0) + 1,
        pendingAlerts: withPending(read?.pendingAlerts, alertIds),
        expiresAt: expiresAt(now, retention),
      };
      stateOps.push({ kind: 'put', item: ownerItem, condition: atVersion(version) });
    }
    const eventOp: WriteOp = { kind: 'put', item: eventItem, condition: notExists };
    const outbox = outboxWrites(d.alerts, owner, now, retention);
    const ops = [eventOp, ...stateOps, ...outbox];
    // The owner's pending ids after this write: the ones still pending from before plus the new ones.
    const result = { decision: d, owner, pending: pendingIds(ownerItem) };
    try {
      await deps.store.write(ops);
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict) || error.contention) throw error;
      if (error.failedIndexes.includes(0)) {
        duplicate = true;
        return result;
      }
      for (const id of lostAlertIds(error, ops)) existing.add(id);
      throw error;
    }
    return result;
  });
  const { decision, owner } = applied;

  const delivery = deliveryDeps(deps);
  if (duplicate) {
    deps.telemetry.info('Event already applied: delivering its pending alerts only', { eventId, kind });
    deps.telemetry.count('EventsDuplicate');
    const first = await appliedOwner(deps, eventId, owner);
    const delivered = await deliverPending(delivery, [{ owner: first.key, alertIds: pendingIds(first.item) }]);
    return { outcome: 'duplicate', published: delivered.published, reason: `event ${eventId} was already applied` };
  }

  deps.telemetry.count('EventsProcessed');
  if (decision.alerts.length === 0) deps.telemetry.count('AlertsSuppressed');
  const delivered = await deliverPending(delivery, [{ owner, alertIds: applied.pending }]);
  return {
    outcome: decision.alerts.length > 0 ? 'alerted' : 'grouped',
    published: delivered.published,
    created: decision.alerts,
    reason: decision.reason,
  };
}

/**
 * The owner an already applied event wrote its alerts to, as recorded on its EVENT item, and that owner's
 * item. EVENT items written before the owner was recorded fall back to the owner decided now. One read
 * when the two agree (the usual case).
 */
async function appliedOwner(deps: PipelineDeps, eventId: string, decided: ItemKey): Promise<{ key: ItemKey; item: Item | undefined }> {
  const eventKey = keys.event(eventId);
  const found = await deps.store.getMany([eventKey, decided]);
  const recorded = deps.store.lookup(found, eventKey);
  const key =
    typeof recorded?.ownerPk === 'string' && typeof recorded.ownerSk === 'string' ? { pk: recorded.ownerPk, sk: recorded.ownerSk } : decided;
  if (key.pk === decided.pk && key.sk === decided.sk) return { key, item: deps.store.lookup(found, key) };
  return { key, item: await deps.store.get(key) };
}
