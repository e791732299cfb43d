import type { Alert } from '../core/alert';
import type { AlertPublisher, PublishFailure } from './publisher';
import type { Telemetry } from '../core/telemetry';
import { ConditionalWriteConflict, keyString, notExists, sleep, type Item, type StateStore, type WriteOp } from '../state/store';
import { GSI1, expiresAt, keys, type ItemKey } from '../state/table';

/**
 * The outbox that makes alerts exactly-once per group across Lambda retries.
 *
 *   1. state write: the aggregate (run, findings group, ...) and its new alerts go in one atomic write, the
 *      alerts as ALERT items with status PENDING and their ids in the aggregate's `pendingAlerts` set;
 *   2. claim: just before a PublishBatch call, its alerts flip PENDING -> SENT (conditional, one write);
 *   3. publish; alerts SNS did not take are released (SENT -> PENDING) and the invocation fails, so Lambda's
 *      retry, or any later invocation touching the same aggregate, or the sweeper, publishes them.
 *
 * A retry never re-publishes a claimed alert, and never loses a pending one. The one window left is a
 * process killed between a claim and SNS's answer; `minRemainingMs` (default 30 s, more than a chunk's bounded
 * publish and release take: see handlers/runtime.ts) keeps a Lambda timeout from landing there.
 */
export interface PendingAlerts {
  readonly owner: ItemKey;
  readonly alertIds: readonly string[];
}

export type DeliveryStep = 'claim' | 'publish' | 'release';

export interface DeliveryDeps {
  readonly store: StateStore;
  readonly publisher: AlertPublisher;
  readonly now: () => Date;
  readonly retentionDays: number;
  /** Milliseconds left in this invocation (Lambda context); claiming stops when fewer than minRemainingMs are left. */
  readonly remainingMs?: () => number;
  readonly minRemainingMs?: number;
  /** Counts AlertsPublished / AlertsAlreadySent here, once, for every pipeline. */
  readonly telemetry?: Telemetry;
  /** Test seam for fault injection: called after each step; a throw here is a crash at that point. */
  readonly afterStep?: (step: DeliveryStep, alertIds: readonly string[]) => void | Promise<void>;
}

export interface DeliveryReport {
  readonly published: readonly Alert[];
  readonly alreadySent: number;
}

export class DeliveryFailed extends Error {
  constructor(readonly failures: readonly PublishFailure[]) {
    super(`${failures.length} alert(s) not published, released for retry: ${failures.map((f) => `${f.alertId} (${f.reason})`).join('; ')}`);
    this.name = 'DeliveryFailed';
  }
}

export class TimeBudgetExhausted extends Error {
  constructor(remaining: number) {
    super(`only ${remaining} ms left in this invocation: not claiming more alerts, the retry will publish them`);
    this.name = 'TimeBudgetExhausted';
  }
}

const PUBLISH_CHUNK = 10;
export const DEFAULT_MIN_REMAINING_MS = 30_000;

/** The ALERT items to write atomically with the aggregate that produced them. */
export function outboxWrites(alerts: readonly Alert[], owner: ItemKey, at: Date, retentionDays: number): WriteOp[] {
  return alerts.map((alert) => ({
    kind: 'put' as const,
    item: {
      ...keys.alert(alert.id),
      alertId: alert.id,
      status: 'PENDING',
      alert: JSON.stringify(alert),
      ownerPk: owner.pk,
      ownerSk: owner.sk,
      createdAt: at.toISOString(),
      gsi1pk: GSI1.pendingAlert,
      gsi1sk: at.toISOString(),
      expiresAt: expiresAt(at, retentionDays),
    },
    condition: notExists,
  }));
}

/**
 * The alerts of a write that already exist: the ALERT puts (outboxWrites) among the ops whose condition
 * failed. Ids are unique by construction, so each is an alert raised before that must not be raised again.
 * Empty for a write cancelled by contention (no condition was evaluated as failed).
 */
export function lostAlertIds(error: ConditionalWriteConflict, ops: readonly WriteOp[]): string[] {
  if (error.contention) return [];
  return error.failedIndexes.flatMap((i) => {
    const op = ops[i];
    return op?.kind === 'put' && typeof op.item.alertId === 'string' ? [op.item.alertId] : [];
  });
}

/** The aggregate's `pendingAlerts` after adding new ids (DynamoDB string sets cannot be empty: undefined then). */
export function withPending(current: unknown, added: readonly string[]): Set<string> | undefined {
  const set = new Set<string>(current instanceof Set ? (current as Set<string>) : []);
  for (const id of added) set.add(id);
  return set.size > 0 ? set : undefined;
}

export function pendingIds(item: Item | undefined): string[] {
  const value = item?.pendingAlerts;
  return value instanceof Set ? [...(value as Set<string>)] : [];
}

/**
 * Publishes every pending alert of the given aggregates exactly once. `known` holds alert bodies already in
 * memory (just computed); others are read from their ALERT items.
 */
