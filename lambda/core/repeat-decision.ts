/**
 * Whether an aggregate's alert goes out now: its first, a repeat once the repeat interval has passed since the
 * last, or held (inside the interval, or by an acknowledgement in force). Every group kind and the sweeper's
 * flushes decide through it, so a repeat means the same thing everywhere.
 */
export type RepeatKind = 'first' | 'repeat' | 'hold';

export type RepeatReason = 'never-alerted' | 'interval-passed' | 'acknowledged' | 'within-interval';

export interface RepeatDecision<A> {
  readonly kind: RepeatKind;
  readonly reason: RepeatReason;
  /** The acknowledgement that holds a repeat that was due (reason `acknowledged`). */
  readonly ack?: A;
}

export interface RepeatInput<A> {
  /** Whether the aggregate has alerted before. */
  readonly alerted: boolean;
  /** When its next repeat may go out (ms): the last alert's time plus the interval. Unknown holds. */
  readonly dueAt: number | undefined;
  /** The instant judged (ms): the event's time, or the sweeper's clock. */
  readonly at: number;
  /** The acknowledgement in force at an instant, if any: asked only of a repeat that is due. */
  readonly ackAt?: (at: number) => A | undefined;
}

export function decideRepeat<A>(input: RepeatInput<A>): RepeatDecision<A> {
  if (!input.alerted) return { kind: 'first', reason: 'never-alerted' };
  // NaN compares false: an unreadable time holds rather than repeats.
  if (input.dueAt === undefined || !(input.dueAt <= input.at)) return { kind: 'hold', reason: 'within-interval' };
  const ack = input.ackAt?.(input.at);
  if (ack !== undefined) return { kind: 'hold', reason: 'acknowledged', ack };
  return { kind: 'repeat', reason: 'interval-passed' };
}

/** When a repeat may follow an alert at `lastAlertAt` (ISO): undefined when there was none. */
export function repeatDueAt(lastAlertAt: string | undefined, intervalMs: number): number | undefined {
  return lastAlertAt === undefined ? undefined : Date.parse(lastAlertAt) + intervalMs;
}
