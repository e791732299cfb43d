import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HANDLER_CODE_LAYOUT, handlerCode, handlerCodeSource, type HandlerCodeSource } from '../../lib/handler-code';

const LAYOUT = { bundlesDir: '/pkg/dist/handler-bundles', sourcesDir: '/repo/lambda/handlers' };

describe("where a handler's code comes from", () => {
  it.each<[string, string, boolean, string[], HandlerCodeSource]>([
    [
      "the installed package: its bundle made with the runtime's SDK left out",
      'job-log',
      false,
      ['/pkg/dist/handler-bundles/sdk-from-runtime/job-log/index.js', '/pkg/dist/handler-bundles/sdk-bundled/job-log/index.js'],
      { from: 'package-bundle', directory: '/pkg/dist/handler-bundles/sdk-from-runtime/job-log', reason: 'the installed package ships this bundle' },
    ],
    [
      'the installed package with bundleAwsSdk: the bundle with the SDK clients',
      'sweeper',
      true,
      ['/pkg/dist/handler-bundles/sdk-from-runtime/sweeper/index.js', '/pkg/dist/handler-bundles/sdk-bundled/sweeper/index.js'],
      { from: 'package-bundle', directory: '/pkg/dist/handler-bundles/sdk-bundled/sweeper', reason: 'the installed package ships this bundle' },
    ],
    [
      'this repository: the TypeScript entry',
      'findings',
      false,
      ['/repo/lambda/handlers/findings.ts'],
      { from: 'typescript', entry: '/repo/lambda/handlers/findings.ts', reason: 'no bundle next to the construct: bundle the sources' },
    ],
    [
      'a bundle of the other SDK choice only is not used',
      'api-calls',
      true,
      ['/pkg/dist/handler-bundles/sdk-from-runtime/api-calls/index.js', '/repo/lambda/handlers/api-calls.ts'],
      { from: 'typescript', entry: '/repo/lambda/handlers/api-calls.ts', reason: 'no bundle next to the construct: bundle the sources' },
    ],
    [
      'neither: missing, naming both places',
      'job-log',
      false,
      [],
      {
        from: 'missing',
        reason:
          'macie-alerts: no code for the job-log handler: neither /pkg/dist/handler-bundles/sdk-from-runtime/job-log/index.js nor /repo/lambda/handlers/job-log.ts exists (a package packed without `npm run build`?)',
      },
    ],
  ])('%s', (_name, handler, bundleAwsSdk, files, expected) => {
    expect(handlerCodeSource(handler, bundleAwsSdk, LAYOUT, (file) => files.includes(file))).toEqual(expected);
  });

  test('in this repository the construct bundles the sources, so `cdk synth` keeps bundling with esbuild', () => {
    expect(HANDLER_CODE_LAYOUT.sourcesDir).toBe(resolve(__dirname, '..', '..', 'lambda', 'handlers'));
    const props = handlerCode('job-log', false);
    expect(props).toMatchObject({ entry: join(HANDLER_CODE_LAYOUT.sourcesDir, 'job-log.ts'), handler: 'handler' });
    // esbuild's target is left to NodejsFunction, which derives it from the runtime: node24 for nodejs24.x.
    expect(props.bundling).not.toHaveProperty('target');
  });

  test("a bundle becomes the function's asset, with the handler its bundling would have named", () => {
    const dir = mkdtempSync(join(tmpdir(), 'handler-code-'));
    try {
      mkdirSync(join(dir, 'handler-bundles', 'sdk-from-runtime', 'job-log'), { recursive: true });
      writeFileSync(join(dir, 'handler-bundles', 'sdk-from-runtime', 'job-log', 'index.js'), 'exports.handler = async () => {};\n');
      const props = handlerCode('job-log', false, { bundlesDir: join(dir, 'handler-bundles'), sourcesDir: join(dir, 'none') });
      expect(props.code).toBeInstanceOf(lambda.AssetCode);
      const stack = new Stack(new App());
      new NodejsFunction(stack, 'Fn', { ...props, runtime: lambda.Runtime.NODEJS_24_X });
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Runtime: 'nodejs24.x' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
