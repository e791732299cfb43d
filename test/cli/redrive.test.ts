import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import type { CloudWatchLogsEvent, Context } from 'aws-lambda';
import { mockClient } from '../support/aws-mock';
import { ENV } from '../../lambda/core/settings';
import { StateStore } from '../../lambda/state/store';
import { keys } from '../../lambda/state/table';
import { REDRIVE_USAGE } from '../../src/cli/args';
import { main } from '../../src/cli/main';
import { FAILURE_QUEUES_OUTPUT, parseFailureQueues, type FailureQueue } from '../../lib/failure-queues-output';
import type { AwsClients } from '../../src/cli/redrive';
import { createStateTable } from '../../src/local/dynamodb-local';
import { buildStack } from '../cdk/stack-fixture';
import { at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { subscriptionEventOf } from '../support/cloudwatch';
import { testDynamoClient } from '../support/dynamodb';
import { startLambdaEndpoint, type LambdaEndpoint } from '../support/lambda-endpoint';
import { SqsStandIn } from '../support/sqs-stand-in';

/**
 * `macie-alerts redrive` against stand-ins for a deployed stack: CloudFormation (aws-sdk-client-mock) answers
 * with the outputs the construct really synthesizes; SQS is an in-memory stand-in behind the SDK's mock;
 * Lambda is a local HTTP endpoint speaking the Invoke API, which runs the real job-log handler (its runtime
 * built from the environment, as in Lambda) against DynamoDB Local, with SNS mocked at the SDK.
 */
const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const STACK = 'TestStack';
const context = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

const cloudFormation = mockClient(CloudFormationClient);
const sns = mockClient(SNSClient);
const sqs = new SqsStandIn();
let snsRefuses = false;
const sweeperReceived: unknown[] = [];

let endpoint: LambdaEndpoint;
let store: StateStore;
let handler: (event: CloudWatchLogsEvent, context: Context) => Promise<unknown>;
let queues: FailureQueue[];
const saved = { ...process.env };

/** The stack's outputs as CloudFormation returns them: references resolved to names a deployment would have. */
function deployedOutputs(): Output[] {
  const template = buildStack({}).template.toJSON() as { Outputs: Record<string, { Value: unknown }>; Resources: Record<string, { Type: string }> };
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as Record<string, any>;
    if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(resolve).join(v['Fn::Join'][0]);
    if (v.Ref) {
      const type = template.Resources[v.Ref]?.Type;
      if (type === 'AWS::SQS::Queue') return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${STACK}-${v.Ref}`;
      return `${STACK}-${v.Ref}`;
    }
    if (v['Fn::GetAtt']) return `${STACK}-${v['Fn::GetAtt'].join('-')}`;
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  };
  return Object.entries(template.Outputs).map(([OutputKey, o]) => ({ OutputKey, OutputValue: resolve(o.Value) }));
}

const queueNamed = (name: string) => queues.find((q) => q.name === name)!;
const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

/** What Lambda's on-failure destination writes after the last retry of an async invocation. */
function invocationRecord(fn: string, requestPayload: unknown): string {
  return JSON.stringify({
    version: '1.0',
    timestamp: '2024-04-14T17:20:00.000Z',
    requestContext: { requestId: randomUUID(), functionArn: `${functionArn(fn)}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
    requestPayload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'DeliveryFailed', errorMessage: 'SNS refused 2 alert(s)' },
  });
}

async function redrive(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const clients = (region: string | undefined): AwsClients => ({
    cloudFormation: new CloudFormationClient({ region, credentials }),
    sqs: new SQSClient({ region, credentials }),
    lambda: new LambdaClient({ region, credentials, endpoint: endpoint.url }),
  });
  const code = await main(
    ['redrive', ...(args.includes('--region') ? [] : ['--region', REGION]), ...args],
    { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } },
    clients,
  );
  return { code, stdout, stderr };
}

/** PublishBatch entry ids (alert ids, ':' as '_') SNS accepted, in order. */
const accepted: string[] = [];
const published = () => [...accepted];

