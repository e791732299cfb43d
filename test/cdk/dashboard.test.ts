import { App, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { MacieAlertsStack } from '../../lib/macie-alerts-stack';
import { dimensionOf, METRICS, METRICS_NAMESPACE, type DimensionedMetricName, type MetricName } from '../../lambda/core/telemetry';
import { JOB_EVENT_TYPES } from '../../lambda/job-log/event-types';
import { DIMENSION_VALUES } from '../../lib/dashboard';
import type { FailureQueues } from '../../lib/failure-queues';
import { FAILURE_QUEUES_OUTPUT, parseFailureQueues, type FailureQueue } from '../../lib/failure-queues-output';
import { queueTarget } from '../../lib/rule-delivery';
import { buildStack } from './stack-fixture';

type Json = Record<string, any>;

/**
 * A Fn::Join as text: references become readable placeholders (REF(LogicalId), ATT(LogicalId.Attr)) so the
 * JSON they sit in can be parsed and the references checked.
 */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(joined).join(v['Fn::Join'][0]);
  if (v.Ref) return `REF(${v.Ref})`;
  if (v['Fn::GetAtt']) return `ATT(${v['Fn::GetAtt'].join('.')})`;
  throw new Error(`unexpected token ${JSON.stringify(value)}`);
}

function synth(props: Parameters<typeof buildStack>[0] = {}) {
  const template = buildStack(props).template.toJSON() as Json;
  const resources = Object.entries(template.Resources as Record<string, Json>);
  const dashboards = resources.filter(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard');
  const output = (name: string) => Object.entries(template.Outputs as Record<string, Json>).find(([key]) => key.startsWith(`MacieAlerts${name}`))?.[1];
  return { template, resources, dashboards, output };
}

interface GraphMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  label?: string;
  /** The axis it is drawn against (CloudWatch's default: left). */
  axis: 'left' | 'right';
}

/** CloudWatch's metric arrays: [namespace, name, dimension, value, ..., {options}]. */
function metricsOf(widget: Json): GraphMetric[] {
  return (widget.properties.metrics ?? []).map((entry: unknown[]) => {
    const options = typeof entry[entry.length - 1] === 'object' ? (entry[entry.length - 1] as Json) : {};
    const parts = entry.filter((p) => typeof p === 'string') as string[];
    const [namespace, name, ...pairs] = parts;
    const dimensions: Record<string, string> = {};
    for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
    return { namespace, name, dimensions, label: options.label, axis: options.yAxis ?? 'left' };
  });
}

const defaults = synth();
const body = JSON.parse(joined(defaults.dashboards[0][1].Properties.DashboardBody)) as { widgets: Json[]; start: string };
const graphs = body.widgets.filter((w) => w.type === 'metric');
const widget = (title: string) => {
  const found = graphs.find((w) => w.properties.title === title);
  if (!found) throw new Error(`no graph "${title}"; graphs: ${graphs.map((w) => w.properties.title).join(' | ')}`);
  return found;
};
const graph = (title: string) => metricsOf(widget(title));
const BACKLOG = 'Findings and API-call queues: backlog (records waiting, age of the oldest)';
const RETRIES = 'Retries: possible repeats published, records back to their queue';
const allMetrics = graphs.flatMap(metricsOf);

