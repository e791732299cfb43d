import type { Alert } from '../core/alert';
import { errorText } from '../core/error-text';
import { DEFAULT_MIN_REMAINING_MS, outboxWrites } from '../delivery/outbox';
import { MAX_OPS_PER_TRANSACTION, OutboxWriter } from '../delivery/outbox-writer';
import { deliveryDeps, type PipelineDeps } from '../pipeline-deps';
import { silencedCounts, withSilenced, type Silence } from '../silences/silence';
import { CorruptItemError, type Bookkeeping, type SilencedEvents } from '../state/codec';
import { atVersion, ConditionalWriteConflict, keyString, notExists, sleep, unchangedSince, type Item, type WriteOp } from '../state/store';
import { expiresAt, keys, type ItemKey } from '../state/table';
import { silenceTallyCount, silenceTallyWrites } from '../silences/silence-tally';
import { fold, guardKey, type Aggregate, type BatchEvent, type Guard, type HeldEvent, type SingleEvent, type Step, type Target } from './aggregate';
import { AttemptReads } from './attempt-reads';
import { deliverBatch } from './batch-delivery';
import { EventMarkerCodec } from './event-marker';
import { costIn, placeUnit, type PackedItems } from './transaction-packing';

/**
 * A batch of EventBridge events applied exactly once, whatever SQS and EventBridge redeliver:
 *
 *   1. route: each event to the aggregate it changes (findings group, policy finding, reveal window), or to
 *      none (a single API call, whose marker owns its alert);
 *   2. read the aggregates (with what the route read to place the events), in one BatchGetItem per 100 keys;
 *   3. fold: each aggregate's new events, in arrival order, through its pure step: next state and alerts;
 *   4. write: transactions of up to 100 operations, each holding whole units: an aggregate put conditional
 *      on the version read, a marker per event it now counts (put if absent), and its new alerts (the
 *      outbox). An aggregate with more events than fit one transaction is cut into several units, each
 *      consistent on its own (the state after its last event, conditional on the previous unit's version);
 *   5. deliver the pending alerts of every aggregate touched, and of those whose events were applied before.
 *
 * The first attempt does not read the markers: events are new far more often than not, and a marker that
 * exists fails its transaction's condition anyway. Any lost condition (an event applied before or by another
 * invocation at the same time, an aggregate another invocation wrote first, an item the route read that
 * changed: the aggregate's guard) sends the events of the units
 * that lost to another attempt, which reads their markers with their aggregates: events already applied
 * are left out (their owners' pending alerts are delivered), the rest are folded again from fresh state. So
 * two batches on the same group at once lose no count and count nothing twice, and a redelivered batch
 * changes nothing. Events that still cannot be written after ATTEMPTS, or whose write failed for another
 * reason, are reported `failed`: the caller lists their records in batchItemFailures and SQS delivers them
 * again.
 */

export interface BatchPlan<E> {
  /** The pipeline, recorded on the markers: finding, api-call. */
  readonly kind: string;
  /** Unique by key, in arrival order. */
  readonly events: readonly BatchEvent<E>[];
  /**
   * Where each event goes, in the same order. It may read what it needs through `reads` (a finding's job,
   * and the groups it expects); it runs again on every retry, with fresh reads.
   */
  route(events: readonly BatchEvent<E>[], reads: AttemptReads): Promise<readonly Target<E>[]>;
  /**
   * The silence that matches an event, if any, and what the event is (its type, as silences name it): the
   * event still counts in its aggregate and its alert is not raised; the aggregate records it as silenced, and
   * its next alerts say so.
   */
  readonly silenceOf?: (event: E) => { readonly silence: Silence; readonly what: string } | undefined;
}

export interface EventResult {
  readonly outcome: 'alerted' | 'grouped' | 'silenced' | 'duplicate' | 'failed' | 'held';
  readonly reason?: string;
}

