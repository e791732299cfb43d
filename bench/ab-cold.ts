import { resolve } from 'node:path';
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
 *   --rounds N        rounds (default 7)
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
  const rounds = Number(value('--rounds') ?? 7);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds expects a positive whole number');
  return { handler: resolve(handler), scenario, rounds };
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
    // coldRun throws when an invocation threw; the report keeps what each invocation published.
    const run = async (bundle: ColdBundles, file: string, label: string, alerts?: readonly number[]) => {
      const report = await runColdContainer(scenario, file, { repoRoot, endpoint: local!.endpoint, bundles: bundle }, alerts);
      return { ...coldRun(report, label), alertsPerInvocation: report.alertsPerInvocation };
    };
    type Measured = Awaited<ReturnType<typeof run>>;
    const rows: { a: Measured; b: Measured; floor: Measured }[] = [];
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
      process.stderr.write(`round ${i + 1}/${args.rounds}: A ${fmt(ra.totalCpuMs, 0)} ms, B ${fmt(rb.totalCpuMs, 0)} ms, I/O floor ${fmt(floor.totalCpuMs, 0)} ms CPU\n`);
    }
    const line = (label: string, pick: (row: (typeof rows)[number]) => Measured) => {
      const total = summarize(rows.map((row) => pick(row).totalCpuMs));
      const init = summarize(rows.map((row) => pick(row).initCpuMs));
      const ratio = summarize(rows.map((row) => pick(row).totalCpuMs / row.floor.totalCpuMs));
      return `| ${label} | ${fmt(total.median, 0)} (${fmt(total.min, 0)}-${fmt(total.max, 0)}) | ${fmt(init.median, 0)} | ${fmt(ratio.median, 2)}x |`;
    };
    const perRound = summarize(rows.map((row) => row.b.totalCpuMs / row.a.totalCpuMs));
    process.stdout.write(
      [
        `${args.scenario}, ${args.rounds} rounds of cold containers (CPU ms, median and min-max; init included)`,
        '',
        '| handler | init + invocations | init | / I/O floor |',
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

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`bench:ab failed: ${(error as Error)?.stack ?? error}\n`);
    process.exitCode = 1;
  });
}
