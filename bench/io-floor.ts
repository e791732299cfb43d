import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { decodeLogs } from './floor';

/**
 * The I/O floor (issue 17): the decode floor plus the fewest requests any design that keeps state must
 * make, with the same SDK. Per subscription batch one consistent GetItem of the job's state and one
 * PutItem of it back (a design can group and dedupe, but it must read state before deciding and write it
 * after); per alert one PublishBatch. It decides nothing: it is told how many alerts the batch produced
 * (the ones our design published for it), so both send the same alerts.
 */
export interface IoFloorDeps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly sns: SNSClient;
  readonly topicArn: string;
}

export async function processIoFloor(event: CloudWatchLogsEvent, alerts: number, deps: IoFloorDeps): Promise<number> {
  const { logStream, decoded } = decodeLogs(event);
  const key = { pk: { S: `IOFLOOR#${logStream}` }, sk: { S: 'STATE' } };
  const current = await deps.client.send(new GetItemCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }));
  const events = Number(current.Item?.events?.N ?? '0') + decoded;
  await deps.client.send(new PutItemCommand({ TableName: deps.tableName, Item: { ...key, events: { N: String(events) } } }));
  for (let i = 0; i < alerts; i++) {
    await deps.sns.send(
      new PublishBatchCommand({
        TopicArn: deps.topicArn,
        PublishBatchRequestEntries: [{ Id: '0', Message: `alert ${i + 1} of ${logStream}: ${events} events so far` }],
      }),
    );
  }
  return decoded;
}