export async function deliverPending(
  deps: DeliveryDeps,
  pending: readonly PendingAlerts[],
  known: ReadonlyMap<string, Alert> = new Map(),
): Promise<DeliveryReport> {
  const ownerOf = new Map<string, ItemKey>();
  for (const p of pending) for (const id of p.alertIds) ownerOf.set(id, p.owner);
  if (ownerOf.size === 0) return { published: [], alreadySent: 0 };

  // The stored item is the truth about status; bodies come from memory when we have them.
  const stored = await deps.store.getMany([...ownerOf.keys()].map((id) => keys.alert(id)));
  const toSend: Alert[] = [];
  const stale: string[] = [];
  for (const id of [...ownerOf.keys()].sort()) {
    const item = deps.store.lookup(stored, keys.alert(id));
    if (item?.status === 'PENDING') toSend.push(known.get(id) ?? (JSON.parse(String(item.alert)) as Alert));
    else stale.push(id); // already claimed by another invocation (or expired): only the owner's set needs cleaning
  }

  const published: Alert[] = [];
  const failures: PublishFailure[] = [];
  let alreadySent = stale.length;
  let cleanup = stale;
  for (let i = 0; i < toSend.length || cleanup.length > 0; i += PUBLISH_CHUNK) {
    const chunk = toSend.slice(i, i + PUBLISH_CHUNK);
    if (chunk.length > 0) {
      const remaining = deps.remainingMs?.();
      if (remaining !== undefined && remaining < (deps.minRemainingMs ?? DEFAULT_MIN_REMAINING_MS)) throw new TimeBudgetExhausted(remaining);
    }
    const claimed = await claim(deps, chunk, cleanup, ownerOf);
    cleanup = [];
    alreadySent += chunk.length - claimed.length;
    if (claimed.length === 0) continue;
    await deps.afterStep?.('claim', claimed.map((a) => a.id));

    let failed: readonly PublishFailure[];
    try {
      ({ failed } = await deps.publisher.publish(claimed));
    } catch (error) {
      // A publisher that throws (instead of reporting failures) is not a crash: SNS took none of these,
      // so they go back to PENDING like any reported failure.
      failed = claimed.map((a) => ({ alertId: a.id, reason: `publish threw: ${error instanceof Error ? error.message : String(error)}` }));
    }
    const failedIds = new Set(failed.map((f) => f.alertId));
    published.push(...claimed.filter((a) => !failedIds.has(a.id)));
    await deps.afterStep?.('publish', claimed.map((a) => a.id));
    if (failed.length > 0) {
      await release(deps, claimed.filter((a) => failedIds.has(a.id)), ownerOf);
      failures.push(...failed);
      await deps.afterStep?.('release', [...failedIds]);
    }
  }
  if (published.length > 0) deps.telemetry?.count('AlertsPublished', published.length);
  if (alreadySent > 0) deps.telemetry?.count('AlertsAlreadySent', alreadySent);
  if (failures.length > 0) throw new DeliveryFailed(failures);
  return { published, alreadySent };
}

/** Flips PENDING -> SENT for the chunk; returns the alerts this invocation won (others were claimed elsewhere). */
async function claim(deps: DeliveryDeps, chunk: readonly Alert[], cleanup: readonly string[], ownerOf: Map<string, ItemKey>): Promise<Alert[]> {
  let candidates = [...chunk];
  let cleanOwners = true;
  for (let attempt = 1; ; attempt++) {
    const at = deps.now().toISOString();
    const alertOps: WriteOp[] = candidates.map((a) => ({
      kind: 'update',
      key: keys.alert(a.id),
      expression: 'SET #status = :sent, claimedAt = :at REMOVE gsi1pk, gsi1sk',
      names: { '#status': 'status' },
      values: { ':sent': 'SENT', ':at': at },
      condition: { expression: '#status = :pending', names: { '#status': 'status' }, values: { ':pending': 'PENDING' } },
    }));
    const ownerOps = cleanOwners ? ownerUpdates([...candidates.map((a) => a.id), ...cleanup], ownerOf, 'DELETE') : [];
    try {
      await deps.store.write([...alertOps, ...ownerOps]);
      return candidates;
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict) || attempt >= 8) throw error;
      if (error.contention) {
        await sleep(Math.random() * 20 * attempt);
        continue;
      }
      const lost = new Set(error.failedIndexes.filter((i) => i < alertOps.length).map((i) => candidates[i].id));
      // An owner that no longer exists (expired) has no set to clean.
      if (error.failedIndexes.some((i) => i >= alertOps.length)) cleanOwners = false;
      candidates = candidates.filter((a) => !lost.has(a.id));
      if (candidates.length === 0 && (!cleanOwners || cleanup.length === 0)) return [];
    }
  }
}

async function release(deps: DeliveryDeps, alerts: readonly Alert[], ownerOf: Map<string, ItemKey>): Promise<void> {
  const at = deps.now().toISOString();
  await deps.store.write([
    ...alerts.map(
      (a): WriteOp => ({
        kind: 'update',
        key: keys.alert(a.id),
        expression: 'SET #status = :pending, gsi1pk = :gsi, gsi1sk = :at REMOVE claimedAt',
        names: { '#status': 'status' },
        values: { ':pending': 'PENDING', ':gsi': GSI1.pendingAlert, ':at': at },
      }),
    ),
    ...ownerUpdates(alerts.map((a) => a.id), ownerOf, 'ADD'),
  ]);
}

/**
 * Keeps each owner's `pendingAlerts` in step. The version bump makes a concurrent read-compute-write of the
 * same aggregate start over, so it can neither resurrect a claimed id nor drop a released one.
 */
function ownerUpdates(alertIds: readonly string[], ownerOf: Map<string, ItemKey>, action: 'ADD' | 'DELETE'): WriteOp[] {
  const byOwner = new Map<string, { key: ItemKey; ids: string[] }>();
  for (const id of alertIds) {
    const owner = ownerOf.get(id);
    if (!owner) continue;
    const k = keyString(owner);
    const entry = byOwner.get(k) ?? { key: owner, ids: [] };
    entry.ids.push(id);
    byOwner.set(k, entry);
  }
  return [...byOwner.values()].map(({ key, ids }) => ({
    kind: 'update' as const,
    key,
    expression: `${action} pendingAlerts :ids SET #version = if_not_exists(#version, :zero) + :one`,
    names: { '#version': 'version' },
    values: { ':ids': new Set(ids), ':zero': 0, ':one': 1 },
    condition: { expression: 'attribute_exists(pk)' },
  }));
}
