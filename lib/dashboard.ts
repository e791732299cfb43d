import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALERT_CATEGORIES } from '../lambda/core/alert';
import { SEVERITIES } from '../lambda/core/severity';
import {
  dimensionOf,
  type METRICS,
  METRICS_NAMESPACE,
  OTHER_DIMENSION_VALUE,
  type DimensionedMetricName,
  type MetricDimension,
  type PlainMetricName,
} from '../lambda/core/telemetry';
import { ALERTED_API_CALLS } from '../lambda/api-calls/call-types';
import { JOB_EVENT_TYPES } from '../lambda/job-log/event-types';

/** A function as the dashboard shows it: its label, and the `service` dimension its metrics carry. */
export interface DashboardFunction {
  readonly label: string;
  readonly fn: lambda.IFunction;
  readonly service: string;
}

export interface PipelineDashboardProps {
  readonly dashboardName: string;
  /** The stack and Region, for the title. */
  readonly stackName: string;
  readonly region: string;
  /** Every function, in the order the graphs list them. */
  readonly functions: readonly DashboardFunction[];
  /** The functions that take events (BadRecords, EventsProcessed, ...); the sweeper takes none. */
  readonly eventFunctions: readonly DashboardFunction[];
  readonly jobLog: DashboardFunction;
  /** The functions SQS queues feed (findings, API calls): the ones whose records can be retried. */
  readonly queueFunctions: readonly DashboardFunction[];
  /** The queues EventBridge delivers findings and API calls to, and the alarms on their backlog. */
  readonly eventQueues: readonly { readonly name: string; readonly queue: sqs.IQueue }[];
  readonly backlogAlarms: readonly cloudwatch.Alarm[];
  /** Whether API-call alerts are on (the function exists). */
  readonly apiCalls: boolean;
  /** Every failure and dead-letter queue, by the name `macie-alerts redrive --queue` takes. */
  readonly queues: readonly { readonly name: string; readonly queue: sqs.IQueue }[];
  readonly alertTopic: sns.ITopic;
  readonly alarmTopic: sns.ITopic;
}

/** The values each dimension takes: one line per value, OTHER included where the table may not know one. */
export const DIMENSION_VALUES: Readonly<Record<MetricDimension, readonly string[]>> = {
  eventType: [...Object.keys(JOB_EVENT_TYPES), OTHER_DIMENSION_VALUE],
  severity: SEVERITIES,
  category: ALERT_CATEGORIES,
  apiCall: ALERTED_API_CALLS,
};

const PERIOD = Duration.minutes(5);

/**
 * One CloudWatch dashboard per stack: pipeline health first (is it running, failing, keeping up, what it
 * sends), then Macie activity (what Macie did, from the functions' own metrics). Every MacieAlerts metric
 * is taken from the METRICS catalogue, so a metric renamed there cannot leave a graph without data.
 */
