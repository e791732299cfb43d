import type { Alert } from '../core/alert';
import { ConditionalWriteConflict, type WriteOp } from '../state/store';
import type { ItemKey } from '../state/table';
import type { Claimed } from './alert-item';
import {
  birthClaim,
  claimedOutboxWrites,
  lostAlertIds,
  PUBLISH_CHUNK,
  releaseBirthClaims,
  type BirthClaim,
  type BirthClaims,
  type DeliveryDeps,
} from './outbox';

/** DynamoDB's bound on one transaction. */
export const MAX_OPS_PER_TRANSACTION = 100;

/**
 * The outbox's part of a pipeline's state writes, across the attempts of one batch: the ALERT puts of new
 * alerts, the alerts found raised before ("alert already exists"), and the claims a write makes at birth.
 * The pipelines hand it write operations and ask it only whether an alert was raised before.
 */
export class OutboxWriter {
  private readonly raised = new Set<string>();

  constructor(private readonly deps: DeliveryDeps) {}

  /** Raised before: never put in the outbox again, so a recompute does not conflict forever. */
  raisedBefore(alertId: string): boolean {
    return this.raised.has(alertId);
  }

  get anyRaisedBefore(): boolean {
    return this.raised.size > 0;
  }

  /** One transaction. A lost condition on ALERT puts alone records those alerts as raised before; the error goes up. */
  async write(ops: readonly WriteOp[]): Promise<void> {
    try {
      await this.deps.store.write(ops);
    } catch (error) {
      // Ids are unique by construction, so an existing ALERT item means state was lost (an item deleted by hand,
      // say). Any other lost condition is a concurrent writer, whose state the retry decides from.
      if (error instanceof ConditionalWriteConflict) {
        const ids = lostAlertIds(error, ops);
        if (ids.length > 0 && ids.length === error.failedIndexes.length) {
          for (const id of ids) this.raised.add(id);
          this.deps.telemetry?.warn('alert already exists: not sent again', { alertIds: ids });
        }
      }
      throw error;
    }
  }

  /**
   * One attempt's state write. `claimAtBirth` when the write goes in one transaction: a retry after a
   * partial split would find the claims of the part that landed held.
   */
  attempt(claimAtBirth: boolean): OutboxAttempt {
    return new OutboxAttempt(this, this.deps, claimAtBirth ? birthClaim(this.deps) : undefined);
  }
}

/** One attempt: its alerts' puts, the first chunk claimed at birth, and the write of its units. */
export class OutboxAttempt {
  private readonly born: Claimed[] = [];

  constructor(
    private readonly writer: OutboxWriter,
    private readonly deps: DeliveryDeps,
    private readonly claim: BirthClaim | undefined,
  ) {}

  /** The ALERT puts of an owner's new alerts, the first of the write's PUBLISH_CHUNK born SENDING under the claim. */
  alertOps(alerts: readonly Alert[], owner: ItemKey, at: Date, retentionDays: number): WriteOp[] {
    const outbox = claimedOutboxWrites(alerts, owner, at, retentionDays, this.claim, PUBLISH_CHUNK - this.born.length);
    this.born.push(...outbox.claims);
    return outbox.ops;
  }

  /** Units (each written whole, with its alerts) in as few transactions as fit, in order. */
  async commit(units: readonly (readonly WriteOp[])[]): Promise<void> {
    for (const ops of packInOrder(units, MAX_OPS_PER_TRANSACTION)) {
      try {
        await this.writer.write(ops);
      } catch (error) {
        // The write may have landed with its answer lost: its birth claims go back to PENDING, unpublished.
        if (!(error instanceof ConditionalWriteConflict)) await releaseBirthClaims(this.deps, this.born);
        throw error;
      }
    }
  }

  /** What the write claimed at birth, for deliverPending. */
  births(): BirthClaims | undefined {
    return this.claim && this.born.length > 0 ? { claims: this.born, stampedAt: this.claim.stampedAt } : undefined;
  }
}

/** Consecutive units packed into transactions of at most `max` operations; a unit is never split. */
export function packInOrder(units: readonly (readonly WriteOp[])[], max: number): WriteOp[][] {
  const transactions: WriteOp[][] = [];
  let current: WriteOp[] = [];
  for (const unit of units) {
    if (current.length + unit.length > max && current.length > 0) {
      transactions.push(current);
      current = [];
    }
    current.push(...unit);
  }
  if (current.length > 0) transactions.push(current);
  return transactions;
}