export interface AppliedBatch {
  /** By event key. */
  readonly results: ReadonlyMap<string, EventResult>;
  /** Alerts the events created, in the order of the events. */
  readonly created: readonly Alert[];
  /** Alerts this invocation published (including ones left pending by an earlier delivery). */
  readonly published: readonly Alert[];
  /** Keys of the events (applied now or before) whose aggregate still holds alerts SNS did not take. */
  readonly undelivered: ReadonlySet<string>;
}

/** Transactions of one wave in flight at once. */
const PARALLEL_WRITES = 10;
/** Write attempts per event before it is left to SQS's redelivery. */
export const ATTEMPTS = 16;

/** What one transaction may hold of an aggregate: its new state, the markers of the events it counts, its new alerts. */
interface Unit<E> {
  /** keyString of the aggregate; undefined for a single event. */
  readonly group?: string;
  readonly owner: ItemKey;
  readonly ops: readonly WriteOp[];
  /** The aggregate's guards: each item written once per transaction, however many units of the transaction share it. */
  readonly checks: readonly Guard[];
  readonly events: readonly BatchEvent<E>[];
  readonly steps: readonly { readonly alert?: Alert; readonly reason: string; readonly silence?: Silence }[];
  /** Written to the outbox by this unit. */
  readonly alerts: readonly Alert[];
  /** The owner's pending alerts once this unit is written. */
  readonly pendingAfter: readonly string[];
}

interface Run<E> {
  readonly deps: PipelineDeps;
  readonly plan: BatchPlan<E>;
  readonly arrival: ReadonlyMap<string, number>;
  readonly results: Map<string, EventResult>;
  /** The outbox's part of the writes: alerts raised before are never put in the outbox again. */
  readonly outbox: OutboxWriter;
  /** Owners this invocation wrote, with their pending alerts after its last write. */
  readonly written: Map<string, { readonly owner: ItemKey; readonly pending: readonly string[] }>;
  /** Owners of events applied before (from their markers). */
  readonly earlierOwners: Map<string, ItemKey>;
  /** The owner (keyString) of every event applied, now or before. */
  readonly ownerOfEvent: Map<string, string>;
  /** Items as last read, by keyString. */
  readonly read: Map<string, Item>;
  readonly created: { readonly alert: Alert; readonly owner: ItemKey; readonly arrival: number }[];
  transactions: number;
}

export async function applyBatchOnce<E>(deps: PipelineDeps, plan: BatchPlan<E>): Promise<AppliedBatch> {
  const run: Run<E> = {
    deps,
    plan,
    arrival: new Map(plan.events.map((e, i) => [e.key, i])),
    results: new Map(),
    outbox: new OutboxWriter(deliveryDeps(deps)),
    written: new Map(),
    earlierOwners: new Map(),
    ownerOfEvent: new Map(),
    read: new Map(),
    created: [],
    transactions: 0,
  };
  let pending: readonly BatchEvent<E>[] = plan.events;
  let attempt = 0;
  let gaveUp = `lost its write condition ${ATTEMPTS} times (other invocations kept writing the same aggregate)`;
  while (pending.length > 0 && attempt < ATTEMPTS) {
    attempt++;
    if (attempt > 1) {
      // Delivery needs this much time to publish safely; what is not written by then comes back from SQS.
      const remaining = deps.remainingMs?.();
      if (remaining !== undefined && remaining < DEFAULT_MIN_REMAINING_MS) {
        gaveUp = `not written: only ${remaining} ms left in the invocation`;
        break;
      }
      // Full jitter: writers of the same aggregates spread out instead of colliding again in step.
      await sleep(Math.random() * Math.min(1000, 10 * 2 ** attempt));
    }
    try {
      const retry = await attemptWrite(run, pending, attempt > 1);
      pending = [...retry].sort((a, b) => (run.arrival.get(a.key) ?? 0) - (run.arrival.get(b.key) ?? 0));
    } catch (error) {
      // Routing or reading failed (DynamoDB unavailable, an aggregate this version cannot read): nothing of
      // `pending` was written in this attempt; SQS delivers the records again.
      deps.telemetry.error(`${plan.kind} batch: could not read or decide; the records will be delivered again`, {
        error: errorText(error),
        events: pending.length,
      });
      gaveUp = `not written: ${errorText(error)}`;
      break;
    }
  }
  for (const e of pending) run.results.set(e.key, { outcome: 'failed', reason: gaveUp });

  const { published, undeliveredOwners } = await deliverBatch(deps, run);
  const undelivered = new Set([...run.ownerOfEvent].filter(([, owner]) => undeliveredOwners.has(owner)).map(([key]) => key));
  const count = (outcome: EventResult['outcome']) => [...run.results.values()].filter((r) => r.outcome === outcome).length;
  const applied = count('alerted') + count('grouped') + count('silenced');
  if (applied > 0) deps.telemetry.count('EventsProcessed', applied);
  if (count('grouped') + count('silenced') > 0) deps.telemetry.count('AlertsSuppressed', count('grouped') + count('silenced'));
  if (count('silenced') > 0) deps.telemetry.count('AlertsSilenced', count('silenced'));
  if (count('duplicate') > 0) deps.telemetry.count('EventsDuplicate', count('duplicate'));
  deps.telemetry.info(`${plan.kind} batch applied`, {
    events: plan.events.length,
    applied,
    silenced: count('silenced'),
    duplicates: count('duplicate'),
    failed: count('failed'),
    alerts: run.created.length,
    published: published.length,
    transactions: run.transactions,
    attempts: attempt,
  });
  return { results: run.results, created: [...run.created].sort((a, b) => a.arrival - b.arrival).map((c) => c.alert), published, undelivered };
}

