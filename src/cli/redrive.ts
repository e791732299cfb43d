import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import type { RedriveOptions } from './args';
import { awsErrorText } from './aws-errors';
import { RegionMissing, RegionUnknown } from './aws-region';
import { FAILURE_QUEUES_OUTPUT, parseFailureQueues, type FailureQueue } from '../../lib/failure-queues-output';
import { findOutput, StackLookupFailed, StackNotFound, stackOutputs } from './stack-outputs';

/** The AWS clients redrive uses; the CLI makes them with the SDK's defaults, tests point them at stand-ins. */
export interface AwsClients {
  readonly cloudFormation: CloudFormationClient;
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
}

/** Clients with the standard credential chain and Region resolution (`region` overrides the latter). */
export function defaultAwsClients(region: string | undefined): AwsClients {
  const config = region ? { region } : {};
  return { cloudFormation: new CloudFormationClient(config), sqs: new SQSClient(config), lambda: new LambdaClient(config) };
}

export interface RedriveOutput {
  /** What was done, one line each. */
  line(text: string): void;
  /** Why something could not start at all. */
  problem(text: string): void;
}

/** ok: everything redriven or nothing to do; failed: a message or an AWS call failed; notUnderstood: a bad stack or queue name. */
export type RedriveStatus = 'ok' | 'failed' | 'notUnderstood';

/**
 * Longest a message stays hidden once received: the longest a Lambda invocation can run, so a message being
 * redriven is not received again by the same run. Messages that fail are made visible again at the end.
 */
const VISIBILITY_TIMEOUT_SECONDS = 900;

export async function redrive(options: RedriveOptions, clients: AwsClients, out: RedriveOutput): Promise<RedriveStatus> {
  let queues: FailureQueue[];
  try {
    const outputs = await stackOutputs(clients.cloudFormation, options.stack);
    const output = findOutput(outputs, FAILURE_QUEUES_OUTPUT);
    if (!output?.OutputValue) {
      out.problem(`stack "${options.stack}" has no ${FAILURE_QUEUES_OUTPUT} output: is it a macie-alerts stack, deployed with this version (npx cdk deploy)?`);
      return 'notUnderstood';
    }
    queues = parseFailureQueues(output.OutputValue);
  } catch (error) {
    if (error instanceof StackNotFound || error instanceof RegionMissing) {
      out.problem(error.message);
      return 'notUnderstood';
    }
    if (error instanceof RegionUnknown) {
      out.problem(error.message);
      return 'failed';
    }
    if (error instanceof StackLookupFailed) {
      out.problem(error.message);
      return 'failed';
    }
    out.problem(`stack "${options.stack}": ${(error as Error).message}`);
    return 'failed';
  }

  const selected = options.queue === undefined ? queues : queues.filter((q) => q.name === options.queue);
  if (selected.length === 0) {
    out.problem(
      options.queue === undefined
        ? `stack "${options.stack}" lists no failure queues`
        : `stack "${options.stack}" has no queue named "${options.queue}"; its queues: ${queues.map((q) => q.name).join(', ')}`,
    );
    return 'notUnderstood';
  }

  const totals = { redriven: 0, failed: 0, moves: 0 };
  for (const queue of selected) {
    const result = await redriveQueue(queue, options.dryRun, clients, out);
    totals.redriven += result.redriven;
    totals.failed += result.failed;
    totals.moves += result.moves;
  }
  if (!options.dryRun) {
    const moves = totals.moves > 0 ? `, ${totals.moves} move task(s) started` : '';
    out.line(`redrive: ${totals.redriven} message(s) redriven${moves}, ${totals.failed} failed${totals.failed > 0 ? ' (kept in their queues)' : ''}`);
  }
  return totals.failed > 0 ? 'failed' : 'ok';
}

interface QueueResult {
  redriven: number;
  failed: number;
  moves: number;
}

/** Where a queue's messages go back to: its function, or (EventBridge to a queue) the queue. */
function targetOf(q: FailureQueue): string {
  return q.function ? `function ${q.function}` : `queue ${q.queue}`;
}

function describeQueue(q: FailureQueue): string {
  switch (q.kind) {
    case 'lambda-on-failure':
      return `on-failure queue of function ${q.function}`;
    case 'eventbridge-dead-letter':
      return `dead-letter queue of EventBridge's deliveries to ${targetOf(q)}`;
    case 'sqs-dead-letter':
      return `dead-letter queue of ${q.source}`;
  }
}

