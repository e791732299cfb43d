import { Duration } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { FailureQueues } from './failure-queues';

/** How EventBridge delivers a rule's events to its target: 24 retries over up to 12 hours, then the rule's DLQ. */
export function ruleDelivery(
  failureQueues: FailureQueues,
  ruleId: string,
  target: { readonly fn: lambda.IFunction } | { readonly queue: sqs.IQueue },
): targets.TargetBaseProps {
  const targetName = 'fn' in target ? target.fn.node.id : target.queue.node.id;
  return {
    retryAttempts: 24,
    maxEventAge: Duration.hours(12),
    deadLetterQueue: failureQueues.make(`${ruleId}DeadLetters`, `events EventBridge could not deliver to ${targetName}`, () => ({
      kind: 'eventbridge-dead-letter',
      rule: ruleId,
      target,
    })),
  };
}

/** A rule's function target, with EventBridge's retries and the rule's dead-letter queue. */
export function functionTarget(failureQueues: FailureQueues, ruleId: string, fn: lambda.IFunction): targets.LambdaFunction {
  return new targets.LambdaFunction(fn, ruleDelivery(failureQueues, ruleId, { fn }));
}

/** A rule's queue target, with EventBridge's retries and the rule's dead-letter queue for events it could not send. */
export function queueTarget(failureQueues: FailureQueues, ruleId: string, queue: sqs.IQueue): targets.SqsQueue {
  return new targets.SqsQueue(queue, ruleDelivery(failureQueues, ruleId, { queue }));
}
