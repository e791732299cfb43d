import { createHash } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * SQS as the findings and API-call handlers see it (event source mapping batches, redelivery of batchItemFailures,
 * dead-lettering), here rather than in test/support so that replay and the bench do not depend on test code.
 */
export interface QueueMessage {
  readonly messageId: string;
  /** The EventBridge event as JSON text: what EventBridge writes to the queue. */
  readonly body: string;
  /** 1 on the first delivery. */
  readonly receiveCount?: number;
}

export const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:macie-alerts-findings';
/** The queue's redrive policy: a message received this many times without success goes to the DLQ. */
export const MAX_RECEIVE_COUNT = 5;

/** An SQS message id (UUID-shaped) derived from `seed`, so the same input always gets the same id. */
export function messageIdFor(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function sqsRecord(message: QueueMessage, queueArn = QUEUE_ARN): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: `${message.messageId}#${message.receiveCount ?? 1}`,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount ?? 1),
      SentTimestamp: '1700000000000',
      SenderId: 'AIDAEVENTBRIDGE',
      ApproximateFirstReceiveTimestamp: '1700000000000',
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(message.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
  };
}

export function sqsEvent(messages: readonly QueueMessage[], queueArn = QUEUE_ARN): SQSEvent {
  return { Records: messages.map((m) => sqsRecord(m, queueArn)) };
}

/**
 * Messages of EventBridge events (a string is the body as it is, to build bodies that are not JSON). Each
 * id is derived from the body and its position, so the same events give the same ids again, as a
 * redelivered message keeps its id.
 */
export function eventMessages(events: readonly unknown[]): QueueMessage[] {
  return events.map((event, i) => {
    const body = typeof event === 'string' ? event : String(JSON.stringify(event));
    return { messageId: messageIdFor(`${i}\n${body}`), body };
  });
}

/**
 * Batches as the event source mapping cuts them: at most `batchSize` messages, and, given arrival times, a
 * batch closes when its batching window has passed since its first message arrived (a backlog, with no
 * arrival times, always fills whole batches).
 */
export function mappingBatches<T>(
  items: readonly T[],
  batchSize: number,
  window?: { readonly seconds: number; readonly arrivalMs: (item: T) => number },
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let opened = 0;
  for (const item of items) {
    const at = window?.arrivalMs(item) ?? 0;
    if (current.length > 0 && (current.length >= batchSize || (window !== undefined && at - opened > window.seconds * 1000))) {
      batches.push(current);
      current = [];
    }
    if (current.length === 0) opened = at;
    current.push(item);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface QueueRun {
  /** Handler invocations, redeliveries included. */
  readonly invocations: number;
  /** Messages delivered again after being listed in batchItemFailures. */
  readonly redelivered: number;
  /** Messages that reached maxReceiveCount: in AWS they would sit in the dead-letter queue. */
  readonly deadLettered: readonly QueueMessage[];
  /** What each invocation returned, in order of completion. */
  readonly responses: readonly unknown[];
  /** What the invocations that threw threw (their whole batch counts as failed, as in Lambda). */
  readonly errors: readonly unknown[];
}

/**
 * Delivers the batches, up to `concurrency` at once; records listed in batchItemFailures come back after the current
 * ones until received maxReceiveCount times. A throwing invocation fails its whole batch, as in Lambda.
 */
export async function deliverBatches<R extends { readonly batchItemFailures: readonly { readonly itemIdentifier: string }[] }>(
  batches: readonly (readonly QueueMessage[])[],
  invoke: (event: SQSEvent) => Promise<R>,
  options: { readonly batchSize: number; readonly concurrency?: number; readonly maxReceiveCount?: number; readonly queueArn?: string },
): Promise<QueueRun & { readonly responses: readonly R[] }> {
  const maxReceiveCount = options.maxReceiveCount ?? MAX_RECEIVE_COUNT;
  const responses: R[] = [];
  const errors: unknown[] = [];
  const deadLettered: QueueMessage[] = [];
  let invocations = 0;
  let redelivered = 0;
  let round = batches.map((b) => b.map((m) => ({ ...m, receiveCount: m.receiveCount ?? 1 })));
  while (round.length > 0) {
    const failed: QueueMessage[] = [];
    let next = 0;
    const worker = async () => {
      while (next < round.length) {
        const batch = round[next++];
        invocations++;
        let failedIds: Set<string>;
        try {
          const response = await invoke(sqsEvent(batch, options.queueArn));
          responses.push(response);
          failedIds = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        } catch (error) {
          errors.push(error);
          failedIds = new Set(batch.map((m) => m.messageId));
        }
        failed.push(...batch.filter((m) => failedIds.has(m.messageId)));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker));
    const again = failed.filter((m) => (m.receiveCount ?? 1) < maxReceiveCount).map((m) => ({ ...m, receiveCount: (m.receiveCount ?? 1) + 1 }));
    deadLettered.push(...failed.filter((m) => (m.receiveCount ?? 1) >= maxReceiveCount));
    redelivered += again.length;
    round = mappingBatches(again, options.batchSize);
  }
  return { invocations, redelivered, deadLettered, responses, errors };
}