async function redriveQueue(q: FailureQueue, dryRun: boolean, clients: AwsClients, out: RedriveOutput): Promise<QueueResult> {
  const result: QueueResult = { redriven: 0, failed: 0, moves: 0 };
  const attributes = await readQueue(q, clients, out);
  if (!attributes) {
    result.failed++;
    return result;
  }
  if (q.kind === 'sqs-dead-letter') return startMoveTask(q, attributes, dryRun, clients, out, result);
  if (dryRun) {
    const what = q.kind === 'lambda-on-failure' ? "each message's original requestPayload" : 'each event';
    const how = q.function ? `invoke ${q.function} with ${what}` : `send ${what} to ${q.queue}`;
    out.line(`  dry run: would ${how}, and delete each message once that succeeded`);
    return result;
  }
  return redriveMessages(q, clients, out, result);
}

/** The queue's ARN and the messages waiting, printed; undefined (and the failure printed) when it cannot be read. */
async function readQueue(q: FailureQueue, clients: AwsClients, out: RedriveOutput): Promise<{ arn: string; waiting: number } | undefined> {
  try {
    const { Attributes = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    const waiting = Number(Attributes.ApproximateNumberOfMessages ?? 0);
    const inFlight = Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    out.line(`${q.name}: ${describeQueue(q)}: ${waiting} message(s) waiting${inFlight > 0 ? `, ${inFlight} being received elsewhere (not touched)` : ''}`);
    return { arn: Attributes.QueueArn ?? '', waiting };
  } catch (error) {
    out.line(`${q.name}: FAILED: ${awsErrorText(error, `read queue ${q.url} (sqs:GetQueueAttributes)`)}`);
    return undefined;
  }
}

/** An SQS dead-letter queue goes back to its source by SQS's own message move task. */
async function startMoveTask(
  q: FailureQueue,
  { arn, waiting }: { arn: string; waiting: number },
  dryRun: boolean,
  clients: AwsClients,
  out: RedriveOutput,
  result: QueueResult,
): Promise<QueueResult> {
  if (dryRun) {
    out.line(`  dry run: would start an SQS message move task back to ${q.source}`);
    return result;
  }
  if (waiting === 0) {
    out.line('  empty: no move task started');
    return result;
  }
  try {
    const { TaskHandle } = await clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn, DestinationArn: q.source }));
    out.line(`  move task started back to ${q.source}: ${TaskHandle}`);
    out.line(`  follow it with: aws sqs list-message-move-tasks --source-arn ${arn}`);
    result.moves++;
  } catch (error) {
    out.line(`  FAILED: ${awsErrorText(error, 'start the message move task (sqs:StartMessageMoveTask)')}`);
    result.failed++;
  }
  return result;
}

/** One message at a time: each stays hidden while its invocation runs; failures are made visible again at the end. */
async function redriveMessages(q: FailureQueue, clients: AwsClients, out: RedriveOutput, result: QueueResult): Promise<QueueResult> {
  const seen = new Set<string>();
  const keep: string[] = [];
  try {
    for (;;) {
      const message = await receiveOne(q, clients, out, result);
      if (!message?.ReceiptHandle) break;
      // Received again in this run (its visibility ran out): every message had its one try.
      if (seen.has(message.MessageId ?? message.ReceiptHandle)) {
        keep.push(message.ReceiptHandle);
        break;
      }
      seen.add(message.MessageId ?? message.ReceiptHandle);
      const outcome = await redriveMessage(q, message, clients);
      if (outcome.ok) {
        result.redriven++;
        out.line(`  redriven  ${outcome.what}: ${q.function ? `${q.function} succeeded` : `sent to ${q.queue}`}; message deleted`);
      } else {
        result.failed++;
        keep.push(message.ReceiptHandle);
        out.line(`  FAILED    ${outcome.what}: ${outcome.reason}; kept in the queue`);
      }
    }
  } finally {
    for (const handle of keep) {
      try {
        await clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: q.url, ReceiptHandle: handle, VisibilityTimeout: 0 }));
      } catch (error) {
        out.line(`  (a kept message stays hidden for up to ${VISIBILITY_TIMEOUT_SECONDS / 60} minutes: ${awsErrorText(error, 'make it visible again')})`);
      }
    }
  }
  if (seen.size === 0) out.line('  empty: nothing to redrive');
  return result;
}

/** The next message, or undefined when the queue is empty or cannot be received from (counted as a failure). */
async function receiveOne(q: FailureQueue, clients: AwsClients, out: RedriveOutput, result: QueueResult): Promise<Message | undefined> {
  try {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: q.url,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 1,
        VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages[0];
  } catch (error) {
    out.line(`  FAILED: ${awsErrorText(error, `receive from ${q.url} (sqs:ReceiveMessage)`)}`);
    result.failed++;
    return undefined;
  }
}