beforeAll(async () => {
  const outputs = deployedOutputs();
  queues = parseFailureQueues(outputs.find((o) => o.OutputKey!.includes(FAILURE_QUEUES_OUTPUT))!.OutputValue!);
  cloudFormation.on(DescribeStacksCommand).rejects(
    new CloudFormationServiceException({
      name: 'ValidationError',
      $fault: 'client',
      message: 'Stack with id Nope does not exist',
      $metadata: { httpStatusCode: 400 },
    }),
  );
  cloudFormation
    .on(DescribeStacksCommand, { StackName: STACK })
    .resolves({ Stacks: [{ StackName: STACK, CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: outputs }] });
  cloudFormation
    .on(DescribeStacksCommand, { StackName: 'OldStack' })
    .resolves({ Stacks: [{ StackName: 'OldStack', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Outputs: [] }] });
  cloudFormation.on(DescribeStacksCommand, { StackName: 'WithSqsQueue' }).resolves({
    Stacks: [
      {
        StackName: 'WithSqsQueue',
        CreationTime: new Date(),
        StackStatus: 'UPDATE_COMPLETE',
        // The exact key, as an output made in a stack itself is named.
        Outputs: [{ OutputKey: FAILURE_QUEUES_OUTPUT, OutputValue: JSON.stringify([SQS_DLQ, RULE_TO_QUEUE_DLQ]) }],
      },
    ],
  });

  const table = `state-${randomUUID()}`;
  await createStateTable(testDynamoClient(), table);
  store = StateStore.fromDefaults(table, testDynamoClient());
  Object.assign(process.env, {
    [ENV.tableName]: table,
    [ENV.topicArn]: `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_DYNAMODB: process.env.TEST_DYNAMODB_ENDPOINT,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  // Loaded after the environment is set: the runtime is built at module load, as in Lambda.
  handler = (await import('../../lambda/handlers/job-log')).handler as typeof handler;
  sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: { Id: string }[] }) => {
    const entries = input.PublishBatchRequestEntries;
    // A refusal SNS will not change its mind about (sender fault): the publisher gives up at once.
    if (snsRefuses) return { Successful: [], Failed: entries.map((e) => ({ Id: e.Id, Code: 'KMSAccessDenied', SenderFault: true, Message: 'key disabled' })) };
    accepted.push(...entries.map((e) => e.Id));
    return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: randomUUID() })), Failed: [] };
  });
  endpoint = await startLambdaEndpoint({
    [queueNamed('job-log').function!]: (event) => handler(event as CloudWatchLogsEvent, context),
    [queueNamed('sweeper-schedule').function!]: async (event) => {
      sweeperReceived.push(event);
      return { openRuns: 0, periodicJobs: 0, raised: [], published: [], failures: [] };
    },
  });
});

afterAll(async () => {
  await endpoint.close();
  process.env = saved;
});

const SQS_DLQ: FailureQueue = {
  name: 'findings-queue',
  kind: 'sqs-dead-letter',
  url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/findings-dlq`,
  source: `arn:aws:sqs:${REGION}:${ACCOUNT}:findings`,
};

/** The dead-letter queue of a rule whose target is a queue (EventBridge -> SQS -> Lambda). */
const RULE_TO_QUEUE_DLQ: FailureQueue = {
  name: 'finding-rule',
  kind: 'eventbridge-dead-letter',
  url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/finding-rule-dlq`,
  queue: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/findings`,
};

/** A run's worth of job log events whose first delivery wrote the state but could not publish (SNS refused). */
async function partlyApplied(jobId: string): Promise<{ event: CloudWatchLogsEvent; runDate: string }> {
  const runDate = '2024-04-14T17:09:30.574809Z';
  const ev = jobStream(jobId, `Job_${jobId}`, runDate);
  const event = subscriptionEventOf([
    ev('ONE_TIME_JOB_STARTED', runDate.replace(/\.\d+Z$/, 'Z')),
    ...[1, 2, 3].map((i) => ev('BUCKET_ACCESS_DENIED', at('2024-04-14T17:10:00Z', i), bucketError(`bucket-${jobId}-${i}`, ACCOUNT))),
    ev('ACCOUNT_ACCESS_DENIED', at('2024-04-14T17:10:00Z', 5), { affectedAccount: '444455556666', operation: 'ListBuckets' }),
  ]);
  snsRefuses = true;
  // Lambda's three attempts: the first writes the state, every one fails to deliver.
  for (let attempt = 0; attempt < 3; attempt++) await expect(handler(event, context)).rejects.toThrow(/not published, released for retry/);
  snsRefuses = false;
  return { event, runDate };
}

const errorsOf = async (jobId: string, runDate: string) =>
  ((await store.get(keys.run(jobId, runDate))) as { errors?: Record<string, number> } | undefined)?.errors;

describe('macie-alerts redrive: Lambda on-failure queue (job-log)', () => {
  test('a partly applied batch: redriven, its pending alerts are sent once, the run counts it once; redriven again, nothing changes', async () => {
    const url = queueNamed('job-log').url;
    const { event, runDate } = await partlyApplied('job-r1');
    expect(await errorsOf('job-r1', runDate)).toEqual({ BUCKET_ACCESS_DENIED: 3, ACCOUNT_ACCESS_DENIED: 1 });
    expect(published()).toEqual([]);
    const record = invocationRecord(queueNamed('job-log').function!, event);
    sqs.send(url, record);

    const first = await redrive('--stack', STACK, '--queue', 'job-log');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`job-log: on-failure queue of function ${queueNamed('job-log').function}: 1 message(s) waiting`);
    expect(first.stdout).toMatch(/ {2}redriven {2}message \S+ \(request \S+, RetriesExhausted after 3 attempt\(s\)\): \S+ succeeded; message deleted/);
    expect(first.stdout).toContain('redrive: 1 message(s) redriven, 0 failed');
    const sent = published();
    expect(sent).toHaveLength(2);
    expect(sent).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^run_job-r1_.*_ACCOUNT_ACCESS_DENIED_first$/),
        expect.stringMatching(/^run_job-r1_.*_BUCKET_ACCESS_DENIED_first$/),
      ]),
    );
    expect(sqs.bodies(url)).toEqual([]);
    expect(await errorsOf('job-r1', runDate)).toEqual({ BUCKET_ACCESS_DENIED: 3, ACCOUNT_ACCESS_DENIED: 1 });

    // Delivered twice more (at least once, everywhere): applied once, alerted once.
    const before = await store.get(keys.run('job-r1', runDate));
    sqs.send(url, record);
    sqs.send(url, record);
    const again = await redrive('--stack', STACK, '--queue', 'job-log');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('redrive: 2 message(s) redriven, 0 failed');
    expect(published()).toEqual(sent);
    expect(await store.get(keys.run('job-r1', runDate))).toEqual(before);

    const empty = await redrive('--stack', STACK, '--queue', 'job-log');
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('job-log: on-failure queue of function');
    expect(empty.stdout).toContain('  empty: nothing to redrive');
  });

  test('a record that fails again stays in the queue (visible again), exit 1; the next redrive sends its alerts once', async () => {
    const url = queueNamed('job-log').url;
    const { event, runDate } = await partlyApplied('job-r2');
    sqs.send(url, invocationRecord(queueNamed('job-log').function!, event));
    const sentBefore = published().length;

    snsRefuses = true;
    const failed = await redrive('--stack', STACK, '--queue', 'job-log');
    snsRefuses = false;
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/ {2}FAILED {4}message \S+ \(request .*\): \S+ failed again \(Unhandled\): DeliveryFailed: .*; kept in the queue/);
    expect(failed.stdout).toContain('redrive: 0 message(s) redriven, 1 failed (kept in their queues)');
    expect(sqs.bodies(url)).toHaveLength(1);
    expect(sqs.hidden(url)).toBe(0);
    expect(published()).toHaveLength(sentBefore);

    const fixed = await redrive('--stack', STACK, '--queue', 'job-log');
    expect(fixed.code).toBe(0);
    expect(
      published()
        .slice(sentBefore)
        .filter((id) => id.includes('job-r2')),
    ).toHaveLength(2);
    expect(sqs.bodies(url)).toEqual([]);
    expect(await errorsOf('job-r2', runDate)).toEqual({ BUCKET_ACCESS_DENIED: 3, ACCOUNT_ACCESS_DENIED: 1 });
  });

  test('a message that could not be deleted after success is redriven again, and applies once', async () => {
    const url = queueNamed('job-log').url;
    const { event, runDate } = await partlyApplied('job-r3');
    sqs.send(url, invocationRecord(queueNamed('job-log').function!, event));
    const sentBefore = published().length;
    sqs.failDeletes = [Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })];

    const first = await redrive('--stack', STACK, '--queue', 'job-log');
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(
      /FAILED {4}message .*: \S+ succeeded, but could not delete the message \(sqs:DeleteMessage\): TimeoutError: socket hang up; kept in the queue/,
    );
    expect(sqs.bodies(url)).toHaveLength(1);
    const afterFirst = published().slice(sentBefore);
    expect(afterFirst).toHaveLength(2);

    const second = await redrive('--stack', STACK, '--queue', 'job-log');
    expect(second.code).toBe(0);
    expect(published().slice(sentBefore)).toEqual(afterFirst);
    expect(await errorsOf('job-r3', runDate)).toEqual({ BUCKET_ACCESS_DENIED: 3, ACCOUNT_ACCESS_DENIED: 1 });
  });

  test('messages that are not records of this function are kept and reported; the good one next to them is redriven', async () => {
    const url = queueNamed('job-log').url;
    const fn = queueNamed('job-log').function!;
    const { event } = await partlyApplied('job-r4');
    sqs.send(url, 'not json at all');
    sqs.send(url, JSON.stringify({ version: '1.0', requestContext: { requestId: 'r-no-payload', functionArn: functionArn(fn) } }));
    sqs.send(url, invocationRecord('SomeOtherFunction', event));
    sqs.send(url, invocationRecord(fn, event));
    const invocationsBefore = endpoint.invocations.length;

    const run = await redrive('--stack', STACK, '--queue', 'job-log');
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n').filter((l) => /^ {2}(FAILED|redriven)/.test(l));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/FAILED .*not a Lambda invocation record with its requestPayload/);
    expect(lines[1]).toMatch(/FAILED .*\(request r-no-payload\): not a Lambda invocation record with its requestPayload/);
    expect(lines[2]).toMatch(new RegExp(`FAILED .*a record of function SomeOtherFunction, not ${fn}`));
    expect(lines[3]).toMatch(/redriven /);
    expect(endpoint.invocations.slice(invocationsBefore).map((i) => [i.functionName, i.invocationType])).toEqual([[fn, 'RequestResponse']]);
    expect(sqs.bodies(url)).toHaveLength(3);
    expect(sqs.hidden(url)).toBe(0);
    sqs.purge(url);
  });

  test('every message of the run is tried once: one received again (its visibility ran out) ends the run', async () => {
    const url = queueNamed('job-log').url;
    sqs.send(url, 'not json at all');
    sqs.visibilityRunsOut = true;
    try {
      const run = await redrive('--stack', STACK, '--queue', 'job-log');
      expect(run.code).toBe(1);
      expect(run.stdout.match(/FAILED/g)).toHaveLength(1);
    } finally {
      sqs.visibilityRunsOut = false;
      sqs.purge(url);
    }
  });
});

