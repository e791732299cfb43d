import { describeAck, type Ack } from '../silences/ack';
import { later, type Instant } from '../core/iso-time';
import { decideRepeat, repeatDueAt } from '../core/repeat-decision';
import type { PipelineSettings } from '../core/settings';
import type { RunGroup, RunState } from '../state/job-items';
import { isErrorEffect } from './event-types';
import type { LogEvent } from './log-events';
import { allFailedBefore, resourceKey, type PreviousRun } from './run-compare';
import { changesStatus, endsRun } from './run-status';
import { summarizedBefore, type SummaryDecision } from './summary-decision';
import { jobEventTelling } from './job-events';
import { inhibition, toldAccountsOf, withToldAccounts, type ToldAccounts } from './told-account-errors';
import { copyMap } from './type-maps';

/**
 * What became of each alerting event of a batch (progress events never alert and get none):
 * - alerted: in an alert of this batch: its own, its group's, or the summary or correction it changed;
 * - grouped: counted into an alert sent before (its group's, or the summary it changes nothing of);
 * - inhibited: a bucket error of an account whose account error was told in the run (told-account-errors.ts);
 * - known: an error that failed the same way in the previous run (knownErrors: summary);
 * - silenced: a silence matched it (a silenced summary counts the run's ending event);
 * - duplicate: the same status event (type and time) was alerted before.
 */
export type EventOutcome = 'alerted' | 'grouped' | 'inhibited' | 'known' | 'silenced' | 'duplicate';

/** How an error type's events of the batch are told. */
export type GroupVerdict = 'first' | 'repeat' | 'summary' | 'known' | 'hold' | 'inhibited';

export interface GroupDecision {
  readonly type: string;
  readonly verdict: GroupVerdict;
  readonly reason: string;
  /** The type's events not inhibited, in time order. */
  readonly open: readonly LogEvent[];
  readonly inhibited: readonly LogEvent[];
  /** When the newest of them occurred (undefined when every event is inhibited). */
  readonly newest?: Instant;
}

export interface RunOutcomes {
  readonly byEvent: ReadonlyMap<LogEvent, EventOutcome>;
  /** Status events alerted on their own, in time order. */
  readonly statusAlerts: readonly LogEvent[];
  /** Events about the job that arrived after the run's summary, each alerted on its own (job-events.ts). */
  readonly jobAlerts: readonly LogEvent[];
  /** One decision per error type of the batch, in type order. */
  readonly groups: readonly GroupDecision[];
  /** The run's accounts with a told account error, this batch's included. */
  readonly toldAccounts: ToldAccounts;
}

export interface OutcomeInput {
  /** The run as read: the status events and account errors it already told. */
  readonly current: RunState | undefined;
  /** The run with the batch's facts: its groups' counts. */
  readonly run: RunState;
  /** The batch's fresh events, in time order. */
  readonly events: readonly LogEvent[];
  readonly silenced: ReadonlySet<LogEvent>;
  readonly summary: SummaryDecision;
  readonly previous?: PreviousRun;
  readonly settings: Pick<PipelineSettings, 'knownErrors' | 'repeatIntervalMinutes'>;
  /** The acknowledgement holding an error type's repeats at an instant, if any (lambda/silences/ack.ts). */
  readonly acked?: (type: string, at: number) => Ack | undefined;
}

