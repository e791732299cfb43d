import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { MACIE_JOB_LOG_GROUP } from '../lambda/core/links';

/** The subscription filter's name, which the CloudWatch Logs delivery metrics carry. */
const FILTER_NAME = 'macie-alerts-job-log';

/**
 * Macie's job log group, subscribed to the job-log function. The group must survive `cdk destroy` (it holds
 * Macie's data), so it is created once, only if Macie has not made it yet. A part of MacieAlerts: its
 * resources are made in the construct's own scope, so their logical ids stay what deployed stacks have.
 */
export class JobLogSubscription {
  readonly filter: logs.SubscriptionFilter;

  constructor(owner: Construct, fn: lambda.IFunction, logRetention: logs.RetentionDays) {
    const stack = Stack.of(owner);
    const jobLogGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: MACIE_JOB_LOG_GROUP,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const ensureJobLogGroup = new cr.AwsCustomResource(owner, 'EnsureMacieJobLogGroup', {
      // Create only: the group may already exist (Macie made it), and deleting it would delete Macie's data.
      onCreate: {
        service: 'CloudWatchLogs',
        action: 'CreateLogGroup',
        parameters: { logGroupName: MACIE_JOB_LOG_GROUP },
        physicalResourceId: cr.PhysicalResourceId.of(MACIE_JOB_LOG_GROUP),
        ignoreErrorCodesMatching: 'ResourceAlreadyExistsException',
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['logs:CreateLogGroup'], resources: [jobLogGroupArn] })]),
      installLatestAwsSdk: false,
      logGroup: new logs.LogGroup(owner, 'EnsureMacieJobLogGroupLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY }),
    });
    const macieJobLogGroup = logs.LogGroup.fromLogGroupName(owner, 'MacieJobLogGroup', MACIE_JOB_LOG_GROUP);
    this.filter = new logs.SubscriptionFilter(owner, 'JobLogSubscription', {
      logGroup: macieJobLogGroup,
      destination: new LambdaDestination(fn),
      filterPattern: logs.FilterPattern.allEvents(),
      filterName: FILTER_NAME,
    });
    this.filter.node.addDependency(ensureJobLogGroup);
  }

  /** CloudWatch Logs' own metric of delivering this subscription's events to the function. */
  static deliveryMetric(metricName: 'DeliveryErrors' | 'DeliveryThrottling'): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Logs',
      metricName,
      dimensionsMap: { LogGroupName: MACIE_JOB_LOG_GROUP, DestinationType: 'Lambda', FilterName: FILTER_NAME },
      period: Duration.minutes(5),
      statistic: 'Sum',
    });
  }
}
