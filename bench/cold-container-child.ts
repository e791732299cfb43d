import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { runForked } from './forked-child';

/**
 * One cold Lambda container, in a fresh node process that cold-container.ts forks: load a handler bundle
 * (Lambda's init: module load and client construction), then hand it every invocation of a scenario in
 * order, as the Lambda runtime would (a parsed event and a context). Reports the CPU of init and of each
 * invocation over IPC. Only node built-ins are loaded before init, so the SDK's load is measured on both
 * sides; the recording SNS client is installed on SNSClient.prototype after init, when the handler's
 * client exists and the SDK module is already loaded.
 *
 * argv: handler bundle, input file (ColdInput as JSON). BENCH_PROFILE=file.cpuprofile records a V8 CPU
 * profile of init and the invocations (not of this harness's own start) for bench/profile.ts.
 */
export interface ColdInput {
  readonly events: readonly unknown[];
  /** Passed as the handler's third argument: the I/O floor publishes this many alerts for event i. */
  readonly alerts?: readonly number[];
}

export interface ColdChildReport {
  readonly initCpuMs: number;
  readonly invocationCpuMs: readonly number[];
  readonly wallMs: number;
  readonly alertsPerInvocation: readonly number[];
  readonly failedInvocations: number;
  readonly firstError?: string;
}

type Handler = (event: unknown, context: unknown, alerts?: number) => Promise<unknown>;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
}

async function main(): Promise<void> {
  const [handlerFile, inputFile] = process.argv.slice(2);
  const input = JSON.parse(readFileSync(inputFile, 'utf8')) as ColdInput;
  const profileFile = process.env.BENCH_PROFILE;
  const session = profileFile ? new Session() : undefined;
  if (session) {
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 250 });
    await post(session, 'Profiler.start');
  }
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  const { handler } = require(handlerFile) as { handler: Handler };
  const initCpuMs = cpuMs() - cpu0;

  // Both resolve to the SDK the handler loaded (NODE_PATH), already in the module cache: require, not
  // import(), which does not read NODE_PATH. esbuild evaluates the bundled './recording-sns' only here.
  const { SNSClient } = require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
  const { emptySnsCounts, recordingSend } = await import('./recording-sns');
  const sns = emptySnsCounts();
  (SNSClient.prototype as unknown as { send: unknown }).send = recordingSend(sns);

  const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 300_000 };
  const invocationCpuMs: number[] = [];
  const alertsPerInvocation: number[] = [];
  let failedInvocations = 0;
  let firstError: string | undefined;
  for (const [i, event] of input.events.entries()) {
    const messagesBefore = sns.messages;
    const c0 = cpuMs();
    try {
      await handler(event, context, input.alerts?.[i]);
    } catch (error) {
      failedInvocations++;
      firstError ??= String((error as Error)?.stack ?? error);
    }
    invocationCpuMs.push(cpuMs() - c0);
    alertsPerInvocation.push(sns.messages - messagesBefore);
  }
  const wallMs = performance.now() - wall0;
  if (session && profileFile) {
    const { profile } = (await post(session, 'Profiler.stop')) as { profile: unknown };
    writeFileSync(profileFile, JSON.stringify(profile));
    session.disconnect();
  }
  const report: ColdChildReport = { initCpuMs, invocationCpuMs, wallMs, alertsPerInvocation, failedInvocations, firstError };
  process.send?.(report);
}

runForked(main);
