import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { DEFAULT_SETTINGS, ENV, settingsToEnv } from '../lambda/core/settings';
import { METRICS_NAMESPACE } from '../lambda/core/telemetry';
import { createStateTable, localDynamoClient } from '../src/local/dynamodb-local';
import type { ColdChildReport, ColdInput } from './cold-container-child';
import { TOPIC_ARN } from './measure';
import { REGION, type Scenario } from './scenarios';
import { summarize, type Spread } from './stats';

/**
 * The cold figures of issue 17: a scenario's invocations landing on a new Lambda container, for our
 * job-log handler and for the I/O floor, each in a fresh node process (cold-container-child.ts) that loads
 * a bundle built the way the construct builds it (esbuild, minified, AWS SDK external and loaded from
 * node_modules as the Lambda runtime loads its own copy). SDK initialisation counts on both sides: module
 * load and client construction at init, credentials, endpoint and connection set-up on the first request.
 */
export interface ColdRun {
  /** Module load and client construction: what Lambda runs before the first invoke. */
  readonly initCpuMs: number;
  /** The first invocation alone: where lazily loaded modules and the SDK's first-request set-up land. */
  readonly firstInvocationCpuMs: number;
  /** Every invocation of the scenario, the first included. */
  readonly invocationsCpuMs: number;
  readonly totalCpuMs: number;
  readonly wallMs: number;
  readonly alerts: number;
}

export interface ColdDesign {
  readonly initCpuMs: Spread;
  readonly firstInvocationCpuMs: Spread;
  readonly invocationsCpuMs: Spread;
  readonly totalCpuMs: Spread;
  readonly alerts: number;
}

export interface ColdFigures {
  readonly ours: ColdDesign;
  readonly ioFloor: ColdDesign;
  /** ours / I/O floor, init + invocations, per pair of runs (each pair ran back to back). */
  readonly ratio: Spread;
  /** ours / I/O floor, invocations only (init done before the first invoke, as Lambda does it). */
  readonly invocationsRatio: Spread;
}

export interface ColdBundles {
  readonly dir: string;
  readonly ours: string;
  readonly ioFloor: string;
  readonly child: string;
  remove(): void;
}

/**
 * The construct's NodejsFunction bundling (lib/handler-code.ts: minify, source map, node24 for nodejs24.x,
 * SDK external), plus the harness. `minify: false` keeps function names readable for bench/profile.ts;
 * `handler` bundles another job-log handler as ours (another checkout's, to profile before and after a change).
 */