describe('macie-alerts redrive: other queues', () => {
  test('an EventBridge dead-letter queue: each event is invoked on the target function, then deleted', async () => {
    const q = queueNamed('sweeper-schedule');
    const event = { version: '0', id: 'evt-1', 'detail-type': 'Scheduled Event', source: 'aws.events', account: ACCOUNT, region: REGION, detail: {} };
    sqs.send(q.url, JSON.stringify(event), {
      ERROR_CODE: 'Throttling',
      ERROR_MESSAGE: 'Rate exceeded',
      RULE_ARN: `arn:aws:events:${REGION}:${ACCOUNT}:rule/x`,
      TARGET_ARN: functionArn(q.function!),
    });
    sqs.send(q.url, JSON.stringify(event), { ERROR_CODE: 'Throttling', TARGET_ARN: functionArn('SomeoneElse') });
    const run = await redrive('--stack', STACK, '--queue', 'sweeper-schedule');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`sweeper-schedule: dead-letter queue of EventBridge's deliveries to function ${q.function}: 2 message(s) waiting`);
    expect(run.stdout).toMatch(/redriven {2}message \S+ \(event evt-1, Throttling\): \S+ succeeded; message deleted/);
    expect(run.stdout).toMatch(new RegExp(`FAILED {4}message .*an event for SomeoneElse, not ${q.function}; kept in the queue`));
    expect(sweeperReceived).toEqual([event]);
    expect(sqs.bodies(q.url)).toHaveLength(1);
    sqs.purge(q.url);
  });

  test('an EventBridge dead-letter queue of a rule whose target is a queue: each event is sent to that queue, then deleted', async () => {
    const event = { version: '0', id: 'evt-2', 'detail-type': 'Macie Finding', source: 'aws.macie', detail: { id: 'f-2' } };
    sqs.send(RULE_TO_QUEUE_DLQ.url, JSON.stringify(event), { ERROR_CODE: 'SQSThrottled', TARGET_ARN: SqsStandIn.arnOf(RULE_TO_QUEUE_DLQ.queue!) });
    const run = await redrive('--stack', 'WithSqsQueue', '--queue', 'finding-rule');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`finding-rule: dead-letter queue of EventBridge's deliveries to queue ${RULE_TO_QUEUE_DLQ.queue}: 1 message(s) waiting`);
    expect(run.stdout).toMatch(new RegExp(`redriven {2}message \\S+ \\(event evt-2, SQSThrottled\\): sent to ${RULE_TO_QUEUE_DLQ.queue}; message deleted`));
    expect(sqs.bodies(RULE_TO_QUEUE_DLQ.queue!)).toEqual([JSON.stringify(event)]);
    expect(sqs.bodies(RULE_TO_QUEUE_DLQ.url)).toEqual([]);
    sqs.purge(RULE_TO_QUEUE_DLQ.queue!);
  });

  test('an SQS dead-letter queue: a native message move task back to its source queue, and its handle printed', async () => {
    sqs.send(SQS_DLQ.url, '{"some":"finding event"}');
    const run = await redrive('--stack', 'WithSqsQueue', '--queue', SQS_DLQ.name);
    expect(run.code).toBe(0);
    expect(sqs.moveTasks).toEqual([{ source: SqsStandIn.arnOf(SQS_DLQ.url), destination: SQS_DLQ.source, handle: expect.stringMatching(/^task-/) }]);
    expect(run.stdout).toContain(`findings-queue: dead-letter queue of ${SQS_DLQ.source}: 1 message(s) waiting`);
    expect(run.stdout).toContain(`  move task started back to ${SQS_DLQ.source}: ${sqs.moveTasks[0].handle}`);
    sqs.purge(SQS_DLQ.url);
    const empty = await redrive('--stack', 'WithSqsQueue', '--queue', SQS_DLQ.name);
    expect(empty.stdout).toContain('  empty: no move task started');
    expect(sqs.moveTasks).toHaveLength(1);
  });

  test('--dry-run says what it would do for every queue and receives, invokes, deletes and moves nothing', async () => {
    const url = queueNamed('job-log').url;
    sqs.send(url, invocationRecord(queueNamed('job-log').function!, { awslogs: { data: 'x' } }));
    const calls = () => [
      sqs.mock.commandCalls(ReceiveMessageCommand).length,
      sqs.mock.commandCalls(DeleteMessageCommand).length,
      sqs.mock.commandCalls(StartMessageMoveTaskCommand).length,
    ];
    const before = calls();
    const invocations = endpoint.invocations.length;
    const run = await redrive('--stack', STACK, '--dry-run');
    expect(run.code).toBe(0);
    expect(calls()).toEqual(before);
    expect(endpoint.invocations).toHaveLength(invocations);
    expect(sqs.bodies(url)).toHaveLength(1);
    for (const q of queues) expect(run.stdout).toContain(`${q.name}: `);
    expect(run.stdout).toContain(`job-log: on-failure queue of function ${queueNamed('job-log').function}: 1 message(s) waiting`);
    expect(run.stdout).toContain(
      `  dry run: would invoke ${queueNamed('job-log').function} with each message's original requestPayload, and delete each message once`,
    );
    expect((await redrive('--stack', 'WithSqsQueue', '--dry-run')).stdout).toContain(
      `  dry run: would start an SQS message move task back to ${SQS_DLQ.source}`,
    );
    sqs.purge(url);
  });
});

