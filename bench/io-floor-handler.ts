import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { processIoFloor, type IoFloorDeps } from './io-floor';

/**
 * The I/O floor as a Lambda handler, for the bench's cold containers (cold-container.ts bundles it the way
 * the construct bundles ours): clients built at module load from the environment, as lambda/handlers do.
 * Lambda passes no third argument; the bench passes the number of alerts the batch must publish.
 */
const deps: IoFloorDeps = {
  client: new DynamoDBClient({}),
  tableName: required('STATE_TABLE_NAME'),
  sns: new SNSClient({ maxAttempts: 1 }),
  topicArn: required('ALERT_TOPIC_ARN'),
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export const handler = (event: CloudWatchLogsEvent, _context: unknown, alerts = 0): Promise<number> => processIoFloor(event, alerts, deps);