export class PipelineDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const { functions } = props;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
    });

    const lambdaGraph = (title: string, metric: (fn: lambda.IFunction, options: cloudwatch.MetricOptions) => cloudwatch.Metric) =>
      graph(
        title,
        functions.map((f) => metric(f.fn, { label: f.label, period: PERIOD, statistic: 'Sum' })),
        8,
      );
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `# Macie alerts: stack ${props.stackName}, Region ${props.region}\n` +
          'Pipeline health, then Macie activity. Custom metrics are in namespace `MacieAlerts`; what each means, and what to do when a queue fills: docs/operations.md.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(section('Pipeline health'));
    this.dashboard.addWidgets(
      lambdaGraph('Invocations', (fn, o) => fn.metricInvocations(o)),
      lambdaGraph('Errors (retried, then sent to the failure queue)', (fn, o) => fn.metricErrors(o)),
      lambdaGraph('Throttles', (fn, o) => fn.metricThrottles(o)),
    );
    this.addDeliveryAndBacklog(props);
    this.addAlertsAndEvents(props);
    this.addMacieActivity(props);
  }

  /** Where records and alerts wait or fail: failure queues, delivery, the event queues' backlog, retries. */
  private addDeliveryAndBacklog(props: PipelineDashboardProps): void {
    const { functions } = props;
    this.dashboard.addWidgets(
      graph(
        'Failure and dead-letter queues: messages waiting (macie-alerts redrive)',
        props.queues.map(({ name, queue }) => queue.metricApproximateNumberOfMessagesVisible({ label: name, period: PERIOD, statistic: 'Maximum' })),
        12,
      ),
      graph(
        'Delivery failures',
        [
          props.alertTopic.metricNumberOfNotificationsFailed({ label: 'SNS notifications failed (alert topic)', period: PERIOD, statistic: 'Sum' }),
          props.alarmTopic.metricNumberOfNotificationsFailed({ label: 'SNS notifications failed (alarm topic)', period: PERIOD, statistic: 'Sum' }),
          ...functions.map((f) => plain('PublishFailures', f, `alerts SNS did not take: ${f.label}`)),
        ],
        12,
      ),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Findings and API-call queues: backlog (records waiting, age of the oldest)',
        left: props.eventQueues.map(({ name, queue }) =>
          queue.metricApproximateNumberOfMessagesVisible({ label: `waiting: ${name}`, period: PERIOD, statistic: 'Maximum' }),
        ),
        right: props.eventQueues.map(({ name, queue }) =>
          queue.metricApproximateAgeOfOldestMessage({ label: `oldest (s): ${name}`, period: PERIOD, statistic: 'Maximum' }),
        ),
        leftYAxis: { label: 'records', showUnits: false, min: 0 },
        rightYAxis: { label: 'seconds', showUnits: false, min: 0 },
        rightAnnotations: props.backlogAlarms.map((alarm) => alarm.toAnnotation()),
        width: 12,
        height: 6,
        legendPosition: cloudwatch.LegendPosition.BOTTOM,
      }),
      graph(
        'Retries: possible repeats published, records back to their queue',
        [
          ...functions.map((f) => plain('AlertsRepublished', f, `republished (labelled): ${f.label}`)),
          ...props.queueFunctions.map((f) => plain('RecordsRetried', f, `records retried: ${f.label}`)),
        ],
        12,
      ),
    );
  }

  /** What the pipeline sent and applied: alerts by severity and category, bad records, events grouped. */
  private addAlertsAndEvents(props: PipelineDashboardProps): void {
    const { eventFunctions, jobLog } = props;
    this.dashboard.addWidgets(
      graph('Alerts published by severity', byDimension('AlertsBySeverity'), 12, true),
      graph('Alerts published by category', byDimension('AlertsByCategory'), 12, true),
    );
    this.dashboard.addWidgets(
      graph(
        'Bad records (skipped, logged)',
        [...eventFunctions.map((f) => plain('BadRecords', f)), plain('BadBatches', jobLog, `undecodable batches: ${jobLog.label}`)],
        12,
      ),
      graph(
        'Events applied, and grouped (no alert of their own)',
        eventFunctions.flatMap((f) => [plain('EventsProcessed', f, `applied: ${f.label}`), plain('AlertsSuppressed', f, `grouped: ${f.label}`)]),
        12,
      ),
    );
  }

  /** What Macie did, from the functions' own metrics: below the pipeline's health. */
  private addMacieActivity(props: PipelineDashboardProps): void {
    const { jobLog } = props;
    this.dashboard.addWidgets(section('Macie activity'));
    this.dashboard.addWidgets(
      graph('Job events by type', byDimension('JobEvents'), 12, true, 8),
      graph('Runs completed and cancelled', [plain('RunsCompleted', jobLog, 'completed'), plain('RunsCancelled', jobLog, 'cancelled')], 6, false, 8),
      graph('Findings by severity', byDimension('Findings'), 6, true, 8),
    );
    if (props.apiCalls) this.dashboard.addWidgets(graph('API-call alerts by call', byDimension('ApiCallAlerts'), 24, true));
  }
}

function section(title: string): cloudwatch.TextWidget {
  return new cloudwatch.TextWidget({ markdown: `## ${title}`, width: 24, height: 1 });
}

function graph(title: string, left: cloudwatch.IMetric[], width: number, stacked = false, height = 6): cloudwatch.GraphWidget {
  // A long list of lines reads best beside the graph, a short one below it.
  const legendPosition = left.length > 6 ? cloudwatch.LegendPosition.RIGHT : cloudwatch.LegendPosition.BOTTOM;
  return new cloudwatch.GraphWidget({ title, left, width, height, stacked, legendPosition });
}

function metric(metricName: keyof typeof METRICS, dimensionsMap: Record<string, string>, label: string): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap, label, period: PERIOD, statistic: 'Sum' });
}

/** A metric without a dimension of its own, as one function emits it (Powertools' `service` dimension). */
function plain(name: PlainMetricName, f: DashboardFunction, label = f.label): cloudwatch.Metric {
  return metric(name, { service: f.service }, label);
}

/** One line per value of the metric's dimension: CloudWatch adds up what every function emits. */
function byDimension(name: DimensionedMetricName): cloudwatch.Metric[] {
  const dimension = dimensionOf(name);
  return DIMENSION_VALUES[dimension].map((value) => metric(name, { [dimension]: value }, value));
}