describe('macie-alerts redrive: what it refuses, plainly', () => {
  test('an unknown stack: exit 2, naming the stack and Region', async () => {
    const run = await redrive('--stack', 'Nope');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'macie-alerts: stack "Nope" was not found in eu-west-1: check --stack (the name `cdk deploy` printed, e.g. MacieAlerts-eu-west-1) and --region\n',
    );
  });

  test('a stack without the FailureQueues output (not macie-alerts, or an older version): exit 2', async () => {
    const run = await redrive('--stack', 'OldStack');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('stack "OldStack" has no FailureQueues output');
  });

  test('a queue name the stack does not have: exit 2, listing the ones it has', async () => {
    const run = await redrive('--stack', STACK, '--queue', 'job-logs');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`macie-alerts: stack "${STACK}" has no queue named "job-logs"; its queues: ${queues.map((q) => q.name).join(', ')}\n`);
  });

  test.each([
    [['--queue', 'job-log'], 'redrive needs --stack NAME'],
    [['--stack', STACK, '--queue', 'Job Log'], '--queue "Job Log" is not a queue name'],
    [['--stack', STACK, '--region', 'Ireland'], '--region "Ireland" is not a Region name'],
    [['--stack', STACK, '--dry-run=yes'], '--dry-run takes no value'],
    [['--stack', STACK, 'job-log'], 'redrive takes no arguments, only options'],
  ])('bad options %j: exit 2 with the reason', async (args, reason) => {
    const run = await redrive(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(reason);
    expect(run.stderr).toContain('Run `macie-alerts redrive --help` for usage.');
  });

  test('no Region anywhere (the real default chain, in a child process): exit 2 and what to set, before any call', async () => {
    const env = { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'no-aws-')), AWS_EC2_METADATA_DISABLED: 'true' };
    const bin = join(__dirname, '..', '..', 'bin', 'macie-alerts-cli.js');
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, 'redrive', '--stack', STACK], { env }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
      });
    });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: 'macie-alerts: no AWS Region: pass --region REGION, or set AWS_REGION (or a region in your AWS profile)\n',
    });
  });

  test('no AWS credentials anywhere (the real default chain, in a child process): exit 1 and what to do', async () => {
    const env = { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'no-aws-')), AWS_EC2_METADATA_DISABLED: 'true' };
    const bin = join(__dirname, '..', '..', 'bin', 'macie-alerts-cli.js');
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, 'redrive', '--stack', STACK, '--region', REGION], { env }, (error, _stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr });
      });
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^macie-alerts: no AWS credentials found \(the standard chain: .*\): configure some/);
  });
});

