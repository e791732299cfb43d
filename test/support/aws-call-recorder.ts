import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Client } from '@smithy/core/client';
import { permissionsOf, type SdkCall } from './iam-actions';

/**
 * Records what IAM would authorize for every AWS call the code under test makes, and whose code made it:
 * a Lambda function (job-log, findings, api-calls, sweeper) or a CLI command (cli:silence, ...). The
 * conformance tests (`*.recorded.test.ts`) hold the recordings against the synthesized roles and the
 * operators' policy in docs/cli.md.
 *
 * Test harness only: jest installs it in every suite (record-aws-calls.ts), and the handler processes of the
 * crash tests get it bundled in (handler-process.ts). Each process appends its own file in the run's folder
 * (AWS_CALLS_DIR_ENV, made by the run's test sequencer), one JSON line per distinct call, synchronously, so a
 * process killed right after a call has recorded it. Without the variable nothing is recorded.
 */
export const AWS_CALLS_DIR_ENV = 'MACIE_ALERTS_AWS_CALLS_DIR';
/** In a handler process: the function it runs (that process's code is that function's, and nothing else). */
export const AWS_CALLS_ACTOR_ENV = 'MACIE_ALERTS_AWS_CALLS_ACTOR';
/** In a handler process: the suite that started it. */
export const AWS_CALLS_SOURCE_ENV = 'MACIE_ALERTS_AWS_CALLS_SOURCE';

/** Whose code a call is: an actor, on its self-test path or not. */
export interface CallOrigin {
  readonly actor: string;
  readonly selfTest?: boolean;
}

export interface RecordedCall extends CallOrigin {
  readonly action: string;
  readonly resource: string;
  /** The test file whose run made the call. */
  readonly source: string;
}

const ROOT = resolve(__dirname, '..', '..');
const origins = new AsyncLocalStorage<CallOrigin>();

/** What AWS answers instead of acting on a call, or undefined to let it through (iam-stand-in.ts sets one). */
export type CallGuard = (origin: CallOrigin | undefined, call: SdkCall) => Error | undefined;
let guard: CallGuard | undefined;

/** Sets the guard every recorded client consults before sending (undefined: none). */
export function setCallGuard(next: CallGuard | undefined): void {
  guard = next;
}

/** The test file jest is running in this worker, relative to the repository ('unknown' outside jest). */
export function currentTestFile(): string {
  const path = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect?.getState().testPath;
  return path ? relative(ROOT, path) : 'unknown';
}
const written = new Set<string>();

/** Runs `fn` as `origin`'s code: the AWS calls made inside it, awaited or not, are attributed to it. */
export function asOrigin<T>(origin: CallOrigin, fn: () => T): T {
  return origins.run(origin, fn);
}

export function currentOrigin(): CallOrigin | undefined {
  return origins.getStore();
}

/** Appends the permissions of one call made by `origin` (nothing when recording is off or no origin is known). */
export function recordCall(origin: CallOrigin | undefined, call: SdkCall, source: string): void {
  const dir = process.env[AWS_CALLS_DIR_ENV];
  if (!dir || !origin) return;
  const lines: string[] = [];
  for (const permission of permissionsOf(call)) {
    const recorded: RecordedCall = { actor: origin.actor, ...(origin.selfTest ? { selfTest: true } : {}), ...permission, source };
    const line = JSON.stringify(recorded);
    if (written.has(line)) continue;
    written.add(line);
    lines.push(line);
  }
  if (lines.length === 0) return;
  const calls = join(dir, 'calls');
  mkdirSync(calls, { recursive: true });
  appendFileSync(join(calls, `${process.pid}.jsonl`), `${lines.join('\n')}\n`);
}

const INSTALLED = Symbol.for('macie-alerts.aws-call-recorder');
type Sendable = { middlewareStack: { add(middleware: unknown, options: { step: string; name: string }): void }; send(...args: unknown[]): unknown };

/**
 * Adds a recording middleware to every SDK client of this module registry on its first send: the middleware
 * sees the command as the client sends it, once per call (retries happen after it). Mocked clients
 * (aws-mock.ts) never reach it: their stand-in records instead.
 */
export function installSdkRecorder(originOf: () => CallOrigin | undefined, sourceOf: () => string): void {
  const prototype = Client.prototype as unknown as Sendable & { [INSTALLED]?: true };
  if (prototype[INSTALLED]) return;
  prototype[INSTALLED] = true;
  const send = prototype.send;
  const stacks = new WeakSet<object>();
  prototype.send = function recordingSend(this: Sendable, ...args: unknown[]) {
    if (!stacks.has(this.middlewareStack)) {
      stacks.add(this.middlewareStack);
      this.middlewareStack.add(
        (next: (args: { input: unknown }) => unknown, context: { clientName?: string; commandName?: string }) => async (args: { input: unknown }) => {
          if (context.clientName && context.commandName) {
            const call = { client: context.clientName, command: context.commandName, input: args.input };
            const origin = originOf();
            recordCall(origin, call, sourceOf());
            const refusal = guard?.(origin, call);
            if (refusal) throw refusal;
          }
          return next(args);
        },
        { step: 'initialize', name: 'macieAlertsRecordAwsCalls' },
      );
    }
    return send.apply(this, args);
  };
}
