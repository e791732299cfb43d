import type { Alert } from '../core/alert';
import type { Bookkeeping, ItemCodec } from '../state/codec';
import { keyString, type WriteOp } from '../state/store';
import type { ItemKey } from '../state/table';

/** One event of the batch, decoded and valid. */
export interface BatchEvent<E> {
  /** What makes two deliveries the same event (the finding id and count, the CloudTrail event id): its marker's key. */
  readonly key: string;
  /** The EventBridge event id, for logs. */
  readonly eventId: string;
  readonly event: E;
}

/** One event applied to an aggregate's state. */
export interface Step<S> {
  readonly state: S;
  readonly alert?: Alert;
  /** Why it alerted or was only counted (logs, replay). */
  readonly reason: string;
}

/**
 * An aggregate events change. `step` is pure and reads only the domain state, never the bookkeeping (version,
 * pendingAlerts, TTL: the engine keeps those). Folding events one at a time is what lets the engine cut a
 * group's events into several transactions: the state after each cut is the state after its last event.
 */
export interface Aggregate<S extends Bookkeeping, E> {
  readonly key: ItemKey;
  readonly codec: ItemCodec<S>;
  step(state: S | undefined, event: E): Step<S>;
  /**
   * What the route read that must still hold when the aggregate is written, written in the same transaction:
   * a condition on an item the route read, or a conditional update of it (a finding bumps its run's findings
   * ledger while the run is not summarised). When it no longer holds, the events go to another attempt, whose
   * route reads again.
   */
  readonly guard?: Guard;
  /**
   * More guards, on other items (a run's roll-up of the finding type). A `put` claims its item: it is written,
   * on its condition, with the aggregate's first write only (the aggregate's later units find it claimed). A
   * transaction names an item once: a claim stands for the checks on the same item of the other aggregates in
   * its transaction.
   */
  readonly guards?: readonly Guard[];
}

/**
 * An aggregate's guard: a condition on an item, a conditional update of it, or a conditional put that claims
 * it. At most one per item in a transaction, shared by every unit of the transaction that names it.
 */
export type Guard = Extract<WriteOp, { kind: 'condition-check' } | { kind: 'update' } | { kind: 'put' }>;

/** The item a guard names. */
export function guardItem(guard: Guard): ItemKey {
  return guard.kind === 'put' ? { pk: guard.item.pk as string, sk: guard.item.sk as string } : guard.key;
}

export const guardKey = (guard: Guard): string => keyString(guardItem(guard));

/** An event with no aggregate of its own (a single API call): its marker owns its alert. */
export interface SingleEvent<E> {
  readonly single: (event: E) => { readonly alert?: Alert; readonly reason?: string };
}

/** An event the route holds back, not applied now: SQS delivers it again (a finding whose run is not known yet). */
export interface HeldEvent {
  readonly held: string;
}

// biome-ignore lint/suspicious/noExplicitAny: aggregates of different state types are applied side by side; each one's S is its own business.
export type Target<E> = { readonly aggregate: Aggregate<any, E> } | SingleEvent<E> | HeldEvent;

/** The batch's events folded through an aggregate, one at a time in arrival order. */
export function fold<S extends Bookkeeping, E>(aggregate: Pick<Aggregate<S, E>, 'step'>, state: S | undefined, events: readonly E[]): Step<S>[] {
  const steps: Step<S>[] = [];
  let current = state;
  for (const event of events) {
    const step = aggregate.step(current, event);
    steps.push(step);
    current = step.state;
  }
  return steps;
}
