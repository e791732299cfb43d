import type { Alert } from '../core/alert';
import type { AlertPublisher, PublishFailure } from './publisher';
import type { Telemetry } from '../core/telemetry';
import { ConditionalWriteConflict, keyString, notExists, sleep, type Item, type StateStore, type WriteOp } from '../state/store';
import { expiresAt, keys, type ItemKey } from '../state/table';
import { alertItemCodec, claimable, claimWrite, confirmWrite, releaseWrite, type Claimed, type OutboxAlert } from './alert-item';
import { CLAIM_MAX_MS, LEASE_MS, PUBLISH_WINDOW_MS } from './lease';
import { errorText } from '../core/error-text';
import { routeSms, type SmsBudget } from './sms-routing';
import type { SmsRoute } from './sms-budget';

/**
 * The outbox: every alert reaches SNS at least once, and the only copies that can repeat one are labelled.
 *
 *   1. state write: the aggregate (run, findings group, ...) and its new alerts go in one atomic write, the
 *      alerts as ALERT items with status PENDING and their ids in the aggregate's `pendingAlerts` set;
 *   2. claim: just before a PublishBatch call, its alerts go PENDING -> SENDING under a lease (one
 *      conditional write);
 *   3. publish;
 *   4. settle (one conditional write): what SNS took becomes SENT and leaves the owner's `pendingAlerts`;
 *      the rest goes back to PENDING and the invocation fails, so Lambda's retry, or any later invocation
 *      touching the same aggregate, or the sweeper, publishes it.
 *
 * A process that dies between 2 and 4 leaves its alerts SENDING. Once the lease has run out (lease.ts: longer
 * than a live delivery can take), any later delivery takes them over and publishes them again, labelled as a
 * possible repeat because SNS may have taken them already. An alert whose SNS answer never came goes back
 * to PENDING marked the same way. A thrown error is not a crash: the process that catches it settles what
 * it claimed before the error goes up. The cost of knowing: one conditional write per published chunk (4).
 */
export interface PendingAlerts {
  readonly owner: ItemKey;
  readonly alertIds: readonly string[];
}

export type DeliveryStep = 'claim' | 'publish' | 'settle';

export interface DeliveryDeps {
  readonly store: StateStore;
  readonly publisher: AlertPublisher;
  readonly now: () => Date;
  readonly retentionDays: number;
  /** Milliseconds left in this invocation (Lambda context); claiming stops when fewer than minRemainingMs are left. */
  readonly remainingMs?: () => number;
  readonly minRemainingMs?: number;
  /** Counts AlertsPublished / AlertsAlreadySent / AlertsRepublished here, once, for every pipeline. */
  readonly telemetry?: Telemetry;
  /** The SMS budget (sms-routing.ts): undefined when there is none, and every alert goes out with sms "true". */
  readonly smsBudget?: SmsBudget;
  /**
   * Test seam for thrown-error faults: called after each step; what it throws goes up like any error in
   * this process (what was claimed is settled first). Crashes are tested by killing a process instead.
   */
  readonly afterStep?: (step: DeliveryStep, alertIds: readonly string[]) => void | Promise<void>;
}

export interface DeliveryReport {
  readonly published: readonly Alert[];
  /** Alerts already sent, or held by another delivery within its lease. */
  readonly alreadySent: number;
}

export class DeliveryFailed extends Error {
  /**
   * @param failures the alerts SNS did not take (back to PENDING)
   * @param published the alerts of the same delivery that did go out
   */
  constructor(
    readonly failures: readonly PublishFailure[],
    readonly published: readonly Alert[] = [],
  ) {
    super(`${failures.length} alert(s) not published, released for retry: ${failures.map((f) => `${f.alertId} (${f.reason})`).join('; ')}`);
    this.name = 'DeliveryFailed';
  }
}

