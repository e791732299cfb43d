import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MacieAlerts, type MacieAlertsProps } from './macie-alerts';

export interface MacieAlertsStackProps extends StackProps {
  /** @default - MacieAlerts defaults */
  readonly alerts?: MacieAlertsProps;
}

/** One Region's pipeline: a stack holding the MacieAlerts construct. */
export class MacieAlertsStack extends Stack {
  readonly alerts: MacieAlerts;

  constructor(scope: Construct, id: string, props: MacieAlertsStackProps = {}) {
    super(scope, id, {
      description: 'Alerts by email, SMS and chat about Amazon Macie jobs, findings and API calls (macie-alerts)',
      ...props,
    });
    this.alerts = new MacieAlerts(this, 'MacieAlerts', props.alerts ?? {});
  }
}
