import { CfnOutput, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { FAILURE_QUEUES_OUTPUT, type FailureQueue } from './failure-queues-output';
import type { PipelineAlarms } from './pipeline-alarms';

/** What a failure queue holds, told by the code that wires it (FailureQueue's kinds). */
export type FailureQueueHolds =
  | { readonly kind: 'sqs-dead-letter'; readonly source: sqs.IQueue }
  | { readonly kind: 'lambda-on-failure'; readonly name: string; readonly fn: lambda.IFunction }
  | { readonly kind: 'eventbridge-dead-letter'; readonly rule: string; readonly target: { readonly fn: lambda.IFunction } | { readonly queue: sqs.IQueue } };

interface MadeQueue {
  readonly queue: sqs.Queue;
  /** Called at synth: what the queue holds is often made after the queue itself (a function's on-failure queue). */
  readonly holds: () => FailureQueueHolds;
}

/**
 * Every failure and dead-letter queue of the construct, each recorded with what it holds when it is made: the
 * FailureQueues output (`macie-alerts redrive`) and the dashboard list them. A part of MacieAlerts: the
 * queues are made in the construct's own scope, so their logical ids stay what deployed stacks have.
 */
export class FailureQueues {
  private readonly made: MadeQueue[] = [];

  constructor(
    private readonly owner: Construct,
    private readonly alarms: PipelineAlarms,
  ) {}

  /** A queue kept 14 days, with an alarm on any message in it. */
  make(id: string, description: string, holds: () => FailureQueueHolds): sqs.Queue {
    const queue = new sqs.Queue(this.owner, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter / on-failure queue; after its alarm fires, `macie-alerts redrive` puts its messages back.',
    });
    this.made.push({ queue, holds });
    this.alarms.add(
      `${id}Visible`,
      `Messages in ${id}: ${description}`,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    );
    return queue;
  }

  /** Every queue made, in the order made, with its entry; two entries of one name fail the synth. */
  list(): { readonly queue: sqs.Queue; readonly entry: FailureQueue }[] {
    const list = this.made.map(({ queue, holds }) => ({ queue, entry: failureQueueEntry(queue, holds()) }));
    const names = list.map((q) => q.entry.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw new Error(`MacieAlerts: two failure queues would be named ${twice}`);
    return list;
  }

  /** The list as one JSON output, computed at synth, so a queue made after this call is in it. */
  addOutput(): CfnOutput {
    return new CfnOutput(this.owner, FAILURE_QUEUES_OUTPUT, {
      value: Lazy.string({ produce: () => Stack.of(this.owner).toJsonString(this.list().map((q) => q.entry)) }),
      description: 'Failure and dead-letter queues, and what each holds (read by `macie-alerts redrive`)',
    });
  }
}

/** The output's entry of one queue; `name` is what `macie-alerts redrive --queue` selects it by. */
export function failureQueueEntry(queue: sqs.IQueue, holds: FailureQueueHolds): FailureQueue {
  const url = queue.queueUrl;
  switch (holds.kind) {
    case 'sqs-dead-letter':
      return { name: kebabCase(holds.source.node.id), kind: holds.kind, url, source: holds.source.queueArn };
    case 'lambda-on-failure':
      return { name: holds.name, kind: holds.kind, url, function: holds.fn.functionName };
    case 'eventbridge-dead-letter': {
      const to = 'fn' in holds.target ? { function: holds.target.fn.functionName } : { queue: holds.target.queue.queueUrl };
      return { name: kebabCase(holds.rule), kind: holds.kind, url, ...to };
    }
  }
}

/** FindingRuleDeadLetters -> finding-rule-dead-letters. */
export function kebabCase(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