export class TimeBudgetExhausted extends Error {
  /** @param published the alerts published before the budget ran out */
  constructor(
    remaining: number,
    readonly published: readonly Alert[] = [],
  ) {
    super(`only ${remaining} ms left in this invocation: not claiming more alerts, the retry will publish them`);
    this.name = 'TimeBudgetExhausted';
  }
}

/** Alerts per PublishBatch call (SNS takes at most 10), and so per claim: a birth claim takes the first chunk. */
export const PUBLISH_CHUNK = 10;
/** A live delivery settles within CLAIM_MAX_MS of its claim, so a Lambda timeout never cuts one short. */
export const DEFAULT_MIN_REMAINING_MS = CLAIM_MAX_MS;

/** The ALERT items to write atomically with the aggregate that produced them. */
export function outboxWrites(alerts: readonly Alert[], owner: ItemKey, at: Date, retentionDays: number): WriteOp[] {
  return claimedOutboxWrites(alerts, owner, at, retentionDays, undefined, 0).ops;
}

/**
 * The first chunk of a state write's new alerts, claimed by that write: the alerts are born SENDING under a
 * lease, so their delivery needs neither a read nor a claim write (steps 1 and 2 in one request). Everything
 * the lease promises holds, because the state write is stamped and bounded like a claim write. The cost: an
 * invocation that dies after the state write lands and before it publishes leaves alerts that were never
 * sent marked as possibly sent, so their first copy is labelled a possible repeat (a claim write that lands
 * and is followed by a crash does the same). Claimed when at least minRemainingMs are left, as a claim is.
 */
export interface BirthClaims {
  readonly claims: readonly Claimed[];
  /** performance.now() before the state write was sent: the publish window is measured from it. */
  readonly stampedAt: number;
}

/** What a state write needs to claim its new alerts at birth: when, or undefined when too little time is left to claim. */
export interface BirthClaim {
  readonly claimedAt: string;
  readonly leaseExpiresAt: string;
  readonly stampedAt: number;
}

/** The milliseconds left when they are fewer than a delivery can take (no claim then), else undefined. */
function tooLittleTimeLeft(deps: DeliveryDeps): number | undefined {
  const remaining = deps.remainingMs?.();
  return remaining !== undefined && remaining < (deps.minRemainingMs ?? DEFAULT_MIN_REMAINING_MS) ? remaining : undefined;
}

export function birthClaim(deps: DeliveryDeps): BirthClaim | undefined {
  if (tooLittleTimeLeft(deps) !== undefined) return undefined;
  const stampedAt = performance.now();
  const now = deps.now();
  return { claimedAt: now.toISOString(), leaseExpiresAt: new Date(now.getTime() + LEASE_MS).toISOString(), stampedAt };
}

/**
 * Back to PENDING, unlabelled, for birth claims whose publish never started: the state write that made them
 * threw (it may or may not have landed), or something failed before delivery reached them. SNS never saw
 * them, so no copy is a repeat. One conditional write, all or nothing: if the state write did not land,
 * none of the claims exists and nothing changes. If even this fails they stay SENDING and are taken over,
 * labelled, once their lease runs out.
 */
export async function releaseBirthClaims(deps: Pick<DeliveryDeps, 'store' | 'now' | 'telemetry'>, claims: readonly Claimed[]): Promise<void> {
  if (claims.length === 0) return;
  const at = deps.now().toISOString();
  try {
    await deps.store.write(claims.map((c) => releaseWrite(c, at, false)));
  } catch (error) {
    if (error instanceof ConditionalWriteConflict && !error.contention) return;
    deps.telemetry?.error('could not release alerts claimed at birth: they stay SENDING until their lease runs out', {
      alertIds: claims.map((c) => c.alert.id),
      reason: errorText(error),
    });
  }
}

/**
 * outboxWrites, with the first `room` alerts (in id order) born SENDING under the birth claim: the ops, and the
 * claims to hand to deliverPending. `room` is what the write's earlier owners left of the first chunk (PUBLISH_CHUNK).
 */