/** One read-fold-write pass over `events`; returns the events to try again (their unit lost a condition). */
async function attemptWrite<E>(run: Run<E>, events: readonly BatchEvent<E>[], readMarkers: boolean): Promise<BatchEvent<E>[]> {
  const { deps } = run;
  const markers = readMarkers ? events.map((e) => keys.event(e.key)) : [];
  const found = new AttemptReads(deps.store, markers);
  const targets = await run.plan.route(events, found);
  await found.read([...markers, ...targets.flatMap((t) => ('aggregate' in t ? [t.aggregate.key] : []))]);
  for (const [k, item] of found.entries()) run.read.set(k, item);

  const fresh: { event: BatchEvent<E>; target: Exclude<Target<E>, HeldEvent> }[] = [];
  events.forEach((event, i) => {
    const marker = found.get(keys.event(event.key));
    const target = targets[i];
    if (!marker) {
      if ('held' in target) run.results.set(event.key, { outcome: 'held', reason: target.held });
      else fresh.push({ event, target });
      return;
    }
    run.results.set(event.key, { outcome: 'duplicate', reason: `event ${event.key} was applied before` });
    const owner = decodeOptionalOwner(run, marker);
    if (owner) {
      run.earlierOwners.set(keyString(owner), owner);
      run.ownerOfEvent.set(event.key, keyString(owner));
    }
  });
  const duplicates = events.length - fresh.length;
  if (duplicates > 0) {
    deps.telemetry.info('Events already applied: delivering their pending alerts only', {
      duplicates,
      eventIds: events
        .filter((e) => run.results.get(e.key)?.outcome === 'duplicate')
        .slice(0, 10)
        .map((e) => e.eventId),
    });
  }
  return execute(run, planUnits(run, fresh, found));
}

/**
 * The units to write, in the order of each aggregate's (or single event's) first event; an aggregate's
 * units follow each other, each conditional on the version the previous one writes.
 */
