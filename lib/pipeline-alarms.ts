import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/**
 * The alarms on the pipeline itself, each notifying the alarm topic. A part of MacieAlerts: it makes its
 * alarms in the construct's own scope, so their logical ids stay what deployed stacks have.
 */
export class PipelineAlarms {
  readonly all: cloudwatch.Alarm[] = [];

  constructor(
    private readonly owner: Construct,
    private readonly alarmTopic: sns.ITopic,
  ) {}

  /** Fires when the metric goes above the threshold in one 5-minute period; no data is no alarm. */
  add(id: string, description: string, metric: cloudwatch.IMetric, threshold = 0): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this.owner, `${id}Alarm`, {
      alarmDescription: `Macie alerts pipeline (category PIPELINE): ${description}`,
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.all.push(alarm);
    return alarm;
  }
}
