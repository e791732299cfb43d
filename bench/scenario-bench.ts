import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoCounts } from './dynamo-metering';
import type { ColdFigures } from './cold-container';
import type { LargestItem } from './item-size';
import { hasIoFloor, runFloor, runIoFloor, runNaive, runOurs, type GroupsFound, type OursPass, type PassResult, type Pipelines } from './measure';
import type { SnsCounts } from './recording-sns';
import type { ExpectedGroups, Scenario } from './scenarios';
import { perThousand, summarize, type Spread } from './stats';

/** Everything measured for one scenario: what bench-results.json holds per scenario. */
export interface ScenarioResult {
  readonly name: Scenario['name'];
  readonly title: string;
  readonly events: number;
  readonly invocations: number;
  readonly ours: DesignFigures & {
    readonly failedInvocations: number;
    /** Handler invocations of the last pass, SQS redeliveries included. */
    readonly invocations: number;
    readonly redeliveredRecords: number;
    /** The findings groups the last pass left, beside what they must be (the findings burst). */
    readonly groups?: GroupsFound & { readonly expected: ExpectedGroups };
    readonly badRecords: number;
    /** False if two measured runs disagreed on a count (a nondeterminism worth knowing about). */
    readonly countsStable: boolean;
    /** The table's largest item after the last pass (scenarios that end with a sweep). */
    readonly largestItem?: LargestItem;
    /** Of the alerts, those the closing sweep sent. */
    readonly sweptAlerts?: number;
  };
  readonly floor: { readonly eventsPerSec: Spread; readonly cpuMsPer1k: Spread };
  /** ours / floor handler CPU, per measured run against the floor's median. */
  readonly cpuRatio: Spread;
  /** The I/O floor in this warm process (job-log scenarios only): decode + 1 GetItem + 1 PutItem per batch + 1 PublishBatch per alert. */
  readonly ioFloor?: DesignFigures;
  /** ours / I/O floor handler CPU, warm, per measured run against the I/O floor's median. */
  readonly ioFloorRatio?: Spread;
  /** Both designs in fresh processes (cold-container.ts): set by run.ts, not by benchScenario. */
  readonly cold?: ColdFigures;
  readonly naive?: DesignFigures & {
    /** Events the naive design actually processed; its absolute counts are scaled from them to `events`. */
    readonly measuredEvents: number;
  };
  readonly rssMb?: { readonly beforeMb: number; readonly peakMb: number };
}

export interface DesignFigures {
  readonly eventsPerSec: Spread;
  readonly cpuMsPer1k: Spread;
  readonly dynamo: DynamoCounts;
  readonly sns: SnsCounts;
  /** Messages a subscriber without a filter policy receives. */
  readonly alerts: number;
  readonly per1k: { readonly dynamoRequests: number; readonly capacityUnits: number; readonly snsCalls: number; readonly alerts: number };
}

export interface ScenarioBenchOptions {
  /** Warm-up passes over the first `warmupFraction` of the invocations (JIT, connection pool, file cache). */
  readonly warmups: number;
  readonly warmupFraction: number;
  /** Measured passes of ours: at most this many... */
  readonly runs: number;
  /** ...and no new one once this many seconds of measured passes are spent (at least `minRuns` are done). */
  readonly budgetSeconds: number;
  readonly minRuns: number;
  readonly floorRuns: number;
  readonly naive: boolean;
  readonly naiveConcurrency: number;
  /**
   * The naive design costs exactly 2 requests and 1 message per event, so by default it runs on the first
   * this-many events and its counts are scaled (Infinity: the whole scenario).
   */
  readonly naiveSampleEvents: number;
}

export const DEFAULT_BENCH_OPTIONS: ScenarioBenchOptions = {
  warmups: 1,
  warmupFraction: 0.2,
  runs: 3,
  budgetSeconds: 90,
  minRuns: 2,
  floorRuns: 5,
  naive: true,
  naiveConcurrency: 8,
  naiveSampleEvents: 1_000,
};

function scaled(counts: DynamoCounts | SnsCounts, factor: number): typeof counts {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, k === 'clientCpuMs' ? v : Math.round((v as number) * factor)])) as typeof counts;
}

