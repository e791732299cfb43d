import { compareInstants, earlier, instantOf, later, minIso, type Instant } from '../core/iso-time';
import type { AffectedSet, RunGroup, RunState, StatusEvent } from '../state/job-items';
import { NO_ACCOUNTS, RunAccountsBuilder } from '../state/run-accounts';
import { CappedList } from './capped-list';
import { isErrorEffect } from './event-types';
import type { LogEvent } from './log-events';
import { resourceKey, withResources } from './run-compare';
import { currentStatusChange, isTerminal, statusBeats, statusChange, type StatusChange } from './run-status';
import { copyMap, countOf, own } from './type-maps';
import { undatedCancel } from './undated-cancel';

/**
 * The run's facts from its events: status, times, counts, affected resources, what failed, the error groups'
 * counts and the status events. No alerts. Order-independent: status is the maximum of its candidates,
 * counts are sums, sets are sorted and capped to their smallest members.
 */

/** How many status events a run remembers (the newest by event time: one re-sent late is most likely recent). */
export const STATUS_EVENTS_CAP = 100;

/** Whose run it is, as of this batch (the newest event names the job). */
export interface RunIdentity {
  readonly jobId: string;
  readonly runDate: string;
  readonly jobName: string;
  readonly adminAccountId: string;
}

/** One error type's events in a batch: counted here, written back to the run's maps once. */
interface ErrorTally {
  readonly errorsBefore: number;
  readonly affectedBefore: number;
  readonly buckets: CappedList;
  readonly accounts: CappedList;
  count: number;
  first: Instant;
  last: Instant;
}

/** The fold of a batch's events: the run's facts as read, changed event by event. */
interface FactsFold {
  winner: StatusChange | undefined;
  lastEventAt: Instant | undefined;
  startedAt: string | undefined;
  noBucketsAt: string | undefined;
  bucketsMatched: number;
  /** Every account an error named, by type (exact: run-accounts.ts). */
  readonly accounts: RunAccountsBuilder;
  /** Status events by `${type}@${at}`, when this batch adds one. */
  statusEvents: Map<string, StatusEvent> | undefined;
  readonly tallies: Map<string, ErrorTally>;
  /** (error type, resource) of each error event, for the fingerprint. */
  readonly failed: [string, string][];
}

/** The run as read with a batch's facts folded in; `events` are the batch's fresh events in time order. */
export function foldRunFacts(current: RunState | undefined, events: readonly LogEvent[], identity: RunIdentity, region: string): RunState {
  const fold: FactsFold = {
    winner: currentStatusChange(current),
    lastEventAt: current?.lastEventAt === undefined ? undefined : instantOf(current.lastEventAt),
    startedAt: current?.startedAt,
    noBucketsAt: current?.noBucketsAt,
    bucketsMatched: current?.bucketsMatched ?? 0,
    accounts: new RunAccountsBuilder(current?.accounts ?? NO_ACCOUNTS),
    statusEvents: undefined,
    tallies: new Map(),
    failed: [],
  };
  for (const e of events) foldEvent(fold, e, current);
  return withFacts(current, fold, identity, region);
}

function foldEvent(fold: FactsFold, e: LogEvent, current: RunState | undefined): void {
  const { event, kind, at } = e;
  fold.lastEventAt = later(fold.lastEventAt, at);
  const change = statusChange(event.eventType, kind.effect, at, event.runDate === undefined);
  if (change) {
    const applies = kind.effect !== 'CANCELLED' || event.runDate !== undefined || undatedCancel(fold.winner).ends;
    if (applies && statusBeats(change, fold.winner)) fold.winner = change;
    if (kind.alertsAtOnce) {
      fold.statusEvents ??= new Map((current?.statusEvents ?? []).map((s) => [`${s.type}@${s.at}`, s]));
      fold.statusEvents.set(`${event.eventType}@${event.occurredAt}`, { type: event.eventType, at: event.occurredAt });
    }
  }
  if (kind.effect === 'RUN_STARTED') fold.startedAt = minIso(fold.startedAt, event.occurredAt);
  if (kind.effect === 'NO_BUCKETS') fold.noBucketsAt = minIso(fold.noBucketsAt, event.occurredAt);
  if (kind.effect === 'BUCKET_MATCHED') fold.bucketsMatched += 1;
  if (!isErrorEffect(kind.effect)) return;
  const tally = fold.tallies.get(event.eventType) ?? errorTally(current, e);
  fold.tallies.set(event.eventType, tally);
  tally.count++;
  tally.buckets.add(event.affectedResource?.value);
  tally.accounts.add(event.affectedAccount);
  tally.first = earlier(tally.first, at);
  tally.last = later(tally.last, at);
  fold.failed.push([event.eventType, resourceKey(event)]);
  if (event.affectedAccount) fold.accounts.add(event.affectedAccount, event.eventType);
}

