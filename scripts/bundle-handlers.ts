import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack, type CfnResource } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { sdkChoice } from '../lib/handler-code';
import { MacieAlerts } from '../lib/macie-alerts';

/**
 * The second half of `npm run build`: the handler bundles the packed library ships in dist/handler-bundles/,
 * so that an app installing it synthesizes with no TypeScript, esbuild or handler dependencies of ours.
 *
 * The construct makes them itself: it is synthesized from the sources, with this repository's cdk.json
 * context (its feature flags choose what esbuild leaves out), once per `bundleAwsSdk`, and each function's
 * asset is copied out of the cloud assembly. The assembly is written one folder below the repository, as
 * `cdk synth` writes cdk.out, so the source maps name the sources as `../../lambda/...` in both.
 */
const ROOT = path.resolve(__dirname, '..');
const BUNDLES = path.join(ROOT, 'dist', 'handler-bundles');

function functionsOf(alerts: MacieAlerts): Record<string, NodejsFunction> {
  if (!alerts.apiCallHandler) throw new Error('bundle-handlers: the construct made no API-call handler');
  if (!alerts.healthHandler) throw new Error('bundle-handlers: the construct made no AWS Health handler');
  return {
    'job-log': alerts.jobLogHandler,
    findings: alerts.findingsHandler,
    'api-calls': alerts.apiCallHandler,
    health: alerts.healthHandler,
    sweeper: alerts.sweeper,
  };
}

function bundle(bundleAwsSdk: boolean): void {
  const outdir = mkdtempSync(path.join(ROOT, 'cdk.out.'));
  try {
    const context = (JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
    const app = new App({ outdir, context: { ...context, 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'HandlerBundles');
    const alerts = new MacieAlerts(stack, 'MacieAlerts', { bundleAwsSdk, dashboard: false });
    const template = app.synth().getStackArtifact(stack.artifactId).template as { Resources: Record<string, { Metadata?: Record<string, unknown> }> };
    for (const [handler, fn] of Object.entries(functionsOf(alerts))) {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnResource);
      const asset = template.Resources[logicalId]?.Metadata?.['aws:asset:path'];
      if (typeof asset !== 'string') throw new Error(`bundle-handlers: no asset for ${handler} (${logicalId})`);
      const target = path.join(BUNDLES, sdkChoice(bundleAwsSdk), handler);
      cpSync(path.join(outdir, asset), target, { recursive: true });
      console.log(`bundle-handlers: ${path.relative(ROOT, target)}`);
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

rmSync(BUNDLES, { recursive: true, force: true });
for (const bundleAwsSdk of [false, true]) bundle(bundleAwsSdk);
