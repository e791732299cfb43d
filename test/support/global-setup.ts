import { startDynamoDbLocal } from '../../src/local/dynamodb-local';
import { freshStore } from './dynamodb';

/** One DynamoDB Local for the whole jest run; workers inherit its endpoint through the environment. */
export default async function globalSetup(): Promise<void> {
  // The SDK's notice about its future Node.js support floods the CI log once per worker and client.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const local = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = local.endpoint;
  (globalThis as { __dynamoDbLocal?: typeof local }).__dynamoDbLocal = local;
  await warmUp();
}

/**
 * A cold DynamoDB Local takes seconds over its first transactions (the JVM loading and compiling that path):
 * on a busy machine longer than the handlers' 5 s request timeout, so the crash tests' fault-free baselines,
 * which count every call, would see the SDK's retry of a slow first transaction. Warmed here, once.
 */
async function warmUp(): Promise<void> {
  const store = await freshStore();
  // The shapes the pipelines write: conditional puts, an update, a condition check, in one transaction.
  for (let i = 0; i < 8; i++) {
    await store.write([
      { kind: 'put', item: { pk: `WARM#${i}`, sk: 'A', version: 1 }, condition: { expression: 'attribute_not_exists(pk)' } },
      { kind: 'update', key: { pk: 'WARM', sk: 'COUNT' }, expression: 'ADD #n :one', names: { '#n': 'n' }, values: { ':one': 1 } },
      ...(i > 0
        ? [{ kind: 'condition-check' as const, key: { pk: `WARM#${i - 1}`, sk: 'A' }, condition: { expression: 'version = :v', values: { ':v': 1 } } }]
        : []),
    ]);
  }
}