export function eventOutcomes(input: OutcomeInput): RunOutcomes {
  const byEvent = new Map<LogEvent, EventOutcome>();
  const alerting: LogEvent[] = [];
  for (const e of input.events) {
    if (!e.kind.alertsAtOnce) continue;
    if (input.silenced.has(e)) byEvent.set(e, 'silenced');
    else alerting.push(e);
  }
  if (summarizedBefore(input.summary)) {
    // After the summary, an event is told by the batch's correction, or by the summary it changes nothing of;
    // an event about the job (a pause between runs, say) is told on its own.
    const outcome = input.summary.send === 'update' ? 'alerted' : 'grouped';
    const jobEvents = alerting.filter((e) => jobEventTelling(e).tell);
    for (const e of alerting) byEvent.set(e, outcome);
    return { byEvent, statusAlerts: [], jobAlerts: markOnce(jobEvents, input.current, byEvent, []), groups: [], toldAccounts: toldAccountsOf(input.current) };
  }
  const summaryNow = input.summary.send === 'summary';
  const statusAlerts = markOnce(alerting.filter(isStatusAlert), input.current, byEvent, summaryNow ? undefined : []);
  const ending = alerting.filter((e) => endsRun(e.kind.effect));
  for (const e of ending) byEvent.set(e, 'alerted');
  if (input.summary.send === 'summary' && input.summary.silenced && ending.length > 0) byEvent.set(ending[0], 'silenced');
  const { groups, toldAccounts } = groupDecisions(alerting, input, summaryNow);
  for (const decision of groups) {
    for (const e of decision.open) byEvent.set(e, OPEN_OUTCOME[decision.verdict]);
    for (const e of decision.inhibited) byEvent.set(e, 'inhibited');
  }
  return { byEvent, statusAlerts, jobAlerts: [], groups, toldAccounts };
}

/** What a verdict makes of the group's open events. */
const OPEN_OUTCOME: Record<GroupVerdict, EventOutcome> = {
  first: 'alerted',
  repeat: 'alerted',
  summary: 'alerted',
  known: 'known',
  hold: 'grouped',
  inhibited: 'inhibited',
};

/** Pauses, resumptions, no buckets: each alerts on its own, unless the summary going out now tells it. */
function isStatusAlert(e: LogEvent): boolean {
  return changesStatus(e.kind.effect) && !endsRun(e.kind.effect);
}

/**
 * Each status event alerts once (by type and time), whatever batch it comes back in: one told before is a
 * duplicate, the others are alerted, and collected into `alerts` when they alert on their own.
 */
function markOnce(events: readonly LogEvent[], current: RunState | undefined, byEvent: Map<LogEvent, EventOutcome>, alerts?: LogEvent[]): LogEvent[] {
  const told = new Set((current?.statusEvents ?? []).map((s) => `${s.type}@${s.at}`));
  for (const e of events) {
    const key = `${e.event.eventType}@${e.event.occurredAt}`;
    if (told.has(key)) {
      byEvent.set(e, 'duplicate');
      continue;
    }
    byEvent.set(e, 'alerted');
    if (!alerts) continue;
    told.add(key);
    alerts.push(e);
  }
  return alerts ?? [];
}