describe('macie-alerts redrive: the help and docs/cli.md name each queue under the kind it really is', () => {
  const headings: Record<FailureQueue['kind'], RegExp> = {
    'lambda-on-failure': /Lambda on-failure\s*queues?\**\s*\(([^)]*)\)/,
    'eventbridge-dead-letter': /EventBridge dead-letter\s*queues?\**\s*\(([^)]*)\)/,
    'sqs-dead-letter': /SQS dead-letter\s*queues?\**\s*\(([^)]*)\)/,
  };
  const listed = (text: string, kind: FailureQueue['kind']) =>
    new Set(
      (headings[kind].exec(text.replace(/\s+/g, ' '))?.[1] ?? '')
        .split(',')
        .map((item) => /^`?([a-z][a-z-]*[a-z])`?$/.exec(item.trim())?.[1])
        .filter((name) => name !== undefined),
    );
  const docs = readFileSync(join(__dirname, '../../docs/cli.md'), 'utf8');
  test.each(Object.keys(headings) as FailureQueue['kind'][])('%s', (kind) => {
    const synthesized = queues.filter((q) => q.kind === kind).map((q) => q.name);
    expect(synthesized.length).toBeGreaterThan(0);
    for (const text of [REDRIVE_USAGE, docs]) {
      const named = listed(text, kind);
      for (const name of synthesized) expect(named).toContain(name);
      expect([...named].sort()).toEqual([...synthesized].sort());
    }
  });
});
