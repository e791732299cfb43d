import type { Alert } from '../core/alert';
import { DeliveryFailed, deliverPending, pendingIds, TimeBudgetExhausted, type PendingAlerts } from '../delivery/outbox';
import { errorText } from '../core/error-text';
import { deliveryDeps, type PipelineDeps } from '../pipeline-deps';
import { keyString, type Item } from '../state/store';
import type { ItemKey } from '../state/table';

/** What a batch's writes left to deliver. */
export interface BatchDeliveryInput {
  /** Owners the batch wrote, by keyString, with their pending alerts after its last write. */
  readonly written: ReadonlyMap<string, { readonly owner: ItemKey; readonly pending: readonly string[] }>;
  /** Owners of events applied before (from their markers), by keyString. */
  readonly earlierOwners: ReadonlyMap<string, ItemKey>;
  /** Items as last read, by keyString: owners not read yet are read here. */
  readonly read: Map<string, Item>;
  /** The alerts the batch created, with their owners and the arrival of their events. */
  readonly created: readonly { readonly alert: Alert; readonly owner: ItemKey; readonly arrival: number }[];
}

/**
 * Publishes, in one delivery, the pending alerts the touched aggregates already held, then the new alerts in
 * the order of their events (as one event per invocation did). Alerts SNS refused, or that no time was left
 * to claim, stay PENDING; the events of their aggregates are returned as undelivered, so the caller lists
 * their records for SQS to deliver again within its visibility timeout: applied before, they change nothing
 * then, and deliver what is pending.
 */
export async function deliverBatch(deps: PipelineDeps, run: BatchDeliveryInput): Promise<{ published: Alert[]; undeliveredOwners: ReadonlySet<string> }> {
  const earlier: PendingAlerts[] = [];
  const createdIds = new Set(run.created.map((c) => c.alert.id));
  for (const { owner, pending } of run.written.values()) {
    const ids = pending.filter((id) => !createdIds.has(id));
    if (ids.length > 0) earlier.push({ owner, alertIds: ids });
  }
  const others = [...run.earlierOwners.entries()].filter(([k]) => !run.written.has(k));
  const unread = others.filter(([k]) => !run.read.has(k)).map(([, owner]) => owner);
  try {
    if (unread.length > 0) for (const [k, item] of await deps.store.getMany(unread)) run.read.set(k, item);
  } catch (error) {
    deps.telemetry.error('Could not read the owners of already applied events: their pending alerts wait for the sweeper', { error: errorText(error) });
  }
  for (const [k, owner] of others) {
    const ids = pendingIds(run.read.get(k));
    if (ids.length > 0) earlier.push({ owner, alertIds: ids });
  }
  const created = [...run.created].sort((a, b) => a.arrival - b.arrival).map(({ alert, owner }) => ({ owner, alertIds: [alert.id] }));
  const pending = [...earlier, ...created];
  if (pending.length === 0) return { published: [], undeliveredOwners: new Set() };

  try {
    return { published: [...(await deliverPending(deliveryDeps(deps), pending)).published], undeliveredOwners: new Set() };
  } catch (error) {
    // Anything but these (a DynamoDB error while claiming) fails the invocation: SQS delivers the whole
    // batch again, and its records, now duplicates, deliver their aggregates' pending alerts.
    if (!(error instanceof DeliveryFailed || error instanceof TimeBudgetExhausted)) throw error;
    // Refused by SNS, or (out of time) not reached at all.
    const sent = new Set(error.published.map((a) => a.id));
    const failedIds = error instanceof DeliveryFailed ? new Set(error.failures.map((f) => f.alertId)) : undefined;
    const undelivered = pending.filter((p) => p.alertIds.some((id) => (failedIds ? failedIds.has(id) : !sent.has(id))));
    deps.telemetry.error('Alerts not delivered: their records go back to SQS, which delivers them again', {
      error: errorText(error),
      alertIds: undelivered.flatMap((p) => p.alertIds).slice(0, 20),
    });
    return { published: [...error.published], undeliveredOwners: new Set(undelivered.map((p) => keyString(p.owner))) };
  }
}
