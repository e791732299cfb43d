import { startDynamoDbLocal } from '../../src/local/dynamodb-local';

/** One DynamoDB Local for the whole jest run; workers inherit its endpoint through the environment. */
export default async function globalSetup(): Promise<void> {
  const local = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = local.endpoint;
  (globalThis as { __dynamoDbLocal?: typeof local }).__dynamoDbLocal = local;
}
