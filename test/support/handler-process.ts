import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { TEST_CLOCK_ENV } from '../../lambda/handlers/runtime';
import { AWS_CALLS_ACTOR_ENV, AWS_CALLS_DIR_ENV, AWS_CALLS_SOURCE_ENV, currentTestFile } from './aws-call-recorder';

/**
 * Real Lambda handlers (lambda/handlers/*.ts) in processes of their own, so a test can SIGKILL one mid-call.
 * The handlers are bundled once with esbuild (the SDK included, as a fresh Lambda container would load
 * it, and the test harness's AWS call recorder: record-aws-calls-child.ts), then each invocation is a fresh
 * `node` process that reads its event from a file.
 */
export type HandlerName = 'job-log' | 'findings' | 'sweeper';

export interface Invocation {
  readonly child: ChildProcess;
  /** SIGKILL, resolved once the process is dead (so a connection closed after it is closed by a dead peer). */
  kill(): Promise<void>;
  /** Resolves when the process is gone: exit code 0 (returned), 1 (threw), or the signal that killed it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

const repoRoot = resolve(__dirname, '..', '..');

export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:macie-alerts';

/**
 * A handler's environment as Lambda gives it, pointed at the test's DynamoDB (usually a proxy in front of
 * DynamoDB Local) and SNS stand-in, with the wall clock starting at `at` (TEST_CLOCK_ENV).
 */
export function handlerEnv(handler: HandlerName, to: { dynamodb: string; sns: string; table: string }, clockStart: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: to.dynamodb,
    AWS_ENDPOINT_URL_SNS: to.sns,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    STATE_TABLE_NAME: to.table,
    ALERT_TOPIC_ARN: TOPIC_ARN,
    POWERTOOLS_SERVICE_NAME: `macie-alerts-${handler}`,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    [TEST_CLOCK_ENV]: clockStart,
    ...recordingEnv(handler),
  };
}

/** What the handler process needs to record its AWS calls in this jest run (nothing outside one). */
function recordingEnv(handler: HandlerName): Record<string, string> {
  const dir = process.env[AWS_CALLS_DIR_ENV];
  if (!dir) return {};
  return { [AWS_CALLS_DIR_ENV]: dir, [AWS_CALLS_ACTOR_ENV]: handler, [AWS_CALLS_SOURCE_ENV]: currentTestFile() };
}

export class HandlerProcesses {
  private invocations = 0;

  private constructor(private readonly dir: string) {}

  /** Bundles the handlers and the runner into a temporary directory (remove it with dispose()). */
  static async build(): Promise<HandlerProcesses> {
    const dir = mkdtempSync(join(tmpdir(), 'macie-alerts-handlers-'));
    const options = { outdir: dir, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' } as const;
    await build({
      ...options,
      entryPoints: {
        'job-log': join(repoRoot, 'lambda/handlers/job-log.ts'),
        findings: join(repoRoot, 'lambda/handlers/findings.ts'),
        sweeper: join(repoRoot, 'lambda/handlers/sweeper.ts'),
      },
      inject: [join(repoRoot, 'test/support/record-aws-calls-child.ts')],
    });
    await build({ ...options, entryPoints: { runner: join(repoRoot, 'test/support/lambda-runner.ts') } });
    return new HandlerProcesses(dir);
  }

  /** Starts one invocation of `handler` with `event`, in a fresh process with exactly `env`. */
  invoke(handler: HandlerName, event: unknown, env: Record<string, string>): Invocation {
    const eventFile = join(this.dir, `event-${++this.invocations}.json`);
    writeFileSync(eventFile, JSON.stringify(event));
    const child = spawn(process.execPath, [join(this.dir, 'runner.js'), join(this.dir, `${handler}.js`), eventFile], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolvePromise, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolvePromise({ code, signal, stderr }));
    });
    const dead = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
    const kill = async () => {
      child.kill('SIGKILL');
      await dead;
    };
    return { child, kill, exited };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
