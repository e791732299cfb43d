import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { mockClient } from './aws-mock';

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly attributes: Record<string, MessageAttributeValue>;
  /** Set while received and not yet visible again. */
  receiptHandle?: string;
}

/**
 * Standard SQS queues in memory, behind aws-sdk-client-mock: receive hides a message until it is deleted or
 * its visibility is reset (or `expireVisibility()`, the timeout running out); a receipt handle is only good
 * for the latest receive; a move task is recorded (SQS runs it on its own). Enough to run redrive against.
 */
export class SqsStandIn {
  readonly mock = mockClient(SQSClient);
  private readonly queues = new Map<string, StoredMessage[]>();
  readonly moveTasks: { source: string; destination?: string; handle: string }[] = [];
  /** The next deletes fail with this error (then succeed). */
  failDeletes: Error[] = [];
  /** Received messages stay visible, as when their visibility timeout runs out at once. */
  visibilityRunsOut = false;

  constructor() {
    this.install();
  }

  static arnOf(url: string): string {
    const { hostname, pathname } = new URL(url);
    const [, account, name] = pathname.split('/');
    return `arn:aws:sqs:${hostname.split('.')[1]}:${account}:${name}`;
  }

  send(url: string, body: string, attributes: Record<string, string> = {}): void {
    const messages = this.queues.get(url) ?? [];
    messages.push({
      id: randomUUID(),
      body,
      attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
    });
    this.queues.set(url, messages);
  }

  /** Bodies still in the queue, received or not. */
  bodies(url: string): string[] {
    return (this.queues.get(url) ?? []).map((m) => m.body);
  }

  /** Messages received and neither deleted nor made visible again. */
  hidden(url: string): number {
    return (this.queues.get(url) ?? []).filter((m) => m.receiptHandle).length;
  }

  purge(url: string): void {
    this.queues.delete(url);
  }

  expireVisibility(): void {
    for (const messages of this.queues.values()) for (const m of messages) delete m.receiptHandle;
  }

  private find(url: string, handle: string | undefined): StoredMessage {
    const m = (this.queues.get(url) ?? []).find((x) => (x.receiptHandle !== undefined && x.receiptHandle === handle) || this.visibilityRunsOut);
    if (!m) throw new ReceiptHandleIsInvalid({ message: `The receipt handle "${handle}" is not valid.`, $metadata: { httpStatusCode: 400 } });
    return m;
  }

  private install(): void {
    this.mock.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => {
      const messages = this.queues.get(input.QueueUrl) ?? [];
      return {
        Attributes: {
          QueueArn: SqsStandIn.arnOf(input.QueueUrl),
          ApproximateNumberOfMessages: String(messages.filter((m) => !m.receiptHandle).length),
          ApproximateNumberOfMessagesNotVisible: String(messages.filter((m) => m.receiptHandle).length),
        },
      };
    });
    this.mock.on(ReceiveMessageCommand).callsFake((input: { QueueUrl: string; MaxNumberOfMessages?: number; VisibilityTimeout?: number }) => {
      const visible = (this.queues.get(input.QueueUrl) ?? []).filter((m) => !m.receiptHandle).slice(0, input.MaxNumberOfMessages ?? 1);
      return {
        Messages: visible.map((m) => {
          const handle = randomUUID();
          if (input.VisibilityTimeout !== 0 && !this.visibilityRunsOut) m.receiptHandle = handle;
          return { MessageId: m.id, ReceiptHandle: handle, Body: m.body, MessageAttributes: m.attributes };
        }),
      };
    });
    this.mock.on(DeleteMessageCommand).callsFake((input: { QueueUrl: string; ReceiptHandle: string }) => {
      const error = this.failDeletes.shift();
      if (error) throw error;
      const m = this.find(input.QueueUrl, input.ReceiptHandle);
      this.queues.set(
        input.QueueUrl,
        (this.queues.get(input.QueueUrl) ?? []).filter((x) => x !== m),
      );
      return {};
    });
    this.mock.on(ChangeMessageVisibilityCommand).callsFake((input: { QueueUrl: string; ReceiptHandle: string; VisibilityTimeout: number }) => {
      const m = this.find(input.QueueUrl, input.ReceiptHandle);
      if (input.VisibilityTimeout === 0) delete m.receiptHandle;
      return {};
    });
    this.mock.on(SendMessageCommand).callsFake((input: { QueueUrl: string; MessageBody: string }) => {
      this.send(input.QueueUrl, input.MessageBody);
      return { MessageId: randomUUID() };
    });
    this.mock.on(StartMessageMoveTaskCommand).callsFake((input: { SourceArn: string; DestinationArn?: string }) => {
      const handle = `task-${randomUUID()}`;
      this.moveTasks.push({ source: input.SourceArn, destination: input.DestinationArn, handle });
      return { TaskHandle: handle };
    });
  }
}
