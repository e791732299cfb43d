import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { summarize, type Spread } from './stats';

/**
 * Cold start of each handler as deployed: the bundle `cdk synth` wrote (NodejsFunction, esbuild), loaded by
 * a fresh node process the way the Lambda runtime loads it, several times. The AWS SDK is external to the
 * bundles when the runtime provides it, so NODE_PATH points at node_modules as the runtime's does at
 * /var/runtime/node_modules; the time to load the SDK is then part of the figure, as in Lambda.
 */
export interface BundleFigures {
  /** The construct path of the function, e.g. MacieAlerts/Pipeline/JobLogHandler. */
  readonly name: string;
  readonly file: string;
  readonly sizeKb: number;
  /** require/import of the bundle inside a started node process, ms. */
  readonly loadMs: Spread;
  /** A whole fresh `node` process that loads the bundle and exits, ms (node's own start included). */
  readonly processMs: Spread;
  /** Where the AWS SDK clients come from: inside the bundle, or the Lambda runtime's copy. */
  readonly awsSdk: 'bundled' | 'runtime' | 'unknown';
  /** The largest packages in the bundle by source size (from its source map), KB: what the size is made of. */
  readonly largestPackages?: readonly { readonly name: string; readonly sourceKb: number }[];
}

export interface ColdStartResult {
  readonly cdkOut?: string;
  readonly bundles: readonly BundleFigures[];
  /** Why nothing (or not everything) was measured. */
  readonly note?: string;
}

// Functions aws-cdk-lib adds on its own (custom resources, log retention): not ours to measure.
const LIBRARY_FUNCTIONS = /AWS679f53fac002430cb0da5b7982bd2287|LogRetention|CustomResource|Provider\/framework|BucketNotificationsHandler|CDKMetadata/;

interface TemplateResource {
  Type?: string;
  Properties?: { Code?: { S3Key?: unknown }; Handler?: string; Runtime?: string };
  Metadata?: Record<string, unknown>;
}

export function synthesize(repoRoot: string): { outDir?: string; error?: string } {
  const outDir = mkdtempSync(join(tmpdir(), 'macie-alerts-bench-cdk-'));
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', outDir], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' },
    timeout: 180_000,
  });
  if (result.status !== 0)
    return {
      error: `cdk synth failed (exit ${result.status}): ${(result.stderr || result.stdout || String(result.error)).trim().split('\n').slice(-5).join(' | ')}`,
    };
  return { outDir };
}

