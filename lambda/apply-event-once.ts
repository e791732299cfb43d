import type { Alert } from './alert';
import { deliverPending, outboxWrites, pendingIds, withPending } from './delivery';
import type { EventReport } from './event-report';
import { deliveryDeps, type PipelineDeps } from './pipeline-deps';
import { ConditionalWriteConflict, notExists, withOptimisticRetry, type WriteOp } from './store';
import { expiresAt, keys, type ItemKey } from './table';

/** What one event does to its aggregate (findings group, policy finding, principal's reveals, single call). */
export interface Decision {
  /**
   * The aggregate item that owns the new alerts (its `pendingAlerts` lists them until they are published).
   * Undefined for an event with no aggregate of its own (a single API call): the EVENT item owns them then.
   */
  readonly owner?: ItemKey;
  /** The aggregate's write, conditioned on the version that was read (optimistic concurrency). */
  readonly stateOps: readonly WriteOp[];
  readonly alerts: readonly Alert[];
  /** The aggregate's pending alert ids after this write: the ones still pending from before plus the new ones. */
  readonly pending: readonly string[];
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
  const decision = await withOptimisticRetry(async () => {
    duplicate = false;
    const d = await decide(existing);
    const now = deps.now();
    const retention = deps.settings.stateRetentionDays;
    const ownsAlerts = d.owner === undefined;
    const eventOp: WriteOp = {
      kind: 'put',
      item: {
        ...keys.event(eventId),
        kind,
        appliedAt: now.toISOString(),
        expiresAt: expiresAt(now, retention),
        ...(ownsAlerts ? { version: 1, pendingAlerts: withPending(undefined, d.alerts.map((a) => a.id)) } : {}),
      },
      condition: notExists,
    };
    const outbox = outboxWrites(d.alerts, d.owner ?? keys.event(eventId), now, retention);
    const ops = [eventOp, ...d.stateOps, ...outbox];
    try {
      await deps.store.write(ops);
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict) || error.contention) throw error;
      if (error.failedIndexes.includes(0)) {
        duplicate = true;
        return d;
      }
      const outboxStart = 1 + d.stateOps.length;
      for (const i of error.failedIndexes) if (i >= outboxStart) existing.add(d.alerts[i - outboxStart].id);
      throw error;
    }
    return d;
  });

  const delivery = deliveryDeps(deps);
  const owner = decision.owner ?? keys.event(eventId);
  if (duplicate) {
    deps.telemetry.info('Event already applied: delivering its pending alerts only', { eventId, kind });
    deps.telemetry.count('EventsDuplicate');
    const ownerItem = await deps.store.get(owner);
    const delivered = await deliverPending(delivery, [{ owner, alertIds: pendingIds(ownerItem) }]);
    return { outcome: 'duplicate', published: delivered.published, reason: `event ${eventId} was already applied` };
  }

  deps.telemetry.count('EventsProcessed');
  if (decision.alerts.length === 0) deps.telemetry.count('AlertsSuppressed');
  const known = new Map(decision.alerts.map((a) => [a.id, a]));
  const delivered = await deliverPending(delivery, [{ owner, alertIds: decision.pending }], known);
  return {
    outcome: decision.alerts.length > 0 ? 'alerted' : 'grouped',
    published: delivered.published,
    created: decision.alerts,
    reason: decision.reason,
  };
}

/** Ids still pending on the aggregate as read, plus the new ones. */
export function pendingAfter(item: Record<string, unknown> | undefined, alerts: readonly Alert[]): string[] {
  return [...new Set([...pendingIds(item), ...alerts.map((a) => a.id)])];
}
