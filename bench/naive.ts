import { gunzipSync } from 'node:zlib';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Invocation } from './scenarios';

/**
 * The design many samples use, as the yardstick: for every log event or finding, read its state item
 * (GetItem), write it back with the count bumped (PutItem), and publish one SNS message. No grouping, no
 * batching, no dedupe: a redelivered batch alerts again.
 */
export interface NaiveDeps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly sns: SNSClient;
  readonly topicArn: string;
  /** Events of one invocation in flight at once (samples often Promise.all their records). */
  readonly concurrency?: number;
}

interface NaiveEvent {
  readonly stateKey: string;
  readonly subject: string;
  readonly body: string;
}

function eventsOf(invocation: Invocation): NaiveEvent[] {
  if (invocation.kind === 'findings') {
    const batch = JSON.parse(invocation.raw) as { Records: { body: string }[] };
    return batch.Records.map((record) => {
      const event = JSON.parse(record.body) as { detail: { id: string; type: string; severity: { description: string } } };
      return {
        stateKey: `NAIVE#FINDING#${event.detail.id}`,
        subject: `[${event.detail.severity.description}] Macie finding ${event.detail.type}`,
        body: record.body,
      };
    });
  }
  const payload = JSON.parse(gunzipSync(Buffer.from(invocation.event.awslogs.data, 'base64')).toString('utf8')) as { logEvents: { message: string }[] };
  return payload.logEvents.map((logEvent) => {
    const m = JSON.parse(logEvent.message) as { jobId: string; jobName: string; runDate?: string; eventType: string };
    return {
      stateKey: `NAIVE#JOB#${m.jobId}#${m.runDate ?? 'current'}`,
      subject: `Macie job ${m.jobName}: ${m.eventType}`.slice(0, 99),
      body: logEvent.message,
    };
  });
}

export async function processNaive(invocation: Invocation, deps: NaiveDeps): Promise<number> {
  const events = eventsOf(invocation);
  let next = 0;
  const worker = async () => {
    while (next < events.length) {
      const e = events[next++];
      const key = { pk: { S: e.stateKey }, sk: { S: 'STATE' } };
      const current = await deps.client.send(new GetItemCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }));
      const count = Number(current.Item?.count?.N ?? '0') + 1;
      await deps.client.send(new PutItemCommand({ TableName: deps.tableName, Item: { ...key, count: { N: String(count) }, last: { S: e.body } } }));
      await deps.sns.send(new PublishCommand({ TopicArn: deps.topicArn, Subject: e.subject, Message: e.body }));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.concurrency ?? 8) }, worker));
  return events.length;
}