export function claimedOutboxWrites(
  alerts: readonly Alert[],
  owner: ItemKey,
  at: Date,
  retentionDays: number,
  claim: BirthClaim | undefined,
  room: number,
): { ops: WriteOp[]; claims: Claimed[] } {
  const createdAt = at.toISOString();
  // The owner's pendingAlerts lists ids sorted, and delivery goes in that order: the birth claim takes the first.
  const claims: Claimed[] = claim
    ? [...alerts]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, Math.max(0, room))
        .map((alert) => ({ alert, owner, claimedAt: claim.claimedAt }))
    : [];
  const bornIds = new Set(claims.map((c) => c.alert.id));
  const ops = alerts.map((alert) => {
    const born = claim !== undefined && bornIds.has(alert.id);
    const delivery = born
      ? { status: 'SENDING' as const, claimedAt: claim.claimedAt, leaseExpiresAt: claim.leaseExpiresAt }
      : { status: 'PENDING' as const, since: createdAt };
    return {
      kind: 'put' as const,
      item: alertItemCodec.encode({ alert, owner, createdAt, expiresAt: expiresAt(at, retentionDays), delivery }),
      condition: notExists,
    };
  });
  return { ops, claims };
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
 * Publishes every pending alert of the given aggregates: PENDING ones, and SENDING ones whose lease has run
 * out (labelled). Alerts another delivery holds within its lease are left to it. Alerts go out in the order
 * given (callers give them in event order), ten to a PublishBatch call. Alerts their state write claimed at
 * birth (`births`, a chunk each) go first, as that write left them: they are neither read nor claimed again.
 */
export async function deliverPending(deps: DeliveryDeps, pending: readonly PendingAlerts[], births: readonly BirthClaims[] = []): Promise<DeliveryReport> {
  const ownerOf = new Map<string, ItemKey>();
  for (const p of pending) for (const id of p.alertIds) ownerOf.set(id, p.owner);
  if (ownerOf.size === 0) return { published: [], alreadySent: 0 };
  const born = births.map((b) => ({ claims: b.claims.filter((c) => ownerOf.has(c.alert.id)), stampedAt: b.stampedAt })).filter((b) => b.claims.length > 0);
  const bornIds = new Set(born.flatMap((b) => b.claims.map((c) => c.alert.id)));

  // Taken off as each chunk starts: what is left when delivery stops early was never handed to SNS.
  const unstarted = [...born];
  try {
    return await deliverAll(deps, ownerOf, unstarted, bornIds);
  } catch (error) {
    await releaseBirthClaims(
      deps,
      unstarted.flatMap((b) => b.claims),
    );
    throw error;
  }
}

