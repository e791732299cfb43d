import { mkdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynamoDbLocal, type LocalDynamoDb } from '../src/local/dynamodb-local';
import { buildColdBundles, runColdContainer } from './cold-container';
import { fmt } from './report';
import { allScenarios, type Scenario } from './scenarios';

/**
 * `npm run bench:profile`: a V8 CPU profile of one cold container (init and every invocation of a scenario;
 * cold-container-child.ts), then the top entries by self time, by function and by module. The handler
 * bundle is built as deployed but not minified, so functions keep their names; frames inside it are
 * attributed to their source file through the source map. Options:
 *   --scenario NAME   storm (default), replay or fleet
 *   --design D        ours (default) or io-floor
 *   --runs N          containers to profile, one after the other; the tables give the mean (default 3: the
 *                     profiler samples wall time while the process is not idle, so other load on the
 *                     machine lands on whatever was running, mostly system calls; more runs even it out)
 *   --top N           rows per table (default 25)
 *   --handler FILE    profile another job-log handler entry, e.g. another checkout's, for before/after
 *   --node PATH       the node binary the containers run (default: this one; see bench:ab --node)
 *   --out DIR         where to keep the .cpuprofile files (default: a temporary directory, removed; with --out
 *                     the bundles they point at are kept too); open one
 *                     in Chrome DevTools (Performance) or VS Code for the call tree
 */
const repoRoot = resolve(__dirname, '..');

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: CallFrame }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly selfMs: number;
  readonly share: number;
}

/** Per profiled container (the mean over the profiles summarised). */
export interface ProfileSummary {
  /** Sampled time: everything but (idle), i.e. waiting for DynamoDB. */
  readonly cpuMs: number;
  readonly idleMs: number;
  readonly byFunction: readonly ProfileEntry[];
  readonly byModule: readonly ProfileEntry[];
}

/** What a source path belongs to: an npm package or a file of this project (node's own keep their node: URL). */
export function moduleOf(source: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (pkg) return pkg[1];
  const project = /(?:^|\/)((?:lambda|bench|src|lib)\/.*)$/.exec(source);
  return project ? project[1] : source;
}

