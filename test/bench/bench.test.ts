import { runContention } from '../../bench/contention';
import { resolve } from 'node:path';
import { benchCold, buildColdBundles, runColdContainer, type ColdBundles } from '../../bench/cold-container';
import { decodeFloor } from '../../bench/floor';
import { hasIoFloor, runFloor, runIoFloor, runNaive, runOurs } from '../../bench/measure';
import { ourPipelines } from '../../bench/pipelines';
import { summarizeProfiles } from '../../bench/profile';
import { benchScenario, DEFAULT_BENCH_OPTIONS } from '../../bench/scenario-bench';
import {
  allScenarios,
  fleetScenario,
  findingsScenario,
  orgScenario,
  replayScenario,
  scenarioNamed,
  SCENARIO_NAMES,
  stormScenario,
  type ScenarioSizes,
} from '../../bench/scenarios';
import { decodeLogs } from '../../bench/floor';
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
  orgDeniedAccounts: 15,
  orgBucketAccounts: 12,
  orgBucketEvents: 24,
  orgFindings: 30,
  orgFindingBuckets: 8,
};

describe('scenario generators', () => {
  it('are deterministic for a seed and differ between seeds', () => {
    const a = allScenarios(7, TINY);
    const b = allScenarios(7, TINY);
    const c = allScenarios(8, TINY);
    expect(JSON.stringify(a)).toEqual(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toEqual(JSON.stringify(c));
  });

  it('build the shapes of issue 7 (start + batches + completion; one batch per job) and SQS batches of findings', () => {
    const storm = stormScenario(7, TINY);
    expect(storm.invocations).toHaveLength(1 + 40 / 10 + 1);
    expect(storm.eventCount).toBe(42);
    expect(replayScenario(7, TINY).eventCount).toBe(84);
    const fleet = fleetScenario(7, TINY);
    expect(fleet.invocations).toHaveLength(3);
    for (const inv of fleet.invocations) expect(inv.events).toBeGreaterThanOrEqual(1 + 4 + 1);
    const findings = findingsScenario(7, TINY);
    expect(findings.invocations.every((inv) => inv.kind === 'findings' && inv.events >= 1 && inv.events <= 100)).toBe(true);
    // The 12 findings arrive within one batching window: one batch; the policy findings recur 15 minutes apart.
    expect(findings.invocations[0].events).toBeGreaterThanOrEqual(12);
    expect(findings.eventCount).toBeGreaterThanOrEqual(12 + 3);
    expect(findings.expected).toMatchObject({ sensitiveFindings: 12, policyFindings: 3 });
  });

  it('build the org run: its start, log batches and findings batches interleaved by time, its end, then a sweep', () => {
    const org = orgScenario(7, TINY);
    expect(scenarioNamed('org', 7, TINY)).toEqual(org);
    expect(SCENARIO_NAMES).toContain('org');
    const logs = org.invocations.filter((inv) => inv.kind === 'logs');
    const findings = org.invocations.filter((inv) => inv.kind === 'findings');
    expect(org.invocations[0]).toMatchObject({ kind: 'logs', events: 1 });
    expect(org.invocations.at(-1)).toMatchObject({ kind: 'logs', events: 1 });
    // 15 accounts denied and 24 bucket events, in batches of 10, between the start and the end.
    expect(logs.map((inv) => inv.events)).toEqual([1, 10, 10, 10, 9, 1]);
    expect(findings.reduce((n, inv) => n + inv.events, 0)).toBe(30);
    expect(org.eventCount).toBe(1 + 15 + 24 + 1 + 30);
    expect(org.sweepAndScan).toBe(true);
    expect(org.expected).toMatchObject({ sensitiveFindings: 30, policyFindings: 0 });
    // Every finding bucket has at least one finding: one group per (bucket, type), so at least 8.
    expect(org.expected!.sensitiveGroups).toBeGreaterThanOrEqual(8);
    expect(logs.every((inv) => inv.kind === 'logs' && decodeLogs(inv.event).logStream === org.expected!.jobId)).toBe(true);
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
    // Confirmed delivery: the state write claims a batch's first chunk at birth, so each published chunk
    // costs the settle alone, as many writes as the claim-only outbox had.
    expect(storm.dynamo.deliveryWrites).toBe(storm.sns.calls);

    const replay = await runOurs(replayScenario(7, TINY), testDynamoClient, ourPipelines);
    expect(replay.failedInvocations).toBe(0);
    expect(replay.sns.messages).toBe(storm.sns.messages);
  });

  it('ours, org run: every finding counted once, a handful of alerts after the sweep, the largest item scanned', async () => {
    const org = orgScenario(7, TINY);
    const result = await benchScenario(org, testDynamoClient, ourPipelines, { ...DEFAULT_BENCH_OPTIONS, runs: 2, floorRuns: 1, naiveSampleEvents: 5 });
    expect(result.ours.failedInvocations).toBe(0);
    expect(result.ours.badRecords).toBe(0);
    // The sweep is an invocation of its own.
    expect(result.ours.invocations).toBe(org.invocations.length + 1);
    expect(result.ours.groups).toMatchObject({ counted: 30, groups: org.expected!.sensitiveGroups });
    // The first finding of each type at once, its other buckets rolled up by the sweep, and the run's summary.
    expect(result.ours.alerts).toBeGreaterThan(org.expected!.sensitiveTypes + 1);
    // The roll-ups are the sweep's: at most one per type.
    expect(result.ours.sweptAlerts).toBeGreaterThan(0);
    expect(result.ours.sweptAlerts).toBeLessThanOrEqual(org.expected!.sensitiveTypes);
    expect(result.ours.alerts).toBeLessThanOrEqual(25);
    expect(result.ours.alerts).toBeLessThan(org.expected!.sensitiveGroups + 1);
    const item = result.ours.largestItem!;
    expect(item.items).toBeGreaterThan(org.expected!.sensitiveGroups);
    expect(item.bytes).toBeGreaterThan(0);
    expect(item.bytes).toBeLessThan(100 * 1024);
    expect(result.naive?.alerts).toBe(org.eventCount);
    expect(result.ioFloor).toBeUndefined();
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
    expect(result.ours.redeliveredRecords).toBe(0);
    expect(result.ours.invocations).toBe(findings.invocations.length);
    // Exactly once: every finding counted in its group; one alert per finding type at once (the sweeper names
    // the type's other buckets in its roll-up) and per policy finding.
    expect(result.ours.groups).toMatchObject({ counted: 12, groups: findings.expected!.sensitiveGroups });
    expect(result.ours.alerts).toBe(findings.expected!.sensitiveTypes + findings.expected!.policyFindings);
    expect(findings.expected!.sensitiveTypes).toBeLessThan(findings.expected!.sensitiveGroups);
    expect(result.ours.countsStable).toBe(true);
    expect(result.ours.eventsPerSec.runs).toBe(2);
    expect(result.ours.alerts).toBeLessThan(findings.eventCount);
    // The naive design runs whole invocations until it has seen the sample: here the first batch.
    expect(result.naive?.measuredEvents).toBe(findings.invocations[0].events);
    expect(result.naive?.alerts).toBe(findings.eventCount);
    expect(result.naive?.per1k.dynamoRequests).toBe(2000);
  });
});

describe('contention: batches of the same groups at once', () => {
  it('loses no finding and counts none twice; each group alerts once', async () => {
    const result = await runContention(testDynamoClient, ourPipelines, { runs: 1, concurrency: 4, batches: 4, batchSize: 20, buckets: 1, seed: 7 });
    const [run] = result.runs;
    expect(run.findings).toBe(80);
    expect(run.lost).toBe(0);
    expect(run.doubleCounted).toBe(0);
    expect(run.deadLettered).toBe(0);
    expect(run.groups).toBeGreaterThan(1);
    expect(run.alerts).toBe(run.groups);
  }, 120_000);
});

describe('the I/O floor', () => {
  it('makes one GetItem and one PutItem per subscription batch and one PublishBatch per alert it is given', async () => {
    const storm = stormScenario(7, TINY);
    const alerts = storm.invocations.map((_, i) => (i === 1 ? 2 : i === storm.invocations.length - 1 ? 1 : 0));
    const floor = await runIoFloor(storm, testDynamoClient, alerts);
    expect(floor.events).toBe(storm.eventCount);
    expect([floor.dynamo.reads, floor.dynamo.writes, floor.dynamo.other]).toEqual([storm.invocations.length, storm.invocations.length, 0]);
    expect([floor.sns.calls, floor.sns.messages]).toEqual([3, 3]);
  });

  it('publishes what ours published, batch by batch, when benchScenario runs it', async () => {
    const storm = stormScenario(7, TINY);
    const ours = await runOurs(storm, testDynamoClient, ourPipelines);
    expect(ours.alertsPerInvocation).toHaveLength(storm.invocations.length);
    expect(ours.alertsPerInvocation.reduce((s, n) => s + n, 0)).toBe(ours.sns.messages);
    const result = await benchScenario(storm, testDynamoClient, ourPipelines, { ...DEFAULT_BENCH_OPTIONS, runs: 2, floorRuns: 2, naive: false });
    expect(result.ioFloor?.sns.messages).toBe(ours.sns.messages);
    expect(result.ioFloor?.dynamo.reads).toBe(storm.invocations.length);
    expect(result.ioFloorRatio?.runs).toBe(2);
  });

  it('has no figures for the findings scenario (EventBridge events, not subscription batches)', async () => {
    const findings = findingsScenario(7, TINY);
    expect(hasIoFloor(findings)).toBe(false);
    await expect(runIoFloor(findings, testDynamoClient, [])).rejects.toThrow(/subscription batches/);
  });
});

describe('cold containers', () => {
  let bundles: ColdBundles;
  beforeAll(async () => {
    bundles = await buildColdBundles(resolve(__dirname, '..', '..'));
  });
  afterAll(() => bundles?.remove());

  it('run the deployed job-log handler and the I/O floor in fresh processes, with the same alerts as a warm pass', async () => {
    const storm = stormScenario(7, TINY);
    const endpoint = process.env.TEST_DYNAMODB_ENDPOINT!;
    const warm = await runOurs(storm, testDynamoClient, ourPipelines);
    const options = { repoRoot: resolve(__dirname, '..', '..'), endpoint, bundles };
    const ours = await runColdContainer(storm, bundles.ours, options);
    expect(ours.failedInvocations).toBe(0);
    expect(ours.invocationCpuMs).toHaveLength(storm.invocations.length);
    expect(ours.alertsPerInvocation).toEqual(warm.alertsPerInvocation);
    const floor = await runColdContainer(storm, bundles.ioFloor, options, ours.alertsPerInvocation);
    expect(floor.failedInvocations).toBe(0);
    expect(floor.alertsPerInvocation).toEqual(ours.alertsPerInvocation);

    const figures = await benchCold(storm, { ...options, runs: 1 });
    expect(figures.ours.alerts).toBe(warm.sns.messages);
    expect(figures.ioFloor.alerts).toBe(warm.sns.messages);
    expect(figures.ratio.runs).toBe(1);
  });
});

describe('bench:profile summaries', () => {
  const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
  it('attribute self time to functions and modules (npm package, project file, node), idle apart, averaged over profiles', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('(garbage collector)') },
        { id: 4, callFrame: frame('parse', 'file:///x/node_modules/zod/v4/core/schemas.js') },
        { id: 5, callFrame: frame('reduceRun', 'file:///x/lambda/job-log/run-state.ts') },
        { id: 6, callFrame: frame('writev', 'node:internal/fs/streams') },
      ],
      samples: [2, 3, 4, 4, 5, 5, 5, 6],
      timeDeltas: [5000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
    };
    const summary = summarizeProfiles([profile, profile]);
    expect(summary.idleMs).toBe(5);
    expect(summary.cpuMs).toBe(7);
    expect(summary.byModule.map((m) => [m.name, m.selfMs])).toEqual([
      ['lambda/job-log/run-state.ts', 3],
      ['zod', 2],
      ['(garbage collector)', 1],
      ['node:internal/fs/streams', 1],
    ]);
    expect(summary.byFunction[0]).toEqual({ name: 'reduceRun lambda/job-log/run-state.ts:1', selfMs: 3, share: 3 / 7 });
  });
});