async function deliverAll(deps: DeliveryDeps, ownerOf: Map<string, ItemKey>, unstarted: BirthClaims[], bornIds: ReadonlySet<string>): Promise<DeliveryReport> {
  // The stored item is the truth about status (a strongly consistent read).
  const ids = [...ownerOf.keys()].filter((id) => !bornIds.has(id));
  const stored = ids.length > 0 ? await deps.store.getMany(ids.map((id) => keys.alert(id))) : new Map<string, Item>();
  const now = deps.now();
  const toSend: OutboxAlert[] = [];
  const stale: string[] = [];
  let held = 0;
  for (const id of ids) {
    const item = deps.store.lookup(stored, keys.alert(id));
    const read = item && alertItemCodec.decode(item);
    // Sent (or expired): only the owner's set needs cleaning.
    if (!read || read.delivery.status === 'SENT') stale.push(id);
    else if (claimable(read, now)) toSend.push(read);
    else held++;
  }
  if (held > 0) deps.telemetry?.info('alerts held by another delivery within its lease: left to it, or to whoever takes them over after it', { count: held });

  const published: Alert[] = [];
  const failures: PublishFailure[] = [];
  let republished = 0;
  let alreadySent = stale.length + held;
  let cleanup = stale;
  for (let i = 0; unstarted.length > 0 || i < toSend.length || cleanup.length > 0; ) {
    let claimed: readonly Claimed[];
    let stampedAt: number;
    const next = unstarted.shift();
    if (next) {
      ({ claims: claimed, stampedAt } = next);
    } else {
      const chunk = toSend.slice(i, i + PUBLISH_CHUNK);
      i += PUBLISH_CHUNK;
      const remaining = chunk.length > 0 ? tooLittleTimeLeft(deps) : undefined;
      if (remaining !== undefined) throw new TimeBudgetExhausted(remaining, published);
      ({ claimed, stampedAt } = await claim(deps, chunk));
      alreadySent += chunk.length - claimed.length;
    }
    const claimedIds = claimed.map((c) => c.alert.id);

    let failed: readonly PublishFailure[] | undefined; // undefined: not handed to the publisher (yet)
    try {
      if (claimed.length > 0) {
        // Under the claim: a decision can only be recorded while the claim holds, and its time comes out of the publish window.
        const smsRoutes = await routeSms(deps, claimed);
        await deps.afterStep?.('claim', claimedIds);
        failed = await publish(deps, claimed, stampedAt, smsRoutes);
        await deps.afterStep?.('publish', claimedIds);
      }
    } catch (error) {
      await settleAfterError(deps, claimed, failed, cleanup, ownerOf);
      throw error;
    }
    const took = await settle(deps, claimed, failed ?? [], cleanup, ownerOf);
    cleanup = [];
    published.push(...took.map((c) => c.alert));
    republished += took.filter((c) => c.repeat).length;
    failures.push(...(failed ?? []));
    if (claimed.length > 0) await deps.afterStep?.('settle', claimedIds);
  }
  if (published.length > 0) deps.telemetry?.count('AlertsPublished', published.length);
  if (republished > 0) deps.telemetry?.count('AlertsRepublished', republished);
  if (alreadySent > 0) deps.telemetry?.count('AlertsAlreadySent', alreadySent);
  if (failures.length > 0) throw new DeliveryFailed(failures, published);
  return { published, alreadySent };
}

/**
 * PENDING (or expired SENDING) -> SENDING for the chunk, conditional on each item as read; returns the
 * claims this invocation won (others were claimed or settled elsewhere meanwhile) and when the winning
 * write was stamped (performance.now(): the publish window is measured from it).
 */
async function claim(deps: DeliveryDeps, chunk: readonly OutboxAlert[]): Promise<{ claimed: Claimed[]; stampedAt: number }> {
  let candidates = [...chunk];
  for (let attempt = 1; candidates.length > 0; attempt++) {
    const stampedAt = performance.now();
    const now = deps.now();
    const leaseExpiresAt = new Date(now.getTime() + LEASE_MS).toISOString();
    const writes = candidates.map((read) => claimWrite(read, now.toISOString(), leaseExpiresAt));
    try {
      await deps.store.write(writes.map((w) => w.op));
      return { claimed: writes.map((w) => w.claimed), stampedAt };
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict) || attempt >= 8) throw error;
      if (error.contention) {
        await sleep(Math.random() * 20 * attempt);
        continue;
      }
      const lost = new Set(error.failedIndexes);
      candidates = candidates.filter((_, i) => !lost.has(i));
    }
  }
  return { claimed: [], stampedAt: performance.now() };
}

/** Hands the claimed alerts to the publisher, labelled where an earlier delivery was interrupted. */
async function publish(
  deps: DeliveryDeps,
  claimed: readonly Claimed[],
  stampedAt: number,
  smsRoutes: ReadonlyMap<string, SmsRoute>,
): Promise<readonly PublishFailure[]> {
  const repeats = new Map(claimed.flatMap((c) => (c.repeat ? [[c.alert.id, c.repeat] as const] : [])));
  try {
    const { failed } = await deps.publisher.publish(
      claimed.map((c) => c.alert),
      { repeats, budgetMs: PUBLISH_WINDOW_MS - (performance.now() - stampedAt), ...(smsRoutes.size > 0 ? { smsRoutes } : {}) },
    );
    return failed;
  } catch (error) {
    // A publisher that throws (instead of reporting failures) cannot say what SNS took: any of them may be out.
    return claimed.map((c) => ({ alertId: c.alert.id, reason: `publish threw: ${errorText(error)}`, uncertain: true }));
  }
}

