import { decodeFloor } from '../../bench/floor';
import { runFloor, runNaive, runOurs } from '../../bench/measure';
import { ourPipelines } from '../../bench/pipelines';
import { benchScenario, DEFAULT_BENCH_OPTIONS } from '../../bench/scenario-bench';
import { allScenarios, fleetScenario, findingsScenario, replayScenario, stormScenario, type ScenarioSizes } from '../../bench/scenarios';
import { testDynamoClient } from '../support/dynamodb';

/**
 * Keeps `npm run bench` from rotting: a tiny version of each scenario through the same bench code. Asserts
 * counts only (events decoded, requests, alerts), never times.
 */
const TINY: ScenarioSizes = {
  stormEvents: 40,
  stormBuckets: 10,
  stormBatchSize: 10,
  fleetJobs: 3,
  fleetMatchedPerJob: 4,
  findings: 12,
  findingBuckets: 3,
  policyFindings: 3,
};

describe('scenario generators', () => {
  it('are deterministic for a seed and differ between seeds', () => {
    const a = allScenarios(7, TINY);
    const b = allScenarios(7, TINY);
    const c = allScenarios(8, TINY);
    expect(JSON.stringify(a)).toEqual(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toEqual(JSON.stringify(c));
  });

  it('build the shapes of issue 7 (start + batches + completion; one batch per job; one finding per invocation)', () => {
    const storm = stormScenario(7, TINY);
    expect(storm.invocations).toHaveLength(1 + 40 / 10 + 1);
    expect(storm.eventCount).toBe(42);
    expect(replayScenario(7, TINY).eventCount).toBe(84);
    const fleet = fleetScenario(7, TINY);
    expect(fleet.invocations).toHaveLength(3);
    for (const inv of fleet.invocations) expect(inv.events).toBeGreaterThanOrEqual(1 + 4 + 1);
    const findings = findingsScenario(7, TINY);
    expect(findings.invocations.every((inv) => inv.kind === 'finding' && inv.events === 1)).toBe(true);
    expect(findings.eventCount).toBeGreaterThanOrEqual(12 + 3);
  });

  it('decode through the floor to every event they claim to hold', () => {
    for (const scenario of allScenarios(7, TINY)) {
      const decoded = scenario.invocations.reduce((n, inv) => n + decodeFloor(inv), 0);
      expect(decoded).toBe(scenario.eventCount);
      expect(runFloor(scenario).events).toBe(scenario.eventCount);
    }
  });
});

describe('designs measured against DynamoDB Local', () => {
  it('naive: one read, one write and one SNS message per event, with capacity reported', async () => {
    const storm = stormScenario(7, TINY);
    const naive = await runNaive(storm, testDynamoClient);
    expect(naive.events).toBe(storm.eventCount);
    expect(naive.dynamo.reads).toBe(storm.eventCount);
    expect(naive.dynamo.writes).toBe(storm.eventCount);
    expect(naive.sns.messages).toBe(storm.eventCount);
    expect(naive.dynamo.unmetered).toBe(0);
    expect(naive.dynamo.readCapacity).toBeGreaterThan(0);
  });

  it('ours: the storm alerts a few times, in few writes, and its replay alerts nothing more', async () => {
    const storm = await runOurs(stormScenario(7, TINY), testDynamoClient, ourPipelines);
    expect(storm.failedInvocations).toBe(0);
    expect(storm.telemetry.counters.BadRecords ?? 0).toBe(0);
    expect(storm.sns.messages).toBeGreaterThanOrEqual(1);
    expect(storm.sns.messages).toBeLessThanOrEqual(3);
    expect(storm.dynamo.writes).toBeLessThanOrEqual(2 * stormScenario(7, TINY).invocations.length);
    expect(storm.dynamo.unmetered).toBe(0);
    // Confirmed delivery: a claim and a settle per published chunk, one write more than the claim alone.
    expect(storm.dynamo.deliveryWrites).toBe(2 * storm.sns.calls);

    const replay = await runOurs(replayScenario(7, TINY), testDynamoClient, ourPipelines);
    expect(replay.failedInvocations).toBe(0);
    expect(replay.sns.messages).toBe(storm.sns.messages);
  });

  it('benchScenario: figures per 1,000 events, naive counts scaled from its sample', async () => {
    const findings = findingsScenario(7, TINY);
    const result = await benchScenario(findings, testDynamoClient, ourPipelines, {
      ...DEFAULT_BENCH_OPTIONS,
      runs: 2,
      floorRuns: 2,
      naiveSampleEvents: 5,
    });
    expect(result.events).toBe(findings.eventCount);
    expect(result.ours.failedInvocations).toBe(0);
    expect(result.ours.countsStable).toBe(true);
    expect(result.ours.eventsPerSec.runs).toBe(2);
    expect(result.ours.alerts).toBeLessThan(findings.eventCount);
    expect(result.naive?.measuredEvents).toBe(5);
    expect(result.naive?.alerts).toBe(findings.eventCount);
    expect(result.naive?.per1k.dynamoRequests).toBe(2000);
  });
});