function planUnits<E>(run: Run<E>, fresh: readonly { event: BatchEvent<E>; target: Exclude<Target<E>, HeldEvent> }[], found: AttemptReads): Unit<E>[] {
  const { deps } = run;
  const now = deps.now();
  const retention = deps.settings.stateRetentionDays;
  const ttl = expiresAt(now, retention);
  const marker = (e: BatchEvent<E>, owner: ItemKey, ownAlerts?: readonly string[]): WriteOp => ({
    kind: 'put',
    item: EventMarkerCodec.encode({
      ...keys.event(e.key),
      kind: run.plan.kind,
      eventId: e.eventId,
      appliedAt: now.toISOString(),
      owner,
      expiresAt: ttl,
      ...(ownAlerts ? { version: 1, pendingAlerts: ownAlerts } : {}),
    }),
    condition: notExists,
  });

  const slots: ({ kind: 'group'; key: string } | { kind: 'single'; event: BatchEvent<E>; single: SingleEvent<E>['single'] })[] = [];
  const groups = new Map<string, { aggregate: Aggregate<Bookkeeping, E>; events: BatchEvent<E>[] }>();
  for (const { event, target } of fresh) {
    if (!('aggregate' in target)) {
      slots.push({ kind: 'single', event, single: target.single });
      continue;
    }
    const key = keyString(target.aggregate.key);
    const group = groups.get(key);
    if (group) group.events.push(event);
    else {
      groups.set(key, { aggregate: target.aggregate, events: [event] });
      slots.push({ kind: 'group', key });
    }
  }

  const units: Unit<E>[] = [];
  for (const slot of slots) {
    if (slot.kind === 'single') {
      const { alert, reason } = slot.single(slot.event.event);
      const silence = alert && run.plan.silenceOf?.(slot.event.event)?.silence;
      const alerts = alert && !silence && !run.outbox.raisedBefore(alert.id) ? [alert] : [];
      const owner = keys.event(slot.event.key);
      const ids = alerts.map((a) => a.id);
      units.push({
        owner,
        ops: [marker(slot.event, owner, ids), ...outboxWrites(alerts, owner, now, retention)],
        checks: [],
        events: [slot.event],
        steps: [{ alert, reason: reason ?? 'single event', silence }],
        alerts,
        pendingAfter: ids,
      });
      continue;
    }
    const { aggregate, events } = groups.get(slot.key)!;
    try {
      units.push(...groupUnits(run, slot.key, aggregate, events, found.get(aggregate.key), marker));
    } catch (error) {
      if (!(error instanceof CorruptItemError)) throw error;
      // Deciding from an item this version cannot read would send wrong alerts: these records go back to SQS
      // (and, after maxReceiveCount, to its dead-letter queue); the rest of the batch goes on.
      deps.telemetry.error(`${run.plan.kind} batch: ${error.message}`, { pk: error.key?.pk, sk: error.key?.sk, events: events.length });
      for (const e of events) run.results.set(e.key, { outcome: 'failed', reason: error.message });
    }
  }
  return units;
}