/** Lambda functions of the synthesized templates whose code is a bundle directory with index.js / index.mjs. */
export function findBundles(cdkOut: string): { name: string; file: string }[] {
  const found = new Map<string, { name: string; file: string }>();
  for (const entry of readdirSync(cdkOut)) {
    if (!entry.endsWith('.template.json')) continue;
    const template = JSON.parse(readFileSync(join(cdkOut, entry), 'utf8')) as { Resources?: Record<string, TemplateResource> };
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const path = String(resource.Metadata?.['aws:cdk:path'] ?? logicalId);
      if (LIBRARY_FUNCTIONS.test(path)) continue;
      const assetPath = resource.Metadata?.['aws:asset:path'];
      const s3Key = resource.Properties?.Code?.S3Key;
      const dir =
        typeof assetPath === 'string' ? join(cdkOut, assetPath) : typeof s3Key === 'string' ? join(cdkOut, `asset.${s3Key.replace(/\.zip$/, '')}`) : undefined;
      if (!dir) continue;
      const file = ['index.mjs', 'index.js'].map((f) => join(dir, f)).find((f) => existsSync(f));
      if (file) found.set(file, { name: path.replace(/\/Resource$/, ''), file });
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

const LOADER = `
const { pathToFileURL } = require('node:url');
const file = process.argv[1];
const t0 = process.hrtime.bigint();
const loaded = file.endsWith('.mjs') ? import(pathToFileURL(file).href) : Promise.resolve(require(file));
loaded.then((m) => {
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const handler = typeof (m.handler ?? (m.default && m.default.handler));
  process.stdout.write(JSON.stringify({ ms, handler }));
}, (e) => { process.stdout.write(JSON.stringify({ error: String(e && e.stack || e) })); process.exitCode = 1; });
`;

function loadOnce(file: string, nodeModules: string): { loadMs: number; processMs: number } {
  const t0 = performance.now();
  const out = spawnSync(process.execPath, ['-e', LOADER, file], {
    encoding: 'utf8',
    cwd: tmpdir(),
    // What the construct and the Lambda runtime set; handlers build their clients at load time from these.
    env: {
      PATH: process.env.PATH,
      NODE_PATH: nodeModules,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_LAMBDA_FUNCTION_NAME: 'bench',
      STATE_TABLE_NAME: 'bench-state',
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench',
      POWERTOOLS_SERVICE_NAME: 'bench',
    },
    timeout: 30_000,
  });
  const processMs = performance.now() - t0;
  let parsed: { ms?: number; error?: string; handler?: string } = {};
  try {
    parsed = JSON.parse(out.stdout);
  } catch {
    parsed = { error: out.stderr || out.stdout };
  }
  if (parsed.error || parsed.ms === undefined) throw new Error(`loading ${file} failed: ${String(parsed.error).split('\n').slice(0, 3).join(' | ')}`);
  if (parsed.handler !== 'function') throw new Error(`${file} exports no handler function`);
  return { loadMs: parsed.ms, processMs };
}

export function measureColdStart(options: { repoRoot: string; cdkOut?: string; runs: number }): ColdStartResult {
  let cdkOut = options.cdkOut;
  if (!cdkOut) {
    const synth = synthesize(options.repoRoot);
    if (synth.error) return { bundles: [], note: synth.error };
    cdkOut = synth.outDir!;
  }
  const bundles = findBundles(cdkOut);
  if (bundles.length === 0) return { cdkOut, bundles: [], note: `no Lambda bundles (index.js / index.mjs) found in ${cdkOut}` };
  const nodeModules = resolve(options.repoRoot, 'node_modules');
  const figures: BundleFigures[] = [];
  const problems: string[] = [];
  for (const bundle of bundles) {
    try {
      loadOnce(bundle.file, nodeModules); // warms the OS file cache, as a deployed function's is warm
      const runs = Array.from({ length: options.runs }, () => loadOnce(bundle.file, nodeModules));
      const composition = packagesOf(bundle.file);
      const source = readFileSync(bundle.file, 'utf8');
      figures.push({
        ...bundle,
        sizeKb: statSync(bundle.file).size / 1024,
        loadMs: summarize(runs.map((r) => r.loadMs)),
        processMs: summarize(runs.map((r) => r.processMs)),
        awsSdk: composition?.some((p) => p.name.startsWith('@aws-sdk/client-'))
          ? 'bundled'
          : /require\(["']@aws-sdk\/client-|from ["']@aws-sdk\/client-/.test(source)
            ? 'runtime'
            : 'unknown',
        largestPackages: composition?.slice(0, 5),
      });
    } catch (error) {
      problems.push(`${bundle.name}: ${(error as Error).message}`);
    }
  }
  return { cdkOut, bundles: figures, note: problems.length ? problems.join('; ') : undefined };
}

/** Source size per npm package (or "ours") from the bundle's source map, largest first; undefined without a map. */
export function packagesOf(bundleFile: string): { name: string; sourceKb: number }[] | undefined {
  const mapFile = `${bundleFile}.map`;
  if (!existsSync(mapFile)) return undefined;
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources?: string[]; sourcesContent?: (string | null)[] };
  const sizes = new Map<string, number>();
  (map.sources ?? []).forEach((source, i) => {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1] ?? '(this project)';
    sizes.set(pkg, (sizes.get(pkg) ?? 0) + (map.sourcesContent?.[i]?.length ?? 0) / 1024);
  });
  return [...sizes.entries()].map(([name, sourceKb]) => ({ name, sourceKb: Math.round(sourceKb) })).sort((a, b) => b.sourceKb - a.sourceKb);
}
