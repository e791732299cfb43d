import { PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';

/**
 * An SNSClient whose `send` never leaves the process: it records each API call and answers as SNS does
 * (every entry successful). The real SnsAlertPublisher runs on top of it, so rendering and batching costs
 * are measured while the network is not.
 */
export interface SnsCounts {
  /** API calls (Publish or PublishBatch). */
  calls: number;
  /** Messages in them: what subscribers receive (each delivered to every matching subscription). */
  messages: number;
  /** Bytes of message bodies, for a sense of payload size. */
  bytes: number;
}

export function emptySnsCounts(): SnsCounts {
  return { calls: 0, messages: 0, bytes: 0 };
}

export function recordingSnsClient(): { client: SNSClient; counts: SnsCounts } {
  const counts = emptySnsCounts();
  const client = new SNSClient({ region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  (client as unknown as { send: unknown }).send = recordingSend(counts);
  return { client, counts };
}

/**
 * The recording `send`, to install on one client or, in a cold container (cold-container-child.ts), on
 * SNSClient.prototype once the handler has built its own client.
 */
export function recordingSend(counts: SnsCounts): (command: unknown) => Promise<unknown> {
  let messageId = 0;
  return async (command: unknown): Promise<unknown> => {
    if (command instanceof PublishBatchCommand) {
      const entries = command.input.PublishBatchRequestEntries ?? [];
      counts.calls++;
      counts.messages += entries.length;
      for (const e of entries) counts.bytes += Buffer.byteLength(e.Message ?? '');
      return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${++messageId}` })), Failed: [], $metadata: {} };
    }
    if (command instanceof PublishCommand) {
      counts.calls++;
      counts.messages++;
      counts.bytes += Buffer.byteLength(command.input.Message ?? '');
      return { MessageId: `m-${++messageId}`, $metadata: {} };
    }
    throw new Error(`the bench's SNS stub does not implement ${(command as object)?.constructor?.name}`);
  };
}