/** An aggregate's new events as units of at most 100 operations each: state, markers, new alerts. */
function groupUnits<E>(
  run: Run<E>,
  group: string,
  aggregate: Aggregate<Bookkeeping, E>,
  events: readonly BatchEvent<E>[],
  item: Item | undefined,
  marker: (e: BatchEvent<E>, owner: ItemKey) => WriteOp,
): Unit<E>[] {
  const { deps } = run;
  const now = deps.now();
  const retention = deps.settings.stateRetentionDays;
  const read = item === undefined ? undefined : aggregate.codec.decode(item);
  // A silenced event's step still counts; only its alert is not raised, and the aggregate records why.
  let silenced = read?.silenced;
  const steps = fold(
    aggregate,
    read,
    events.map((e) => e.event),
  ).map((step, i): Step<Bookkeeping> & { silence?: Silence; silenced?: Record<string, SilencedEvents> } => {
    const matched = run.plan.silenceOf?.(events[i].event);
    if (!matched) return { ...step, silenced };
    silenced = withSilenced(silenced, matched.silence, matched.what);
    return { ...step, silence: matched.silence, silenced };
  });
  const isNew = (s: (typeof steps)[number]) => s.alert !== undefined && !s.silence && !run.outbox.raisedBefore(s.alert.id);
  const cost = (s: (typeof steps)[number]) => 1 + (isNew(s) ? 1 : 0);
  const guards = [...(aggregate.guard ? [aggregate.guard] : []), ...(aggregate.guards ?? [])];
  // A claim goes with the first write only: the later units of the aggregate find its item claimed.
  const checksOf = (first: boolean) => guards.filter((g) => first || g.kind !== 'put');
  const units: Unit<E>[] = [];
  let condition = unchangedSince(item);
  let version = read?.version ?? 0;
  let pending = read?.pendingAlerts ?? [];
  let silencedBefore = read?.silenced;
  const tallyRoom = silenceTallyCount(read?.silenced, steps.at(-1)?.silenced);
  for (let start = 0; start < steps.length; ) {
    let end = start;
    const checks = checksOf(start === 0);
    // Room for a tally per silence the whole batch adds to, whichever chunk it falls in.
    for (let ops = 1 + checks.length + tallyRoom; end < steps.length && ops + cost(steps[end]) <= MAX_OPS_PER_TRANSACTION; end++) ops += cost(steps[end]);
    const chunk = steps.slice(start, end);
    const chunkEvents = events.slice(start, end);
    // An alert says what silences kept from alerting before it (the JSON form lists the counts).
    const alerts = chunk.filter(isNew).map((s) => (s.silenced ? { ...(s.alert as Alert), silenced: silencedCounts(s.silenced) } : (s.alert as Alert)));
    version += 1;
    pending = [...new Set([...pending, ...alerts.map((a) => a.id)])];
    const last = chunk[chunk.length - 1];
    const next = { ...last.state, ...aggregate.key, version, pendingAlerts: pending, expiresAt: expiresAt(now, retention), silenced: last.silenced };
    units.push({
      group,
      owner: aggregate.key,
      ops: [
        { kind: 'put', item: aggregate.codec.encode(next), condition },
        ...chunkEvents.map((e) => marker(e, aggregate.key)),
        ...outboxWrites(alerts, aggregate.key, now, retention),
        ...silenceTallyWrites(silencedBefore, last.silenced, aggregate.key, now, retention),
      ],
      checks,
      events: chunkEvents,
      steps: chunk,
      alerts,
      pendingAfter: pending,
    });
    condition = atVersion(version);
    silencedBefore = last.silenced;
    start = end;
  }
  return units;
}

/**
 * Writes the units in waves. A wave holds every unit whose aggregate has no earlier unit waiting, packed
 * first-fit into transactions of up to 100 operations; units that share an item (a run's findings ledger, a
 * roll-up) go in one transaction, or the later one waits for the next wave (transaction-packing.ts), so a
 * wave's transactions touch disjoint items and are written side by side. An aggregate's later units go in later waves, each conditional on the version the
 * previous one wrote. Returns the events of the units that lost a condition (their aggregate's later units
 * included), to be read and folded again.
 */
async function execute<E>(run: Run<E>, units: readonly Unit<E>[]): Promise<BatchEvent<E>[]> {
  const retry: BatchEvent<E>[] = [];
  const dirty = new Set<string>();
  let queue = units;
  while (queue.length > 0) {
    const transactions: { units: Unit<E>[]; ops: number; written: Set<string>; guarded: Set<string> }[] = [];
    const rest: Unit<E>[] = [];
    const inWave = new Set<string>();
    for (const unit of queue) {
      const group = unit.group;
      if (group !== undefined && dirty.has(group)) {
        retry.push(...unit.events);
        continue;
      }
      if (group !== undefined && inWave.has(group)) {
        rest.push(unit);
        continue;
      }
      if (group !== undefined) inWave.add(group);
      const items = itemsOf(unit);
      const placement = placeUnit(items, transactions, MAX_OPS_PER_TRANSACTION);
      if (placement.kind === 'next-wave') {
        rest.push(unit);
        continue;
      }
      if (placement.kind === 'new') {
        transactions.push({ units: [unit], ops: items.ops, written: new Set(items.written), guarded: new Set(items.guarded) });
        continue;
      }
      const open = transactions[placement.index];
      open.units.push(unit);
      open.ops += costIn(items, open);
      for (const k of items.written) open.written.add(k);
      for (const k of items.guarded) open.guarded.add(k);
    }
    queue = rest;
    for (let i = 0; i < transactions.length; i += PARALLEL_WRITES) {
      await Promise.all(transactions.slice(i, i + PARALLEL_WRITES).map((t) => writeUnits(run, t.units, dirty, retry)));
    }
  }
  return retry;
}

