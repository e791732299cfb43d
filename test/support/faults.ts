import type { Alert } from '../../lambda/core/alert';
import type { AlertPublisher, PublishFailure, PublishOptions } from '../../lambda/delivery/publisher';
import { StateStore, type WriteOp } from '../../lambda/state/store';
import { testDynamoClient } from './dynamodb';

/**
 * Fault-injecting wrappers for the reliability suite. Faults are chosen by call number (1-based, counted per
 * wrapper), so a test says exactly where the fault lands and a re-run lands it in the same place.
 */

/**
 * An error thrown at a chosen point of an invocation. Not a crash: the process lives on and may clean up
 * (the outbox settles what it claimed); crashes are real kills, in kill-matrix.test.ts.
 */
export class InjectedError extends Error {
  constructor(readonly where: string) {
    super(`injected crash ${where}`);
    this.name = 'InjectedError';
  }
}

/** The error DynamoDB returns when a table or index is throttled (after the SDK's own retries ran out). */
export function throughputExceeded(): Error {
  return Object.assign(new Error('The level of configured provisioned throughput for the table was exceeded (injected)'), {
    name: 'ProvisionedThroughputExceededException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/** Return an error to fail this command (it never reaches DynamoDB), or undefined to let it through. */
export type DynamoFaultPlan = (commandName: string, callNumber: number, input: unknown) => Error | undefined;

/**
 * The same table through a DynamoDB client of its own, with a middleware that fails chosen commands before
 * they are sent. Its own client, so the fault never leaks into other stores of the same worker. The
 * middleware sits in the initialize step, above the SDK's retry: the injected error is what the caller sees
 * once the SDK's retries ran out.
 */
export function throttledStore(store: StateStore, plan: DynamoFaultPlan, now?: () => Date): { store: StateStore; calls: string[] } {
  const client = testDynamoClient();
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName ?? 'unknown';
      calls.push(name);
      const fault = plan(name, calls.length, args.input);
      if (fault) throw fault;
      return next(args);
    },
    { step: 'initialize', name: 'injectDynamoFaults' },
  );
  return { store: StateStore.fromDefaults(store.tableName, client, now), calls };
}

/** Throttles the n-th command of one kind (e.g. the 2nd TransactWriteItemsCommand), once. */
export function throttleNth(commandName: string, n: number): DynamoFaultPlan {
  let seen = 0;
  return (name) => (name === commandName && ++seen === n ? throughputExceeded() : undefined);
}

/**
 * A store whose n-th write throws, `before` it is sent (the state is untouched) or `after` it was applied
 * (the state is written, and the caller never learns it was).
 */
export function throwingStore(store: StateStore, n: number, when: 'before' | 'after'): StateStore & { writes: number } {
  const wrapped = Object.create(store) as StateStore & { writes: number };
  wrapped.writes = 0;
  wrapped.write = async (ops: readonly WriteOp[]) => {
    // The call's own number: writes may be in flight side by side.
    const call = ++wrapped.writes;
    if (call === n && when === 'before') throw new InjectedError(`before write ${n}`);
    await store.write(ops);
    if (call === n && when === 'after') throw new InjectedError(`after write ${n}`);
  };
  return wrapped;
}

export type PublishFault =
  /** The call reports every alert failed (what SnsAlertPublisher returns when SNS kept throttling or erroring). */
  | { kind: 'fail-call' }
  /** The call reports these alerts failed, the others published (a partial PublishBatch failure). */
  | { kind: 'fail-ids'; ids: ReadonlySet<string> }
  /** SNS took the call, then the publisher throws (the answer was lost, e.g. a timeout after the request arrived). */
  | { kind: 'throw-after-send' }
  /** The publisher throws before the call is made. */
  | { kind: 'throw-before-send' };

/**
 * A publisher that applies a fault on chosen calls. `delivered` is what reached SNS, in order, each copy
 * with its possible-repeat label if it had one: the ground truth for "at least once, repeats labelled".
 */
export class FaultyPublisher implements AlertPublisher {
  readonly delivered: Alert[] = [];
  /** For each copy in `delivered`, whether it carried the possible-repeat label. */
  readonly labelled: boolean[] = [];
  calls = 0;

  constructor(private readonly faults: ReadonlyMap<number, PublishFault> = new Map()) {}

  async publish(alerts: readonly Alert[], options: PublishOptions = {}): Promise<{ readonly failed: readonly PublishFailure[] }> {
    this.calls++;
    const fault = this.faults.get(this.calls);
    if (fault?.kind === 'throw-before-send') throw new InjectedError(`before publish call ${this.calls}`);
    if (fault?.kind === 'fail-call') return { failed: alerts.map((a) => ({ alertId: a.id, reason: 'injected: call failed' })) };
    const failedIds = fault?.kind === 'fail-ids' ? fault.ids : new Set<string>();
    for (const a of alerts.filter((x) => !failedIds.has(x.id))) {
      this.delivered.push(a);
      this.labelled.push(options.repeats?.has(a.id) ?? false);
    }
    if (fault?.kind === 'throw-after-send') throw new InjectedError(`after publish call ${this.calls}`);
    return { failed: alerts.filter((a) => failedIds.has(a.id)).map((a) => ({ alertId: a.id, reason: 'injected: entry failed' })) };
  }

  deliveredIds(): string[] {
    return this.delivered.map((a) => a.id);
  }

  /** Ids delivered more than once, each with whether every copy after the first was labelled. */
  repeats(): Map<string, { copies: number; laterCopiesLabelled: boolean }> {
    const out = new Map<string, { copies: number; laterCopiesLabelled: boolean }>();
    this.delivered.forEach((a, i) => {
      const seen = out.get(a.id);
      if (!seen) out.set(a.id, { copies: 1, laterCopiesLabelled: true });
      else out.set(a.id, { copies: seen.copies + 1, laterCopiesLabelled: seen.laterCopiesLabelled && this.labelled[i] });
    });
    for (const [id, r] of out) if (r.copies === 1) out.delete(id);
    return out;
  }
}

/**
 * Runs an invocation as Lambda's asynchronous invoke does: on a throw, again with the same event, up to
 * `retries` more times. Returns how many attempts ran and whether the last one still failed (the event then
 * goes to the on-failure destination / DLQ).
 */
export async function invokeWithRetries(
  invoke: (attempt: number) => Promise<unknown>,
  retries = 2,
): Promise<{ attempts: number; toDlq: boolean; errors: unknown[] }> {
  const errors: unknown[] = [];
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    try {
      await invoke(attempt);
      return { attempts: attempt, toDlq: false, errors };
    } catch (error) {
      errors.push(error);
    }
  }
  return { attempts: retries + 1, toDlq: true, errors };
}
