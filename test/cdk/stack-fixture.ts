import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { MacieAlertsProps } from '../../lib/macie-alerts';
import { MacieAlertsStack } from '../../lib/macie-alerts-stack';

/**
 * A stack in a fixed environment with bundling skipped, so the construct tests stay fast. The handlers are
 * bundled with esbuild by `cdk synth` (the last step of `npm test`), which fails if a handler does not build.
 */
export function buildStack(alerts: MacieAlertsProps = {}): { app: App; stack: MacieAlertsStack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MacieAlertsStack(app, 'TestStack', { env: { account: '111122223333', region: 'eu-west-1' }, alerts });
  return { app, stack, template: Template.fromStack(stack) };
}

export const TENANT = '0b1f3b8e-6d2e-4c83-9d1c-2f8f2a4b5c6d';
export const TEAM = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