type MessageOutcome = { readonly ok: true; readonly what: string } | { readonly ok: false; readonly what: string; readonly reason: string };

async function redriveMessage(q: FailureQueue, message: Message, clients: AwsClients): Promise<MessageOutcome> {
  const input = q.kind === 'lambda-on-failure' ? fromInvocationRecord(message, q.function!) : fromDeadLetteredEvent(message, q.function);
  if (!input.ok) return input;
  const { what } = input;

  if (q.function) {
    const fn = q.function;
    try {
      const response = await clients.lambda.send(
        new InvokeCommand({ FunctionName: fn, InvocationType: 'RequestResponse', Payload: Buffer.from(input.payload) }),
      );
      if (response.FunctionError) return { ok: false, what, reason: `${fn} failed again (${response.FunctionError}): ${errorOf(response.Payload)}` };
    } catch (error) {
      return { ok: false, what, reason: awsErrorText(error, `invoke ${fn} (lambda:InvokeFunction)`) };
    }
  } else {
    try {
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: q.queue, MessageBody: input.payload }));
    } catch (error) {
      return { ok: false, what, reason: awsErrorText(error, `send it to ${q.queue} (sqs:SendMessage)`) };
    }
  }

  try {
    await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: q.url, ReceiptHandle: message.ReceiptHandle }));
  } catch (error) {
    // It was applied (or queued); the next redrive hands it on again, which the pipeline applies once.
    return {
      ok: false,
      what,
      reason: `${q.function ? `${q.function} succeeded` : `sent to ${q.queue}`}, but ${awsErrorText(error, 'delete the message (sqs:DeleteMessage)')}`,
    };
  }
  return { ok: true, what };
}

type Input = { readonly ok: true; readonly what: string; readonly payload: string } | { readonly ok: false; readonly what: string; readonly reason: string };

/** A Lambda async invocation record (an on-failure destination's message): its original requestPayload. */
function fromInvocationRecord(message: Message, fn: string): Input {
  const record = jsonObject(message.Body);
  const context = jsonObject(record?.requestContext);
  const requestId = typeof context?.requestId === 'string' ? context.requestId : undefined;
  const what = `message ${message.MessageId}${requestId ? ` (request ${requestId}${describeFailure(context)})` : ''}`;
  if (!record || !('requestPayload' in record))
    return { ok: false, what, reason: 'not a Lambda invocation record with its requestPayload (too large to be kept?)' };
  const owner = typeof context?.functionArn === 'string' ? functionNameOf(context.functionArn) : undefined;
  if (owner !== undefined && owner !== fn) return { ok: false, what, reason: `a record of function ${owner}, not ${fn}` };
  return { ok: true, what, payload: JSON.stringify(record.requestPayload) };
}

function describeFailure(context: Record<string, unknown> | undefined): string {
  const condition = typeof context?.condition === 'string' ? context.condition : undefined;
  const attempts = typeof context?.approximateInvokeCount === 'number' ? context.approximateInvokeCount : undefined;
  return [condition && `, ${condition}`, attempts !== undefined && ` after ${attempts} attempt(s)`].filter(Boolean).join('');
}

/** An event EventBridge could not deliver: the message body is the event, its attributes say why. */
function fromDeadLetteredEvent(message: Message, fn: string | undefined): Input {
  const event = jsonObject(message.Body);
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const error = attribute('ERROR_CODE');
  const what = `message ${message.MessageId}${typeof event?.id === 'string' ? ` (event ${event.id}${error ? `, ${error}` : ''})` : ''}`;
  if (!event) return { ok: false, what, reason: 'not an EventBridge event (the body is not a JSON object)' };
  const target = attribute('TARGET_ARN');
  const owner = target && fn ? functionNameOf(target) : undefined;
  if (owner !== undefined && owner !== fn) return { ok: false, what, reason: `an event for ${owner}, not ${fn}` };
  return { ok: true, what, payload: message.Body! };
}

/** arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] -> NAME. */
function functionNameOf(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts[5] === 'function' ? parts[6] : undefined;
}

function jsonObject(value: unknown): Record<string, unknown> | undefined {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}

/** The error a function returned ({"errorType","errorMessage"}), shortened for one line. */
function errorOf(payload: Uint8Array | undefined): string {
  const text = payload ? Buffer.from(payload).toString('utf8') : '';
  const error = jsonObject(text);
  const described =
    error && typeof error.errorMessage === 'string' ? `${typeof error.errorType === 'string' ? `${error.errorType}: ` : ''}${error.errorMessage}` : text;
  return described.length > 300 ? `${described.slice(0, 300)}...` : described || 'no error message';
}
