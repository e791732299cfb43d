import { startDynamoDbLocal } from '../../src/local/dynamodb-local';

/** One DynamoDB Local for the whole jest run; workers inherit its endpoint through the environment. */
export default async function globalSetup(): Promise<void> {
  // The SDK's notice about its future Node.js support floods the CI log once per worker and client.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const local = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = local.endpoint;
  (globalThis as { __dynamoDbLocal?: typeof local }).__dynamoDbLocal = local;
}