export async function buildColdBundles(repoRoot: string, options: { minify?: boolean; handler?: string } = {}): Promise<ColdBundles> {
  const dir = mkdtempSync(join(tmpdir(), 'macie-alerts-cold-'));
  const entries = {
    ours: options.handler ?? join(repoRoot, 'lambda', 'handlers', 'job-log.ts'),
    ioFloor: join(repoRoot, 'bench', 'io-floor-handler.ts'),
    child: join(repoRoot, 'bench', 'cold-container-child.ts'),
  };
  const out = Object.fromEntries(Object.keys(entries).map((name) => [name, join(dir, name, 'index.js')])) as Record<keyof typeof entries, string>;
  for (const [name, entry] of Object.entries(entries) as [keyof typeof entries, string][]) {
    await build({
      entryPoints: [entry],
      outfile: out[name],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node24',
      minify: options.minify ?? true,
      sourcemap: true,
      external: ['@aws-sdk/*'],
      logLevel: 'error',
    });
  }
  return { dir, ...out, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ColdRunOptions {
  readonly repoRoot: string;
  readonly endpoint: string;
  readonly bundles: ColdBundles;
  /** Write a V8 CPU profile of init and the invocations here. */
  readonly profileFile?: string;
  /** Run the container's node under valgrind's callgrind, writing its counts here (bench:ab --instructions). */
  readonly callgrindFile?: string;
  /** The node binary the container runs (default: this one), e.g. the major Lambda runs (bench:ab --node). */
  readonly node?: string;
}

/** The environment the construct gives the handlers, pointed at DynamoDB Local. */
function containerEnv(options: ColdRunOptions, tableName: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_PATH: resolve(options.repoRoot, 'node_modules'),
    NODE_OPTIONS: '--enable-source-maps',
    // The SDK warns once per process on node 20 (Lambda runs 24): noise, not a cost Lambda has.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_ENDPOINT_URL_DYNAMODB: options.endpoint,
    ...settingsToEnv(DEFAULT_SETTINGS),
    [ENV.tableName]: tableName,
    [ENV.topicArn]: TOPIC_ARN,
    POWERTOOLS_SERVICE_NAME: 'macie-alerts-job-log',
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    ...(options.profileFile ? { BENCH_PROFILE: options.profileFile } : {}),
  };
}

/** One fresh container running `handlerFile` over the scenario's invocations, against its own fresh table. */
export async function runColdContainer(scenario: Scenario, handlerFile: string, options: ColdRunOptions, alerts?: readonly number[]): Promise<ColdChildReport> {
  const events = scenario.invocations.map((inv) => {
    if (inv.kind !== 'logs') throw new Error(`cold containers take subscription batches; ${scenario.name} has other invocations`);
    return inv.event;
  });
  const setup = localDynamoClient(options.endpoint);
  const tableName = `bench-cold-${randomUUID()}`;
  await createStateTable(setup, tableName);
  setup.destroy();
  const inputFile = join(options.bundles.dir, `${tableName}.json`);
  writeFileSync(inputFile, JSON.stringify({ events, alerts } satisfies ColdInput));
  try {
    return await new Promise<ColdChildReport>((resolvePromise, reject) => {
      // execArgv [] : a plain node, not this process's tsx loader.
      // Under callgrind: valgrind runs node, which runs the child (JIT code included, hence --smc-check).
      const node = options.node ?? process.execPath;
      const underCallgrind = options.callgrindFile
        ? {
            execPath: 'valgrind',
            execArgv: [
              '--tool=callgrind',
              `--callgrind-out-file=${options.callgrindFile}`,
              '--smc-check=all-non-file',
              '--quiet',
              node,
              '--single-threaded',
              '--predictable-gc-schedule',
            ],
          }
        : { execPath: node, execArgv: [] };
      const child = fork(options.bundles.child, [handlerFile, inputFile], {
        ...underCallgrind,
        env: containerEnv(options, tableName),
        cwd: tmpdir(),
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      let report: ColdChildReport | undefined;
      let failure: string | undefined;
      child.on('message', (message: ColdChildReport | { error: string }) => {
        if ('error' in message) failure = message.error;
        else report = message;
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        if (report) resolvePromise(report);
        else reject(new Error(`cold container for ${scenario.name} failed (exit ${code}): ${failure ?? 'no report'}`));
      });
    });
  } finally {
    rmSync(inputFile, { force: true });
  }
}

export function coldRun(report: ColdChildReport, label: string): ColdRun {
  if (report.failedInvocations > 0) throw new Error(`${label}: ${report.failedInvocations} invocation(s) threw in the cold container: ${report.firstError}`);
  const invocationsCpuMs = report.invocationCpuMs.reduce((s, v) => s + v, 0);
  return {
    initCpuMs: report.initCpuMs,
    firstInvocationCpuMs: report.invocationCpuMs[0] ?? 0,
    invocationsCpuMs,
    totalCpuMs: report.initCpuMs + invocationsCpuMs,
    wallMs: report.wallMs,
    alerts: report.alertsPerInvocation.reduce((s, v) => s + v, 0),
  };
}

function design(runs: readonly ColdRun[]): ColdDesign {
  const spread = (pick: (r: ColdRun) => number) => summarize(runs.map(pick));
  return {
    initCpuMs: spread((r) => r.initCpuMs),
    firstInvocationCpuMs: spread((r) => r.firstInvocationCpuMs),
    invocationsCpuMs: spread((r) => r.invocationsCpuMs),
    totalCpuMs: spread((r) => r.totalCpuMs),
    alerts: runs[runs.length - 1]?.alerts ?? 0,
  };
}

/**
 * `runs` pairs of cold containers, ours then the I/O floor back to back (so that both see the same machine
 * load), the floor publishing the alerts ours published for each invocation.
 */
export async function benchCold(
  scenario: Scenario,
  options: ColdRunOptions & { runs: number },
  onProgress: (message: string) => void = () => {},
): Promise<ColdFigures> {
  const ours: ColdRun[] = [];
  const floor: ColdRun[] = [];
  for (let i = 0; i < options.runs; i++) {
    const oursReport = await runColdContainer(scenario, options.bundles.ours, options);
    ours.push(coldRun(oursReport, `${scenario.name}: ours`));
    floor.push(coldRun(await runColdContainer(scenario, options.bundles.ioFloor, options, oursReport.alertsPerInvocation), `${scenario.name}: I/O floor`));
    onProgress(
      `${scenario.name}: cold pair ${i + 1}/${options.runs}: ours ${Math.round(ours[i].totalCpuMs)} ms CPU, I/O floor ${Math.round(floor[i].totalCpuMs)} ms CPU`,
    );
  }
  return {
    ours: design(ours),
    ioFloor: design(floor),
    ratio: summarize(ours.map((o, i) => o.totalCpuMs / floor[i].totalCpuMs)),
    invocationsRatio: summarize(ours.map((o, i) => o.invocationsCpuMs / floor[i].invocationsCpuMs)),
  };
}
