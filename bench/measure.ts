import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CloudWatchLogsEvent, SQSEvent } from 'aws-lambda';
import type { BatchReport } from '../lambda/core/event-report';
import type { PipelineDeps } from '../lambda/pipeline-deps';
import { DEFAULT_SETTINGS } from '../lambda/core/settings';
import { SnsAlertPublisher } from '../lambda/delivery/sns-publisher';
import { StateStore } from '../lambda/state/store';
import { keys } from '../lambda/state/table';
import type { DimensionedMetricName, DimensionValueOf, PlainMetricName, Telemetry } from '../lambda/core/telemetry';
import { createStateTable } from '../src/local/dynamodb-local';
import { sqsEvent, type QueueMessage } from '../src/local/sqs-queue';
import type { SweepReport } from '../lambda/sweeper/sweep';
import { emptyDynamoCounts, meterDynamoDb, type DynamoCounts } from './dynamo-metering';
import { decodeFloor } from './floor';
import { processIoFloor } from './io-floor';
import { largestItem, type LargestItem } from './item-size';
import { processNaive } from './naive';
import { emptySnsCounts, recordingSnsClient, type SnsCounts } from './recording-sns';
import { REGION, type Invocation, type Scenario } from './scenarios';

/**
 * One pass of a scenario through each design, with what it cost. Time is measured around the handler
 * calls only (process.cpuUsage and a monotonic clock), never around setup such as creating the table.
 */
export interface PassResult {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly events: number;
  readonly dynamo: DynamoCounts;
  readonly sns: SnsCounts;
}

/** The two handlers under test, injected so that the test can drive the bench code with the same ones. */
export interface Pipelines {
  logs(event: CloudWatchLogsEvent, deps: PipelineDeps): Promise<unknown>;
  findings(event: SQSEvent, deps: PipelineDeps): Promise<BatchReport>;
  /** The scheduled sweeper, for scenarios that end with a sweep. */
  sweep?(deps: PipelineDeps): Promise<SweepReport>;
}

export const TOPIC_ARN = `arn:aws:sns:${REGION}:123456789012:macie-alerts`;

/**
 * Lambda logs through Powertools to stdout; the bench counts lines instead of printing them, so the
 * figures exclude log serialisation and the terminal stays readable.
 */
export class CountingTelemetry implements Telemetry {
  lines = 0;
  warnings = 0;
  readonly counters: Partial<Record<PlainMetricName, number>> = {};
  /** Added up like the Lambda telemetry does, so the figures include that work. */
  readonly countersBy = new Map<string, number>();
  info(): void {
    this.lines++;
  }
  warn(): void {
    this.lines++;
    this.warnings++;
  }
  error(): void {
    this.lines++;
    this.warnings++;
  }
  count(metric: PlainMetricName, value = 1): void {
    this.counters[metric] = (this.counters[metric] ?? 0) + value;
  }
  countBy<M extends DimensionedMetricName>(metric: M, dimensionValue: DimensionValueOf<M>, value = 1): void {
    const key = `${metric}:${dimensionValue}`;
    this.countersBy.set(key, (this.countersBy.get(key) ?? 0) + value);
  }
}

function cpuNowMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function freshTable(client: DynamoDBClient): Promise<string> {
  const tableName = `bench-${randomUUID()}`;
  await createStateTable(client, tableName);
  return tableName;
}

/** What the Lambda runtime hands the handler: a parsed event (its JSON.parse is the floor's, not ours). */
function handlerInput(invocation: Invocation): { kind: 'logs'; event: CloudWatchLogsEvent } | { kind: 'findings'; event: SQSEvent } {
  return invocation.kind === 'logs' ? { kind: 'logs', event: invocation.event } : { kind: 'findings', event: JSON.parse(invocation.raw) as SQSEvent };
}

export interface OursPass extends PassResult {
  readonly telemetry: CountingTelemetry;
  /** Invocations whose handler threw (Lambda would retry them): should be 0. */
  readonly failedInvocations: number;
  /** Handler invocations, including SQS's redeliveries of records listed in batchItemFailures. */
  readonly invocations: number;
  /** Records delivered again because their batch listed them in batchItemFailures. */
  readonly redeliveredRecords: number;
  /** The findings groups as stored after the pass, when the scenario says what they must be. */
  readonly groups?: GroupsFound;
  /** SNS messages each invocation published: the alerts the I/O floor must send too. */
  readonly alertsPerInvocation: readonly number[];
  /** The table's largest item after the pass, for scenarios that ask (scanned after measuring). */
  readonly largestItem?: LargestItem;
  /** Of the alerts, those the closing sweep sent (the roll-ups), for scenarios that end with one. */
  readonly sweptAlerts?: number;
}

