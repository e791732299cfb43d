#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { checkContextKeys, CONTEXT_KEYS, parseSettings, settingsToProps, settingsWarnings } from '../lib/context-settings';
import { MacieAlertsStack } from '../lib/macie-alerts-stack';
import { SettingsError } from '../lambda/core/settings';

// The only place that reads CDK context (cdk.json or `-c key=value`) and the CLI's account and Region.
const app = new App();
const context = Object.fromEntries(CONTEXT_KEYS.map((key) => [key, app.node.tryGetContext(key)]));

let settings: ReturnType<typeof parseSettings>;
try {
  checkContextKeys(app.node.getAllContext());
  settings = parseSettings(context);
} catch (error) {
  if (error instanceof SettingsError) {
    console.error(`macie-alerts: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

for (const warning of settingsWarnings(settings, context)) console.warn(`macie-alerts: warning: ${warning}`);

const { regions } = settings;
const alerts = settingsToProps(settings);
const account = process.env.CDK_DEFAULT_ACCOUNT;
const targetRegions = regions.length > 0 ? regions : process.env.CDK_DEFAULT_REGION ? [process.env.CDK_DEFAULT_REGION] : [];

if (targetRegions.length === 0) {
  // The cdk CLI always sets CDK_DEFAULT_REGION (to us-east-1 when no AWS configuration names one), so this is
  // reached only when the app is synthesized some other way with no Region given: it then still produces an
  // environment-agnostic stack rather than none.
  new MacieAlertsStack(app, 'MacieAlerts', { alerts });
} else {
  for (const region of targetRegions) {
    new MacieAlertsStack(app, `MacieAlerts-${region}`, { env: { account, region }, alerts });
  }
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
