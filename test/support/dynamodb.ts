import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StateStore } from '../../lambda/state/store';
import { createStateTable, localDynamoClient } from '../../src/local/dynamodb-local';

/** The DynamoDB Local started by the global setup. */
export function testDynamoClient(): DynamoDBClient {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run the tests through jest (global setup starts DynamoDB Local)');
  return localDynamoClient(endpoint);
}

/** A fresh state table, so suites and tests never see each other's items. */
export async function freshStore(now: () => Date = () => new Date()): Promise<StateStore> {
  const client = testDynamoClient();
  const tableName = `state-${randomUUID()}`;
  await createStateTable(client, tableName);
  return StateStore.fromDefaults(tableName, client, now);
}