export interface GroupsFound {
  /** Sensitive-data groups of the scenario's job. */
  readonly groups: number;
  /** Their counts, summed: exactly the findings, or some were lost or counted twice. */
  readonly counted: number;
}

/** Our pipeline's deps: a fresh state table on a metered client, the real SnsAlertPublisher on a recording client, default settings. */
export async function oursDeps(newClient: () => DynamoDBClient) {
  const client = newClient();
  const tableName = await freshTable(client);
  const metered = meterDynamoDb(client, emptyDynamoCounts());
  const { client: snsClient, counts: sns } = recordingSnsClient();
  const telemetry = new CountingTelemetry();
  const deps: PipelineDeps = {
    store: StateStore.fromDefaults(tableName, client),
    publisher: new SnsAlertPublisher({ client: snsClient, topicArn: TOPIC_ARN, telemetry }),
    settings: DEFAULT_SETTINGS,
    telemetry,
    region: REGION,
    now: () => new Date(),
  };
  return { client, deps, metered, sns, telemetry };
}

export async function runOurs(scenario: Scenario, newClient: () => DynamoDBClient, pipelines: Pipelines, invocationLimit = Infinity): Promise<OursPass> {
  const { client, deps, metered, sns, telemetry } = await oursDeps(newClient);
  const inputs = scenario.invocations.slice(0, invocationLimit).map(handlerInput);
  let wallMs = 0;
  let cpuMs = 0;
  let failedInvocations = 0;
  let redeliveredRecords = 0;
  const alertsPerInvocation: number[] = [];
  // Records a batch could not apply come back, as SQS delivers them again after their visibility timeout.
  const redeliveries: QueueMessage[] = [];
  const invoke = async (input: ReturnType<typeof handlerInput>) => {
    const messagesBefore = sns.messages;
    const cpu0 = cpuNowMs();
    const t0 = performance.now();
    try {
      if (input.kind === 'logs') await pipelines.logs(input.event, deps);
      else {
        const { batchItemFailures } = await pipelines.findings(input.event, deps);
        const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
        redeliveries.push(
          ...input.event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({
            messageId: r.messageId,
            body: r.body,
            receiveCount: Number(r.attributes.ApproximateReceiveCount) + 1,
          })),
        );
      }
    } catch {
      failedInvocations++;
    }
    wallMs += performance.now() - t0;
    cpuMs += cpuNowMs() - cpu0;
    return sns.messages - messagesBefore;
  };
  for (const input of inputs) alertsPerInvocation.push(await invoke(input));
  let invocations = inputs.length;
  while (redeliveries.length > 0) {
    const batch = redeliveries.splice(0, redeliveries.length);
    redeliveredRecords += batch.length;
    invocations++;
    await invoke({ kind: 'findings', event: sqsEvent(batch) });
  }
  const whole = invocationLimit === Infinity;
  let sweptAlerts: number | undefined;
  if (scenario.sweepAndScan && whole && pipelines.sweep) {
    const messagesBefore = sns.messages;
    const cpu0 = cpuNowMs();
    const t0 = performance.now();
    // A repeat interval later: the sweep that sends the roll-ups of the run's findings.
    const later = () => new Date(Date.now() + (deps.settings.repeatIntervalMinutes + 1) * 60_000);
    const report = await pipelines.sweep({ ...deps, now: later }).catch(() => undefined);
    wallMs += performance.now() - t0;
    cpuMs += cpuNowMs() - cpu0;
    invocations++;
    if (!report || report.failures.length > 0) failedInvocations++;
    sweptAlerts = sns.messages - messagesBefore;
  }
  const measured = { ...metered };
  const largest = scenario.sweepAndScan && whole ? await largestItem(client, deps.store.tableName) : undefined;
  const groups = scenario.expected && whole ? await groupsFound(deps.store, scenario.expected.jobId) : undefined;
  client.destroy();
  const events = scenario.invocations.slice(0, invocationLimit).reduce((n, inv) => n + inv.events, 0);
  return {
    wallMs,
    cpuMs,
    events,
    dynamo: measured,
    sns: { ...sns },
    telemetry,
    failedInvocations,
    invocations,
    redeliveredRecords,
    groups,
    alertsPerInvocation,
    largestItem: largest,
    sweptAlerts,
  };
}