describe('the dashboard', () => {
  it('is one dashboard named after the stack and Region, titled with both, over the last week', () => {
    expect(defaults.dashboards).toHaveLength(1);
    expect(defaults.dashboards[0][1].Properties.DashboardName).toBe('TestStack-eu-west-1');
    expect(body.widgets[0].properties.markdown).toContain('stack TestStack, Region eu-west-1');
    expect(body.start).toBe('-P7D');
  });

  it('has the pipeline-health and Macie-activity graphs', () => {
    expect(graphs.map((w) => w.properties.title)).toEqual([
      'Invocations',
      'Errors (retried, then sent to the failure queue)',
      'Throttles',
      'Failure and dead-letter queues: messages waiting (macie-alerts redrive)',
      'Delivery failures',
      BACKLOG,
      RETRIES,
      'Alerts published by severity',
      'Alerts published by category',
      'Bad records (skipped, logged)',
      'Events applied, and grouped (no alert of their own)',
      'Job events by type',
      'Runs completed and cancelled',
      'Findings by severity',
      'API-call alerts by call',
    ]);
    const sections = body.widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown);
    expect(sections).toEqual(expect.arrayContaining(['## Pipeline health', '## Macie activity']));
  });

  it('draws every metric name from the telemetry catalogue, with the dimension the catalogue gives it', () => {
    const ours = allMetrics.filter((m) => m.namespace === METRICS_NAMESPACE);
    expect(ours.length).toBeGreaterThan(50);
    for (const m of allMetrics) expect(m.namespace === METRICS_NAMESPACE || m.namespace.startsWith('AWS/')).toBe(true);
    for (const m of ours) {
      expect(Object.keys(METRICS)).toContain(m.name);
      const spec = METRICS[m.name as MetricName];
      // A dimensioned metric has only its dimension; a plain one only Powertools' service (the function).
      expect(Object.keys(m.dimensions)).toEqual(['dimension' in spec ? spec.dimension : 'service']);
    }
  });

  it('shows a line for every value of a bounded dimension, OTHER included for job event types', () => {
    const values = (title: string, metric: DimensionedMetricName) => graph(title).map((m) => m.dimensions[dimensionOf(metric)]);
    expect(values('Job events by type', 'JobEvents')).toEqual([...Object.keys(JOB_EVENT_TYPES), 'OTHER']);
    expect(values('Alerts published by severity', 'AlertsBySeverity')).toEqual(['INFO', 'LOW', 'MEDIUM', 'HIGH']);
    expect(values('Alerts published by category', 'AlertsByCategory')).toEqual(DIMENSION_VALUES.category);
    expect(values('Findings by severity', 'Findings')).toEqual(DIMENSION_VALUES.severity);
    expect(values('API-call alerts by call', 'ApiCallAlerts')).toEqual(DIMENSION_VALUES.apiCall);
    // Each graph has at most 100 metrics, CloudWatch's limit.
    for (const w of graphs) expect(w.properties.metrics.length).toBeLessThanOrEqual(100);
  });

  it('shows invocations, errors and throttles of every function, and the job-log run metrics of that function', () => {
    const functions = defaults.resources.filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && /Handler|Sweeper/.test(id) && !id.includes('AWS679f53'));
    expect(functions).toHaveLength(5);
    for (const title of ['Invocations', 'Errors (retried, then sent to the failure queue)', 'Throttles']) {
      expect(
        graph(title)
          .map((m) => m.dimensions.FunctionName)
          .sort(),
      ).toEqual(functions.map(([id]) => `REF(${id})`).sort());
    }
    expect(graph('Runs completed and cancelled').map((m) => [m.name, m.dimensions.service])).toEqual([
      ['RunsCompleted', 'macie-alerts-job-log'],
      ['RunsCancelled', 'macie-alerts-job-log'],
    ]);
    // The service names are the ones the functions' Powertools use.
    const services = functions.map(([, r]) => r.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).sort();
    expect([...new Set(graph('Delivery failures').flatMap((m) => (m.dimensions.service ? [m.dimensions.service] : [])))].sort()).toEqual(services);
  });

  it('shows the depth of every failure and dead-letter queue, the same list redrive reads', () => {
    // Every queue but the findings and API-call queues themselves (the ones with a redrive policy).
    const queues = defaults.resources.filter(([, r]) => r.Type === 'AWS::SQS::Queue' && !r.Properties.RedrivePolicy).map(([id]) => id);
    const depth = graph('Failure and dead-letter queues: messages waiting (macie-alerts redrive)');
    expect(depth.map((m) => m.name)).toEqual(queues.map(() => 'ApproximateNumberOfMessagesVisible'));
    expect(depth.map((m) => m.dimensions.QueueName).sort()).toEqual(queues.map((id) => `ATT(${id}.QueueName)`).sort());
    const listed = parseFailureQueues(joined(defaults.output(FAILURE_QUEUES_OUTPUT)!.Value));
    expect(depth.map((m) => m.label)).toEqual(listed.map((q) => q.name));
  });

  it('shows the backlog of the findings and API-call queues: records waiting (left), age of the oldest (right), and the backlog alarm', () => {
    const queueId = (name: string) =>
      defaults.resources.find(([id, r]) => r.Type === 'AWS::SQS::Queue' && new RegExp(`^MacieAlerts${name}[0-9A-F]{8}$`).test(id))![0];
    const queues = [queueId('FindingsQueue'), queueId('ApiCallQueue'), queueId('HealthQueue')].map((id) => `ATT(${id}.QueueName)`);
    const metrics = graph(BACKLOG);
    expect(metrics.filter((m) => m.axis === 'left').map((m) => [m.name, m.dimensions.QueueName])).toEqual(
      queues.map((q) => ['ApproximateNumberOfMessagesVisible', q]),
    );
    expect(metrics.filter((m) => m.axis === 'right').map((m) => [m.name, m.dimensions.QueueName])).toEqual(
      queues.map((q) => ['ApproximateAgeOfOldestMessage', q]),
    );
    const alarms = defaults.resources.filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(alarms).toHaveLength(3);
    expect(widget(BACKLOG).properties.annotations.horizontal).toEqual(
      alarms.map(([, a]) => expect.objectContaining({ value: a.Properties.Threshold, yAxis: 'right' })),
    );
    const { dashboards } = synth({ apiCallAlerts: false, healthEventAlerts: false });
    const without = (JSON.parse(joined(dashboards[0][1].Properties.DashboardBody)).widgets as Json[]).find((w) => w.properties.title === BACKLOG)!;
    expect(metricsOf(without).map((m) => m.name)).toEqual(['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage']);
  });

  it("shows the retries: every function's labelled repeats (AlertsRepublished), and the queue functions' records retried", () => {
    const service = (name: string) =>
      defaults.resources.find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(`MacieAlerts${name}`))![1].Properties.Environment.Variables
        .POWERTOOLS_SERVICE_NAME;
    const metrics = graph(RETRIES).map((m) => [m.name, m.dimensions.service]);
    expect(metrics).toEqual([
      ...['JobLogHandler', 'FindingsHandler', 'ApiCallHandler', 'HealthHandler', 'Sweeper'].map((f) => ['AlertsRepublished', service(f)]),
      ...['FindingsHandler', 'ApiCallHandler', 'HealthHandler'].map((f) => ['RecordsRetried', service(f)]),
    ]);
  });

  it('shows SNS notification failures of both topics', () => {
    const topics = defaults.resources.filter(([, r]) => r.Type === 'AWS::SNS::Topic').map(([id]) => id);
    const failed = graph('Delivery failures').filter((m) => m.namespace === 'AWS/SNS');
    expect(failed.map((m) => m.name)).toEqual(['NumberOfNotificationsFailed', 'NumberOfNotificationsFailed']);
    expect(failed.map((m) => m.dimensions.TopicName).sort()).toEqual(topics.map((id) => `ATT(${id}.TopicName)`).sort());
  });

  it('has its URL as a stack output', () => {
    expect(defaults.output('DashboardUrl')?.Value).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/TestStack-eu-west-1',
    );
  });

  it('leaves out the API-call graph without API-call alerts', () => {
    const { dashboards } = synth({ apiCallAlerts: false });
    const titles = JSON.parse(joined(dashboards[0][1].Properties.DashboardBody)).widgets.map((w: Json) => w.properties.title);
    expect(titles).not.toContain('API-call alerts by call');
    expect(titles).toContain('Findings by severity');
  });

  it('is not made with dashboard: false (and neither is its output)', () => {
    const off = synth({ dashboard: false });
    expect(off.dashboards).toEqual([]);
    expect(off.output('DashboardUrl')).toBeUndefined();
    expect(off.output(FAILURE_QUEUES_OUTPUT)).toBeDefined();
  });
});