/**
 * One conditional write for the chunk: what SNS took becomes SENT and leaves its owner's `pendingAlerts`
 * (with the ids found already sent, `cleanup`); the rest goes back to PENDING, marked as interrupted where
 * SNS may have taken it. Returns the claims SNS took. A claim whose condition is lost was taken over after
 * its lease ran out (only a settle write slowed by a long run of transaction conflicts gets there): the
 * taker publishes and settles it, labelled.
 */
async function settle(
  deps: DeliveryDeps,
  claimed: readonly Claimed[],
  failed: readonly PublishFailure[],
  cleanup: readonly string[],
  ownerOf: Map<string, ItemKey>,
): Promise<Claimed[]> {
  const failedById = new Map(failed.map((f) => [f.alertId, f]));
  const took = claimed.filter((c) => !failedById.has(c.alert.id));
  const at = deps.now().toISOString();
  let settling = claimed.map((c) => {
    const f = failedById.get(c.alert.id);
    return { claim: c, sent: !f, op: f ? releaseWrite(c, at, f.uncertain === true) : confirmWrite(c, at) };
  });
  let cleanOwners = true;
  for (let attempt = 1; ; attempt++) {
    const alertOps = settling.map((s) => s.op);
    const sentIds = settling.filter((s) => s.sent).map((s) => s.claim.alert.id);
    const ownerOps = cleanOwners ? ownerUpdates([...sentIds, ...cleanup], ownerOf) : [];
    if (alertOps.length + ownerOps.length === 0) return took;
    try {
      await deps.store.write([...alertOps, ...ownerOps]);
      return took;
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict) || attempt >= 8) throw error;
      if (error.contention) {
        await sleep(Math.random() * 20 * attempt);
        continue;
      }
      const lost = new Set(error.failedIndexes.filter((i) => i < alertOps.length));
      // An owner that no longer exists (expired) has no set to clean.
      if (error.failedIndexes.some((i) => i >= alertOps.length)) cleanOwners = false;
      settling = settling.filter((_, i) => !lost.has(i));
    }
  }
}

/**
 * An error went up between claim and settle in this (living) process: settle what it claimed, as
 * unpublished when the publisher never got the alerts. If even that fails, they stay SENDING and are taken
 * over, labelled, once their lease runs out.
 */
async function settleAfterError(
  deps: DeliveryDeps,
  claimed: readonly Claimed[],
  failed: readonly PublishFailure[] | undefined,
  cleanup: readonly string[],
  ownerOf: Map<string, ItemKey>,
): Promise<void> {
  const notPublished = claimed.map((c) => ({ alertId: c.alert.id, reason: 'not published: delivery was interrupted by an error' }));
  try {
    await settle(deps, claimed, failed ?? notPublished, cleanup, ownerOf);
  } catch (error) {
    deps.telemetry?.error('could not settle claimed alerts after an error: they stay SENDING until their lease runs out', {
      alertIds: claimed.map((c) => c.alert.id),
      reason: errorText(error),
    });
  }
}

/**
 * Removes delivered ids from each owner's `pendingAlerts`. The version bump makes a concurrent
 * read-compute-write of the same aggregate start over, so it cannot put a delivered id back.
 */
function ownerUpdates(alertIds: readonly string[], ownerOf: Map<string, ItemKey>): WriteOp[] {
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
    expression: 'DELETE pendingAlerts :ids SET #version = if_not_exists(#version, :zero) + :one',
    names: { '#version': 'version' },
    values: { ':ids': new Set(ids), ':zero': 0, ':one': 1 },
    condition: { expression: 'attribute_exists(pk)' },
  }));
}
