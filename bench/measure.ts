import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import type { PipelineDeps } from '../lambda/pipeline-deps';
import { DEFAULT_SETTINGS } from '../lambda/core/settings';
import { SnsAlertPublisher } from '../lambda/delivery/sns-publisher';
import { StateStore } from '../lambda/state/store';
import type { DimensionedMetricName, DimensionValueOf, PlainMetricName, Telemetry } from '../lambda/core/telemetry';
import { createStateTable } from '../src/local/dynamodb-local';
import { emptyDynamoCounts, meterDynamoDb, type DynamoCounts } from './dynamo-metering';
import { decodeFloor } from './floor';
import { processIoFloor } from './io-floor';
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
  finding(event: unknown, deps: PipelineDeps): Promise<unknown>;
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
function handlerInput(invocation: Invocation): { kind: 'logs'; event: CloudWatchLogsEvent } | { kind: 'finding'; event: unknown } {
  return invocation.kind === 'logs' ? { kind: 'logs', event: invocation.event } : { kind: 'finding', event: JSON.parse(invocation.raw) };
}

export interface OursPass extends PassResult {
  readonly telemetry: CountingTelemetry;
  /** Invocations whose handler threw (Lambda would retry them): should be 0. */
  readonly failedInvocations: number;
  /** SNS messages each invocation published: the alerts the I/O floor must send too. */
  readonly alertsPerInvocation: readonly number[];
}

/** Our pipeline: a fresh state table, the real SnsAlertPublisher on a recording client, default settings. */
export async function runOurs(scenario: Scenario, newClient: () => DynamoDBClient, pipelines: Pipelines, invocationLimit = Infinity): Promise<OursPass> {
  const client = newClient();
  const tableName = await freshTable(client);
  const dynamo = emptyDynamoCounts();
  const metered = meterDynamoDb(client, dynamo);
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
  const inputs = scenario.invocations.slice(0, invocationLimit).map(handlerInput);
  let wallMs = 0;
  let cpuMs = 0;
  let failedInvocations = 0;
  const alertsPerInvocation: number[] = [];
  for (const input of inputs) {
    const messagesBefore = sns.messages;
    const cpu0 = cpuNowMs();
    const t0 = performance.now();
    try {
      if (input.kind === 'logs') await pipelines.logs(input.event, deps);
      else await pipelines.finding(input.event, deps);
    } catch {
      failedInvocations++;
    }
    wallMs += performance.now() - t0;
    cpuMs += cpuNowMs() - cpu0;
    alertsPerInvocation.push(sns.messages - messagesBefore);
  }
  client.destroy();
  const events = scenario.invocations.slice(0, invocationLimit).reduce((n, inv) => n + inv.events, 0);
  return { wallMs, cpuMs, events, dynamo: { ...metered }, sns: { ...sns }, telemetry, failedInvocations, alertsPerInvocation };
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