describe('the FailureQueues output', () => {
  const listed = parseFailureQueues(joined(defaults.output(FAILURE_QUEUES_OUTPUT)!.Value));
  const functionOf = (name: string) =>
    defaults.resources.find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(`MacieAlerts${name}`) && !id.includes('Role'))![0];
  const queueOf = (name: string) =>
    defaults.resources.find(([id, r]) => r.Type === 'AWS::SQS::Queue' && new RegExp(`^MacieAlerts${name}[0-9A-F]{8}$`).test(id))![0];

  it('lists every queue with what it holds and the function it belongs to', () => {
    expect(listed).toEqual([
      {
        name: 'job-log',
        kind: 'lambda-on-failure',
        url: expect.stringMatching(/^REF\(MacieAlertsJobLogHandlerFailures/),
        function: `REF(${functionOf('JobLogHandler')})`,
      },
      {
        name: 'findings-queue',
        kind: 'sqs-dead-letter',
        url: expect.stringMatching(/^REF\(MacieAlertsFindingsQueueDeadLetters/),
        source: `ATT(${queueOf('FindingsQueue')}.Arn)`,
      },
      {
        name: 'finding-rule',
        kind: 'eventbridge-dead-letter',
        url: expect.stringMatching(/^REF\(MacieAlertsFindingRuleDeadLetters/),
        queue: `REF(${queueOf('FindingsQueue')})`,
      },
      {
        name: 'api-call-queue',
        kind: 'sqs-dead-letter',
        url: expect.stringMatching(/^REF\(MacieAlertsApiCallQueueDeadLetters/),
        source: `ATT(${queueOf('ApiCallQueue')}.Arn)`,
      },
      {
        name: 'api-call-rule',
        kind: 'eventbridge-dead-letter',
        url: expect.stringMatching(/^REF\(MacieAlertsApiCallRuleDeadLetters/),
        queue: `REF(${queueOf('ApiCallQueue')})`,
      },
      {
        name: 'health-queue',
        kind: 'sqs-dead-letter',
        url: expect.stringMatching(/^REF\(MacieAlertsHealthQueueDeadLetters/),
        source: `ATT(${queueOf('HealthQueue')}.Arn)`,
      },
      {
        name: 'health-rule',
        kind: 'eventbridge-dead-letter',
        url: expect.stringMatching(/^REF\(MacieAlertsHealthRuleDeadLetters/),
        queue: `REF(${queueOf('HealthQueue')})`,
      },
      { name: 'sweeper', kind: 'lambda-on-failure', url: expect.stringMatching(/^REF\(MacieAlertsSweeperFailures/), function: `REF(${functionOf('Sweeper')})` },
      {
        name: 'sweeper-schedule',
        kind: 'eventbridge-dead-letter',
        url: expect.stringMatching(/^REF\(MacieAlertsSweeperScheduleDeadLetters/),
        function: `REF(${functionOf('Sweeper')})`,
      },
    ]);
  });

  it('names each queue the way the function or rule is wired in the template', () => {
    const resources = Object.fromEntries(defaults.resources);
    const onFailure = (fn: string) =>
      Object.values(resources).find((r: Json) => r.Type === 'AWS::Lambda::EventInvokeConfig' && r.Properties.FunctionName.Ref === fn)!.Properties
        .DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0];
    for (const q of listed.filter((x) => x.kind === 'lambda-on-failure')) {
      expect(`REF(${onFailure(q.function!.slice(4, -1))})`).toBe(q.url);
    }
    for (const q of listed.filter((x) => x.kind === 'eventbridge-dead-letter')) {
      const queueId = q.url.slice(4, -1);
      const rule = Object.values(resources).find(
        (r: Json) => r.Type === 'AWS::Events::Rule' && r.Properties.Targets[0].DeadLetterConfig?.Arn['Fn::GetAtt'][0] === queueId,
      );
      // The rule's target: the function invoked, or the queue sent to (both REF(LogicalId) in the output).
      expect(rule?.Properties.Targets[0].Arn['Fn::GetAtt'][0]).toBe((q.function ?? q.queue)!.slice(4, -1));
    }
  });

  /** A stack whose construct gets one more failure queue, wired the way a feature adding SQS queues does. */
  function withExtraQueue(wiring: 'sqs-dead-letter' | 'rule-to-queue' | 'name-taken'): FailureQueue | undefined {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new MacieAlertsStack(app, 'TestStack', { env: { account: '111122223333', region: 'eu-west-1' } });
    const failureQueues = (stack.alerts as unknown as { failureQueues: FailureQueues }).failureQueues;
    if (wiring === 'sqs-dead-letter') {
      let source: sqs.Queue | undefined;
      const dlq = failureQueues.make('ExtraDeadLetters', 'what the extra queue could not hand on', () => ({ kind: 'sqs-dead-letter', source: source! }));
      source = new sqs.Queue(stack.alerts, 'ExtraQueue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 }, visibilityTimeout: Duration.minutes(6) });
    }
    if (wiring === 'rule-to-queue') {
      const queue = new sqs.Queue(stack.alerts, 'ExtraQueue', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });
      new events.Rule(stack.alerts, 'ExtraQueueRule', {
        eventPattern: { source: ['aws.macie2'] },
        targets: [queueTarget(failureQueues, 'ExtraQueueRule', queue)],
      });
    }
    if (wiring === 'name-taken') {
      failureQueues.make('ExtraDeadLetters', 'a second on-failure queue of the job-log function', () => ({
        kind: 'lambda-on-failure',
        name: 'job-log',
        fn: stack.alerts.jobLogHandler,
      }));
    }
    const template = Template.fromStack(stack).toJSON() as Json;
    const output = Object.entries(template.Outputs as Record<string, Json>).find(([key]) => key.startsWith(`MacieAlerts${FAILURE_QUEUES_OUTPUT}`))![1];
    return parseFailureQueues(joined(output.Value)).find((q) => q.url.startsWith('REF(MacieAlertsExtra'));
  }

  it("lists a queue made as an SQS queue's dead-letter queue, named after its source", () => {
    expect(withExtraQueue('sqs-dead-letter')).toEqual({
      name: 'extra-queue',
      kind: 'sqs-dead-letter',
      url: expect.stringMatching(/^REF\(MacieAlertsExtraDeadLetters/),
      source: expect.stringMatching(/^ATT\(MacieAlertsExtraQueue[0-9A-F]{8}\.Arn\)$/),
    });
  });

  it('lists the dead-letter queue of a rule whose target is a queue, with the queue its events go back to', () => {
    expect(withExtraQueue('rule-to-queue')).toEqual({
      name: 'extra-queue-rule',
      kind: 'eventbridge-dead-letter',
      url: expect.stringMatching(/^REF\(MacieAlertsExtraQueueRuleDeadLetters/),
      queue: expect.stringMatching(/^REF\(MacieAlertsExtraQueue[0-9A-F]{8}\)$/),
    });
  });

  it('fails the synth for two failure queues of one name, which redrive could not tell apart', () => {
    expect(() => withExtraQueue('name-taken')).toThrow(/two failure queues would be named job-log/);
  });
});
