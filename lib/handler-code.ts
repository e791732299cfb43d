import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * Where a function's code comes from: in this repository, NodejsFunction bundles lambda/handlers/*.ts at synth; in
 * the installed package, the bundle `npm run build` made with that same bundling is deployed as it is.
 */
export type HandlerCodeSource =
  | { readonly from: 'package-bundle'; readonly directory: string; readonly reason: 'the installed package ships this bundle' }
  | { readonly from: 'typescript'; readonly entry: string; readonly reason: 'no bundle next to the construct: bundle the sources' }
  | { readonly from: 'missing'; readonly reason: string };

/** The two bundles of each handler, one per `bundleAwsSdk`. */
export function sdkChoice(bundleAwsSdk: boolean): 'sdk-bundled' | 'sdk-from-runtime' {
  return bundleAwsSdk ? 'sdk-bundled' : 'sdk-from-runtime';
}

export interface HandlerCodeLayout {
  /** dist/handler-bundles, seen from the compiled construct; absent beside lib/*.ts. */
  readonly bundlesDir: string;
  /** lambda/handlers, seen from lib/*.ts; absent beside the compiled construct. */
  readonly sourcesDir: string;
}

/** This module's own layout: the two candidates, relative to where it runs from. */
export const HANDLER_CODE_LAYOUT: HandlerCodeLayout = {
  bundlesDir: path.join(__dirname, '..', 'handler-bundles'),
  sourcesDir: path.join(__dirname, '..', 'lambda', 'handlers'),
};

/** Decides where the code of `handler` (a file name in lambda/handlers/ without `.ts`) comes from. */
export function handlerCodeSource(handler: string, bundleAwsSdk: boolean, layout: HandlerCodeLayout, exists: (file: string) => boolean): HandlerCodeSource {
  const directory = path.join(layout.bundlesDir, sdkChoice(bundleAwsSdk), handler);
  if (exists(path.join(directory, 'index.js'))) return { from: 'package-bundle', directory, reason: 'the installed package ships this bundle' };
  const entry = path.join(layout.sourcesDir, `${handler}.ts`);
  if (exists(entry)) return { from: 'typescript', entry, reason: 'no bundle next to the construct: bundle the sources' };
  return {
    from: 'missing',
    reason: `macie-alerts: no code for the ${handler} handler: neither ${path.join(directory, 'index.js')} nor ${entry} exists (a package packed without \`npm run build\`?)`,
  };
}

/**
 * The code properties of a handler's NodejsFunction. Both forms give the same function: a bundle is what the
 * `bundling` below produced when the package was built, deployed with the same `index.handler`.
 */
export function handlerCode(handler: string, bundleAwsSdk: boolean, layout: HandlerCodeLayout = HANDLER_CODE_LAYOUT): nodejs.NodejsFunctionProps {
  const source = handlerCodeSource(handler, bundleAwsSdk, layout, existsSync);
  switch (source.from) {
    case 'package-bundle':
      return { code: lambda.Code.fromAsset(source.directory), handler: 'index.handler' };
    case 'typescript':
      return {
        entry: source.entry,
        handler: 'handler',
        bundling: {
          minify: true,
          sourceMap: true,
          // No `target`: NodejsFunction derives it from the runtime (node24 for nodejs24.x).
          bundleAwsSDK: bundleAwsSdk,
          forceDockerBundling: false,
        },
      };
    case 'missing':
      throw new Error(source.reason);
  }
}