/** A job's findings groups (every run), read after the pass: not part of the measured requests. */
export async function groupsFound(store: StateStore, jobId: string): Promise<GroupsFound> {
  const items = await store.listPrefix(keys.job(jobId).pk, 'FGROUP#');
  return { groups: items.length, counted: items.reduce((n, g) => n + (typeof g.count === 'number' ? g.count : 0), 0) };
}

/** The decode floor over the same payloads; throws if it did not decode every event (a broken generator). */
export function runFloor(scenario: Scenario): PassResult {
  const cpu0 = cpuNowMs();
  const t0 = performance.now();
  let decoded = 0;
  for (const invocation of scenario.invocations) decoded += decodeFloor(invocation);
  const wallMs = performance.now() - t0;
  const cpuMs = cpuNowMs() - cpu0;
  if (decoded !== scenario.eventCount) throw new Error(`floor decoded ${decoded} of ${scenario.eventCount} events of ${scenario.name}`);
  return { wallMs, cpuMs, events: decoded, dynamo: emptyDynamoCounts(), sns: emptySnsCounts() };
}

/** Scenarios the I/O floor applies to: subscription batches (the job-log handler's input). */
export function hasIoFloor(scenario: Scenario): boolean {
  return scenario.invocations.every((inv) => inv.kind === 'logs');
}

/**
 * The I/O floor (io-floor.ts) over the same payloads, against its own fresh table and a recording SNS
 * client, publishing `alertsPerInvocation[i]` alerts for invocation i (what ours published for it).
 */
export async function runIoFloor(scenario: Scenario, newClient: () => DynamoDBClient, alertsPerInvocation: readonly number[]): Promise<PassResult> {
  if (!hasIoFloor(scenario)) throw new Error(`the I/O floor takes subscription batches; ${scenario.name} has other invocations`);
  const client = newClient();
  const tableName = await freshTable(client);
  const dynamo = meterDynamoDb(client, emptyDynamoCounts());
  const { client: sns, counts } = recordingSnsClient();
  const deps = { client, tableName, sns, topicArn: TOPIC_ARN };
  let wallMs = 0;
  let cpuMs = 0;
  let events = 0;
  for (const [i, invocation] of scenario.invocations.entries()) {
    if (invocation.kind !== 'logs') continue;
    const cpu0 = cpuNowMs();
    const t0 = performance.now();
    events += await processIoFloor(invocation.event, alertsPerInvocation[i] ?? 0, deps);
    wallMs += performance.now() - t0;
    cpuMs += cpuNowMs() - cpu0;
  }
  client.destroy();
  if (events !== scenario.eventCount) throw new Error(`I/O floor decoded ${events} of ${scenario.eventCount} events of ${scenario.name}`);
  return { wallMs, cpuMs, events, dynamo: { ...dynamo }, sns: { ...counts } };
}

/**
 * The naive design against the same DynamoDB (its own fresh table) and a recording SNS client, over the
 * first invocations holding at least `sampleEvents` events (all of them by default).
 */
export async function runNaive(scenario: Scenario, newClient: () => DynamoDBClient, concurrency = 8, sampleEvents = Infinity): Promise<PassResult> {
  const client = newClient();
  const tableName = await freshTable(client);
  const dynamo = meterDynamoDb(client, emptyDynamoCounts());
  const { client: sns, counts } = recordingSnsClient();
  const cpu0 = cpuNowMs();
  const t0 = performance.now();
  let events = 0;
  for (const invocation of scenario.invocations) {
    if (events >= sampleEvents) break;
    events += await processNaive(invocation, { client, tableName, sns, topicArn: TOPIC_ARN, concurrency });
  }
  const wallMs = performance.now() - t0;
  const cpuMs = cpuNowMs() - cpu0;
  client.destroy();
  return { wallMs, cpuMs, events, dynamo: { ...dynamo }, sns: { ...counts } };
}