/** The tally of one error type, from the run as read and the batch's first event of the type. */
function errorTally(current: RunState | undefined, first: LogEvent): ErrorTally {
  const type = first.event.eventType;
  const set = current && own(current.affected, type);
  const group = current && own(current.groups, type);
  return {
    errorsBefore: current ? countOf(current.errors, type) : 0,
    affectedBefore: set?.total ?? 0,
    buckets: new CappedList(set?.buckets ?? []),
    accounts: new CappedList(set?.accounts ?? []),
    count: 0,
    first: group ? earlier(instantOf(group.firstAt), first.at) : first.at,
    last: group ? later(instantOf(group.lastAt), first.at) : first.at,
  };
}

function withFacts(current: RunState | undefined, fold: FactsFold, identity: RunIdentity, region: string): RunState {
  const errors = copyMap(current?.errors);
  const affected = copyMap<AffectedSet>(current?.affected);
  const groups = copyMap<RunGroup>(current?.groups);
  for (const [type, tally] of fold.tallies) {
    errors[type] = tally.errorsBefore + tally.count;
    affected[type] = { buckets: tally.buckets.list, accounts: tally.accounts.list, total: tally.affectedBefore + tally.count };
    const group = own(groups, type);
    const span = { firstAt: tally.first.iso, lastAt: tally.last.iso };
    groups[type] = group ? { ...group, count: group.count + tally.count, ...span } : { count: tally.count, ...span, alerts: 0 };
  }
  const { winner } = fold;
  const status = winner?.status ?? current?.status ?? 'RUNNING';
  const paused = status === 'PAUSED' ? winner : undefined;
  const ended = isTerminal(status) ? winner : undefined;
  // Start from the run as read, so what other writers own (the sweeper's marks) survives the whole-item put.
  return {
    ...current,
    ...identity,
    region,
    status,
    statusAt: winner?.at.iso ?? current?.statusAt,
    statusEvent: winner?.eventType ?? current?.statusEvent,
    statusUndated: winner ? winner.undated : current?.statusUndated,
    bucketsMatched: fold.bucketsMatched,
    startedAt: fold.startedAt,
    lastEventAt: fold.lastEventAt?.iso,
    noBucketsAt: fold.noBucketsAt,
    pausedBy: paused ? (paused.effect === 'PAUSED_BY_QUOTA' ? 'QUOTA' : 'USER') : undefined,
    pausedAt: paused?.at.iso,
    endedAt: ended?.at.iso,
    errors,
    affected,
    accounts: fold.accounts.result,
    fingerprint: fold.failed.length > 0 || current?.fingerprint ? withResources(current?.fingerprint, fold.failed) : undefined,
    groups,
    statusEvents: fold.statusEvents ? newestStatusEvents(fold.statusEvents) : (current?.statusEvents ?? []),
    appliedBatches: current?.appliedBatches ?? [],
  };
}

/** The newest STATUS_EVENTS_CAP by event time; ties order by text, so the same set gives the same list in any arrival order. */
function newestStatusEvents(byKey: ReadonlyMap<string, StatusEvent>): StatusEvent[] {
  return [...byKey]
    .map(([key, e]) => ({ key, e, at: instantOf(e.at) }))
    .sort((a, b) => compareInstants(a.at, b.at) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(-STATUS_EVENTS_CAP)
    .map(({ e }) => e);
}