/** Figures of a design; counts are scaled to `scenarioEvents` when the passes covered fewer events. */
function figures(passes: readonly PassResult[], last: PassResult, scenarioEvents = last.events): DesignFigures {
  const events = last.events;
  const factor = scenarioEvents / events;
  return {
    eventsPerSec: summarize(passes.map((p) => (p.events * 1000) / p.wallMs)),
    cpuMsPer1k: summarize(passes.map((p) => perThousand(p.cpuMs, p.events))),
    dynamo: factor === 1 ? last.dynamo : (scaled(last.dynamo, factor) as DynamoCounts),
    sns: factor === 1 ? last.sns : (scaled(last.sns, factor) as SnsCounts),
    alerts: Math.round(last.sns.messages * factor),
    per1k: {
      dynamoRequests: perThousand(last.dynamo.reads + last.dynamo.writes, events),
      capacityUnits: perThousand(last.dynamo.readCapacity + last.dynamo.writeCapacity, events),
      snsCalls: perThousand(last.sns.calls, events),
      alerts: perThousand(last.sns.messages, events),
    },
  };
}

const countsKey = (p: OursPass) => JSON.stringify([p.dynamo.reads, p.dynamo.writes, p.sns.calls, p.sns.messages, p.invocations]);

/** Warm-up passes, measured passes of ours and of the floor, then (once: its counts do not vary) the naive design. */
export async function benchScenario(
  scenario: Scenario,
  newClient: () => DynamoDBClient,
  pipelines: Pipelines,
  options: ScenarioBenchOptions,
  onProgress: (message: string) => void = () => {},
): Promise<ScenarioResult> {
  const warmupInvocations = Math.max(1, Math.ceil(scenario.invocations.length * options.warmupFraction));
  for (let i = 0; i < options.warmups; i++) {
    await runOurs(scenario, newClient, pipelines, warmupInvocations);
    runFloor(scenario);
  }
  const ours: OursPass[] = [];
  const started = performance.now();
  for (let i = 0; i < options.runs; i++) {
    const spentMs = performance.now() - started;
    const perRunMs = i > 0 ? spentMs / i : 0;
    if (i >= options.minRuns && spentMs + perRunMs > options.budgetSeconds * 1000) break;
    ours.push(await runOurs(scenario, newClient, pipelines));
    onProgress(`${scenario.name}: ours run ${i + 1}/${options.runs} ${Math.round(ours[i].wallMs)} ms`);
  }
  const floor = Array.from({ length: options.floorRuns }, () => runFloor(scenario));
  const last = ours[ours.length - 1];
  const floorCpu = summarize(floor.map((f) => f.cpuMs)).median;
  const ioFloor: PassResult[] = [];
  if (hasIoFloor(scenario)) {
    for (let i = 0; i < options.warmups; i++) await runIoFloor(scenario, newClient, last.alertsPerInvocation);
    for (let i = 0; i < options.floorRuns; i++) ioFloor.push(await runIoFloor(scenario, newClient, last.alertsPerInvocation));
    onProgress(`${scenario.name}: I/O floor ${Math.round(summarize(ioFloor.map((f) => f.wallMs)).median)} ms`);
  }
  const ioFloorCpu = summarize(ioFloor.map((f) => f.cpuMs)).median;
  const rss = process.resourceUsage().maxRSS / 1024;
  const naive = options.naive ? await runNaive(scenario, newClient, options.naiveConcurrency, options.naiveSampleEvents) : undefined;
  if (naive) onProgress(`${scenario.name}: naive ${Math.round(naive.wallMs)} ms`);
  return {
    name: scenario.name,
    title: scenario.title,
    events: scenario.eventCount,
    invocations: scenario.invocations.length,
    ours: {
      ...figures(ours, last),
      failedInvocations: last.failedInvocations,
      invocations: last.invocations,
      redeliveredRecords: last.redeliveredRecords,
      groups: last.groups && scenario.expected ? { ...last.groups, expected: scenario.expected } : undefined,
      badRecords: last.telemetry.counters.BadRecords ?? 0,
      countsStable: new Set(ours.map(countsKey)).size === 1,
      largestItem: last.largestItem,
      sweptAlerts: last.sweptAlerts,
    },
    floor: { eventsPerSec: summarize(floor.map((f) => (f.events * 1000) / f.wallMs)), cpuMsPer1k: summarize(floor.map((f) => perThousand(f.cpuMs, f.events))) },
    cpuRatio: summarize(ours.map((o) => o.cpuMs / floorCpu)),
    ioFloor: ioFloor.length ? figures(ioFloor, ioFloor[ioFloor.length - 1]) : undefined,
    ioFloorRatio: ioFloor.length ? summarize(ours.map((o) => o.cpuMs / ioFloorCpu)) : undefined,
    naive: naive ? { ...figures([naive], naive, scenario.eventCount), measuredEvents: naive.events } : undefined,
    rssMb: { beforeMb: NaN, peakMb: rss },
  };
}