/** Self time per function and per module, summed over the profiles; bundle frames are mapped back to their sources. */
export function summarizeProfiles(profiles: readonly CpuProfile[], top = 25): ProfileSummary {
  const maps = new Map<string, SourceMap | undefined>();
  const sourceMapOf = (url: string): SourceMap | undefined => {
    if (!maps.has(url)) {
      let map: SourceMap | undefined;
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')));
      } catch {
        map = undefined;
      }
      maps.set(url, map);
    }
    return maps.get(url);
  };
  const where = (frame: CallFrame): string => {
    if (!frame.url) return '(native)';
    if (!frame.url.startsWith('file:')) return frame.url;
    const entry = sourceMapOf(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
    return entry?.originalSource
      ? `${moduleOf(entry.originalSource)}:${(entry.originalLine ?? 0) + 1}`
      : `${moduleOf(fileURLToPath(frame.url))}:${frame.lineNumber + 1}`;
  };
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let cpuUs = 0;
  let idleUs = 0;
  for (const profile of profiles) {
    const selfUs = new Map<number, number>();
    for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    for (const node of profile.nodes) {
      const us = selfUs.get(node.id) ?? 0;
      if (us === 0) continue;
      const frame = node.callFrame;
      if (frame.functionName === '(idle)') {
        idleUs += us;
        continue;
      }
      cpuUs += us;
      const place = frame.functionName.startsWith('(') ? '' : where(frame);
      const name = `${frame.functionName || '(anonymous)'}${place ? ` ${place}` : ''}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + us);
      const module = frame.functionName.startsWith('(') ? frame.functionName : place.replace(/:\d+$/, '');
      byModule.set(module, (byModule.get(module) ?? 0) + us);
    }
  }
  const n = Math.max(1, profiles.length);
  const entries = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000 / n, share: us / cpuUs }));
  return { cpuMs: cpuUs / 1000 / n, idleMs: idleUs / 1000 / n, byFunction: entries(byFunction), byModule: entries(byModule) };
}

export function renderProfile(summary: ProfileSummary): string {
  const rows = (entries: readonly ProfileEntry[]) =>
    entries.map((e) => `| ${fmt(e.selfMs, 1)} | ${fmt(100 * e.share, 1)}% | ${e.name.replace(/\|/g, '\\|')} |`).join('\n');
  return [
    `sampled ${fmt(summary.cpuMs, 0)} ms per container (plus ${fmt(summary.idleMs, 0)} ms idle, waiting for DynamoDB); shares of the sampled time`,
    '',
    '| self ms | share | function (source:line) |',
    '| --- | --- | --- |',
    rows(summary.byFunction),
    '',
    '| self ms | share | module |',
    '| --- | --- | --- |',
    rows(summary.byModule),
  ].join('\n');
}

function parseArgs(argv: readonly string[]) {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const scenario = (value('--scenario') ?? 'storm') as Scenario['name'];
  if (!['storm', 'replay', 'fleet'].includes(scenario)) throw new Error(`--scenario: storm, replay or fleet, got ${scenario}`);
  const design = value('--design') ?? 'ours';
  if (design !== 'ours' && design !== 'io-floor') throw new Error(`--design: ours or io-floor, got ${design}`);
  const number = (flag: string, fallback: number) => {
    const n = Number(value(flag) ?? fallback);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} expects a positive whole number`);
    return n;
  };
  const handler = value('--handler');
  const out = value('--out');
  const node = value('--node');
  return {
    scenario,
    design,
    runs: number('--runs', 3),
    top: number('--top', 25),
    handler: handler && resolve(handler),
    out: out && resolve(out),
    node: node && resolve(node),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scenario = allScenarios(7).find((s) => s.name === args.scenario)!;
  const bundles = await buildColdBundles(repoRoot, { minify: false, handler: args.handler });
  const outDir = args.out ?? join(bundles.dir, 'profiles');
  mkdirSync(outDir, { recursive: true });
  let local: LocalDynamoDb | undefined;
  try {
    local = await startDynamoDbLocal();
    const options = { repoRoot, endpoint: local.endpoint, bundles, node: args.node };
    const profiles: CpuProfile[] = [];
    const lines: string[] = [];
    for (let i = 0; i < args.runs; i++) {
      // The floor publishes what ours published: run ours first when profiling the floor.
      const alerts = args.design === 'io-floor' ? (await runColdContainer(scenario, bundles.ours, options)).alertsPerInvocation : undefined;
      const profileFile = join(outDir, `cold-${args.scenario}-${args.design}-${i + 1}.cpuprofile`);
      const report = await runColdContainer(scenario, args.design === 'ours' ? bundles.ours : bundles.ioFloor, { ...options, profileFile }, alerts);
      const invocations = report.invocationCpuMs.reduce((s, v) => s + v, 0);
      lines.push(
        `container ${i + 1}: init ${fmt(report.initCpuMs, 0)} ms CPU, invocations ${fmt(invocations, 0)} ms CPU (${report.invocationCpuMs.map((v) => fmt(v, 0)).join(' + ')})`,
      );
      profiles.push(JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile);
    }
    process.stdout.write(
      `${args.scenario}, ${args.design}${args.handler ? ` (${args.handler})` : ''}, profiled cold containers (sampling every 0.25 ms makes them slower than unprofiled ones):\n${lines.join('\n')}\n\n`,
    );
    process.stdout.write(`${renderProfile(summarizeProfiles(profiles, args.top))}\n`);
    if (args.out) process.stdout.write(`\nprofiles: ${outDir}\nbundles they point at (kept, with their source maps): ${bundles.dir}\n`);
  } finally {
    await local?.stop();
    // With --out the profiles are for reading later: their frames point into the bundles.
    if (!args.out) bundles.remove();
  }
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`bench:profile failed: ${(error as Error)?.stack ?? error}\n`);
    process.exitCode = 1;
  });
}