/** Account error groups decide first: whether they were told decides which bucket errors they inhibit. */
function groupDecisions(alerting: readonly LogEvent[], input: OutcomeInput, summaryNow: boolean): Pick<RunOutcomes, 'groups' | 'toldAccounts'> {
  const byType = new Map<string, LogEvent[]>();
  for (const e of alerting) {
    if (!isErrorEffect(e.kind.effect)) continue;
    const list = byType.get(e.event.eventType);
    if (list) list.push(e);
    else byType.set(e.event.eventType, [e]);
  }
  const types = [...byType.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const decide = (type: string, events: LogEvent[], told: ToldAccounts) => {
    const open: LogEvent[] = [];
    const covered: LogEvent[] = [];
    for (const e of events) (inhibition(e, told).inhibited ? covered : open).push(e);
    return decideGroup(type, input.run.groups[type], { open, inhibited: covered }, { ...input, summaryNow });
  };
  let toldAccounts = toldAccountsOf(input.current);
  const decided = new Map<string, GroupDecision>();
  for (const [type, events] of types) {
    if (events[0].kind.effect !== 'ACCOUNT_ERROR') continue;
    const decision = decide(type, events, toldAccounts);
    toldAccounts = withToldAccounts(toldAccounts, decision);
    decided.set(type, decision);
  }
  return { groups: types.map(([type, events]) => decided.get(type) ?? decide(type, events, toldAccounts)), toldAccounts };
}

/** One error type's open events of the batch: first alert, "still occurring", or counted, and why. */
export function decideGroup(
  type: string,
  group: RunGroup,
  events: Pick<GroupDecision, 'open' | 'inhibited'>,
  ctx: Pick<OutcomeInput, 'previous' | 'settings' | 'acked'> & { readonly summaryNow: boolean },
): GroupDecision {
  const { open } = events;
  let newest: Instant | undefined;
  for (const e of open) newest = later(newest, e.at);
  const decision = (verdict: GroupVerdict, reason: string): GroupDecision => ({ type, verdict, reason, ...events, newest });
  if (!newest) return decision('inhibited', 'every event is inhibited by an account error');
  if (ctx.summaryNow) return decision('summary', 'the summary sent with this batch lists the group');
  const repeat = decideRepeat({
    alerted: group.alerts > 0,
    dueAt: repeatDueAt(group.lastAlertAt, ctx.settings.repeatIntervalMinutes * 60_000),
    at: newest.ms,
    ackAt: (at) => ctx.acked?.(type, at),
  });
  if (repeat.kind === 'first') {
    const { previous } = ctx;
    if (
      previous &&
      ctx.settings.knownErrors === 'summary' &&
      allFailedBefore(
        previous.fingerprint,
        type,
        open.map((e) => resourceKey(e.event)),
      )
    ) {
      return decision('known', `every resource failed the same way in the run of ${previous.runDate}`);
    }
    return decision('first', 'the first of its type in the run');
  }
  // An acknowledged repeat is held, not marked: the window still counts from the last alert sent.
  if (repeat.ack) return decision('hold', describeAck(repeat.ack));
  if (repeat.kind === 'repeat') return decision('repeat', `${ctx.settings.repeatIntervalMinutes} min of event time since the group's last alert`);
  return decision('hold', `less than ${ctx.settings.repeatIntervalMinutes} min of event time since the group's last alert`);
}

/** The groups with this batch's alerts recorded (a summary sent now counts as its groups' alert). */
export function withGroupAlerts(groups: Readonly<Record<string, RunGroup>>, decisions: readonly GroupDecision[]): Record<string, RunGroup> {
  const out = copyMap(groups);
  for (const d of decisions) {
    if (d.verdict !== 'first' && d.verdict !== 'repeat' && d.verdict !== 'summary') continue;
    const group = out[d.type];
    out[d.type] = { ...group, alerts: group.alerts + 1, lastAlertAt: d.newest!.iso };
  }
  return out;
}

/** What became of a batch's alerting events, counted: what the report and the metrics say. */
export interface OutcomeCounts {
  /** Alerting events counted without an alert of their own: grouped, inhibited, known or silenced. */
  suppressed: number;
  /** Of those, bucket errors inhibited by an account error of their account. */
  inhibited: number;
  /** Of those, events a silence matched. */
  silenced: number;
  /** Of those, errors that failed the same way in the previous run. */
  known: number;
}

export const NO_OUTCOMES: Readonly<OutcomeCounts> = { suppressed: 0, inhibited: 0, silenced: 0, known: 0 };

export function countOutcomes(outcomes: Iterable<EventOutcome>): OutcomeCounts {
  const counts = { ...NO_OUTCOMES };
  for (const outcome of outcomes) {
    if (outcome === 'alerted' || outcome === 'duplicate') continue;
    counts.suppressed++;
    if (outcome !== 'grouped') counts[outcome]++;
  }
  return counts;
}

export function addOutcomeCounts(a: Readonly<OutcomeCounts>, b: Readonly<OutcomeCounts>): OutcomeCounts {
  return { suppressed: a.suppressed + b.suppressed, inhibited: a.inhibited + b.inhibited, silenced: a.silenced + b.silenced, known: a.known + b.known };
}
