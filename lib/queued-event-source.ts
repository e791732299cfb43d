import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { FailureQueues } from './failure-queues';
import type { PipelineAlarms } from './pipeline-alarms';
import { queueTarget } from './rule-delivery';

/** AWS's guidance for an SQS trigger: the visibility timeout at least 6x the function timeout (plus the batching window). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** A record received this many times without being applied goes to the queue's dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;
/**
 * The findings and API-call functions' timeout. Delivery claims an alert only while a whole settle still
 * fits (DEFAULT_MIN_REMAINING_MS: delivery/lease.ts), so a batch has the rest to read and write. The queues'
 * visibility timeout is 6 times this.
 */
export const QUEUE_HANDLER_TIMEOUT = Duration.minutes(2);
/**
 * The backlog alarm's margin over the visibility timeout: a record failed once comes back after the timeout
 * (a retry, not yet a problem); one older than that by this margin was failed again, or nothing is reading
 * the queue, or a backlog outgrows the maximum concurrency. The dead-letter alarm comes only after 5 receives.
 */
export const BACKLOG_ALARM_MARGIN = Duration.minutes(5);

/** How long a record a handler took stays hidden: 6 times the function's timeout, plus the batching window. */
export function queueVisibilityTimeout(functionTimeout: Duration, batchingWindow: Duration): Duration {
  return Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * functionTimeout.toSeconds() + batchingWindow.toSeconds());
}

/** One queue's event source mapping, as resolveBatching validated it. */
export interface QueueBatching {
  readonly batchSize: number;
  readonly batchingWindow: Duration;
  readonly maxConcurrency: number;
}

export interface QueuedEventSourceProps {
  /** The queue's construct id (FindingsQueue); its dead-letter queue and alarm are named after it. */
  readonly queueId: string;
  /** The rule's construct id (FindingRule); its dead-letter queue is named after it. */
  readonly ruleId: string;
  readonly ruleDescription: string;
  readonly eventPattern: events.EventPattern;
  /** What one record is, for the backlog alarm's description ('finding'). */
  readonly record: string;
  readonly fn: lambda.IFunction;
  readonly functionTimeout: Duration;
  readonly batching: QueueBatching;
  readonly failureQueues: FailureQueues;
  readonly alarms: PipelineAlarms;
}

/**
 * EventBridge -> SQS -> Lambda, with a dead-letter queue and its alarm. SSE-SQS, since EventBridge cannot send to a
 * queue under the AWS managed key aws/sqs. Made in the construct's own scope, so logical ids stay as deployed.
 */
export class QueuedEventSource {
  readonly queue: sqs.Queue;
  readonly rule: events.Rule;
  /** On the age of the oldest record (BACKLOG_ALARM_MARGIN says why its threshold). */
  readonly backlogAlarm: cloudwatch.Alarm;

  constructor(owner: Construct, props: QueuedEventSourceProps) {
    const { queueId, fn, batching, failureQueues } = props;
    const deadLetters = failureQueues.make(
      `${queueId}DeadLetters`,
      `records ${fn.node.id} could not apply after ${MAX_RECEIVE_COUNT} receives (redrive them: see docs/operations.md)`,
      () => ({ kind: 'sqs-dead-letter', source: this.queue }),
    );
    this.queue = new sqs.Queue(owner, queueId, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: queueVisibilityTimeout(props.functionTimeout, batching.batchingWindow),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: batching.batchSize,
        maxBatchingWindow: batching.batchingWindow.toSeconds() > 0 ? batching.batchingWindow : undefined,
        maxConcurrency: batching.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    const threshold = queueVisibilityTimeout(props.functionTimeout, batching.batchingWindow).plus(BACKLOG_ALARM_MARGIN);
    this.backlogAlarm = props.alarms.add(
      `${queueId}Backlog`,
      `The oldest ${props.record} in ${queueId} waited more than ${Math.round(threshold.toSeconds() / 60)} minutes: it failed more than once, or nothing is reading the queue (see docs/operations.md)`,
      this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold.toSeconds(),
    );
    this.rule = new events.Rule(owner, props.ruleId, {
      description: props.ruleDescription,
      eventPattern: props.eventPattern,
      targets: [queueTarget(failureQueues, props.ruleId, this.queue)],
    });
  }
}