async function writeUnits<E>(run: Run<E>, transaction: readonly Unit<E>[], dirty: Set<string>, retry: BatchEvent<E>[]): Promise<void> {
  const { deps } = run;
  const writeOps = [...transaction.flatMap((u) => u.ops), ...checksOf(transaction)];
  run.transactions++;
  try {
    await run.outbox.write(writeOps);
  } catch (error) {
    for (const unit of transaction) if (unit.group !== undefined) dirty.add(unit.group);
    if (!(error instanceof ConditionalWriteConflict)) {
      // Not a condition: DynamoDB refused the write or did not answer. Whether it was applied is unknown;
      // the redelivered records will find their markers if it was.
      deps.telemetry.error(`${run.plan.kind} batch: write failed; its records will be delivered again`, {
        error: errorText(error),
        events: transaction.reduce((n, u) => n + u.events.length, 0),
      });
      for (const unit of transaction) for (const e of unit.events) run.results.set(e.key, { outcome: 'failed', reason: `write failed: ${errorText(error)}` });
      return;
    }
    // The outbox recorded alerts raised before; any other lost condition is an event applied before or a
    // concurrent writer: the retry reads the markers and the aggregates again.
    for (const unit of transaction) retry.push(...unit.events);
    return;
  }
  for (const unit of transaction) applied(run, unit);
}

/** The items a unit names, for packing (transaction-packing.ts). */
function itemsOf<E>(unit: Unit<E>): PackedItems {
  const guarded = new Set(unit.checks.map(guardKey));
  return { written: new Set(unit.ops.map(opKey)), guarded, ops: unit.ops.length + guarded.size };
}

const opKey = (op: WriteOp): string => (op.kind === 'put' ? keyString({ pk: op.item.pk as string, sk: op.item.sk as string }) : keyString(op.key));

/**
 * The guards of a transaction's units, each item once (a transaction may name an item once): groups of the
 * same job run share one bump of the run's findings ledger, as a route places a job's findings in one run per
 * attempt. A claim of an item stands for the checks on it: the others' checks hold of the item it creates (a
 * route claims a run's roll-up of a type once per attempt, and the groups it places there check that roll-up
 * as new).
 */
function checksOf<E>(transaction: readonly Unit<E>[]): WriteOp[] {
  const byItem = new Map<string, Guard>();
  for (const op of transaction.flatMap((u) => u.checks)) {
    const key = guardKey(op);
    if (!byItem.has(key) || op.kind === 'put') byItem.set(key, op);
  }
  return [...byItem.values()];
}

/** The owner a marker names; a marker this version cannot read still says "applied", only without an owner to deliver. */
function decodeOptionalOwner<E>(run: Run<E>, marker: Item): ItemKey | undefined {
  try {
    return EventMarkerCodec.decode(marker).owner;
  } catch (error) {
    if (!(error instanceof CorruptItemError)) throw error;
    run.deps.telemetry.warn(error.message, { pk: error.key?.pk, sk: error.key?.sk });
    return undefined;
  }
}

function applied<E>(run: Run<E>, unit: Unit<E>): void {
  unit.events.forEach((event, i) => {
    const step = unit.steps[i];
    const sent = step.alert && unit.alerts.find((a) => a.id === step.alert?.id);
    if (step.silence) {
      run.results.set(event.key, { outcome: 'silenced', reason: `${step.reason}; silenced by ${step.silence.id} (${step.silence.reason})` });
      run.ownerOfEvent.set(event.key, keyString(unit.owner));
      return;
    }
    const alerted = sent !== undefined;
    const reason = step.alert && !alerted ? `${step.reason}; alert ${step.alert.id} was raised before, not again` : step.reason;
    run.results.set(event.key, { outcome: alerted ? 'alerted' : 'grouped', reason });
    run.ownerOfEvent.set(event.key, keyString(unit.owner));
    if (sent) run.created.push({ alert: sent, owner: unit.owner, arrival: run.arrival.get(event.key) ?? 0 });
  });
  run.written.set(keyString(unit.owner), { owner: unit.owner, pending: unit.pendingAfter });
}
