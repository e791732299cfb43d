import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { deliverBatches, mappingBatches, type QueueMessage } from '../src/local/sqs-queue';
import { keys } from '../lambda/state/table';
import { oursDeps, type Pipelines } from './measure';
import { FULL_SIZES, findingsScenario } from './scenarios';

/**
 * Batches of the same findings groups applied at once, as the findings queue's event source mapping does
 * with MaximumConcurrency raised to 10: every invocation reads the same group items and races to write
 * them. What counts is that nothing is lost or counted twice, and how many records had to come back from
 * SQS because their group kept changing under them (the engine retries in-process first).
 */
export interface ContentionOptions {
  readonly runs: number;
  /** Invocations at once (the mapping's MaximumConcurrency). */
  readonly concurrency: number;
  readonly batches: number;
  readonly batchSize: number;
  /** Buckets the findings fall in; with Macie's 5 sensitive-data types, at most 5x as many groups. */
  readonly buckets: number;
  readonly seed: number;
}

export const DEFAULT_CONTENTION: ContentionOptions = { runs: 3, concurrency: 10, batches: 10, batchSize: 100, buckets: 2, seed: 7 };

export interface ContentionRun {
  readonly findings: number;
  readonly groups: number;
  /** Findings missing from their group's count, summed over groups. */
  readonly lost: number;
  /** Findings counted more than once, summed over groups. */
  readonly doubleCounted: number;
  readonly redelivered: number;
  readonly deadLettered: number;
  readonly invocations: number;
  /** SNS messages: one per group is right (the first finding of each). */
  readonly alerts: number;
  readonly dynamoRequests: number;
}

export interface ContentionResult {
  readonly options: ContentionOptions;
  readonly runs: readonly ContentionRun[];
}

export async function runContention(
  newClient: () => DynamoDBClient,
  pipelines: Pick<Pipelines, 'findings'>,
  options: ContentionOptions = DEFAULT_CONTENTION,
): Promise<ContentionResult> {
  const findings = options.batches * options.batchSize;
  const scenario = findingsScenario(options.seed, { ...FULL_SIZES, findings, findingBuckets: options.buckets, policyFindings: 0 });
  const jobId = scenario.expected!.jobId;
  const messages: QueueMessage[] = scenario.invocations.flatMap((inv) =>
    (JSON.parse((inv as { raw: string }).raw) as SQSEvent).Records.map((r) => ({ messageId: r.messageId, body: r.body })),
  );
  const expected = new Map<string, number>();
  for (const m of messages) {
    const { detail } = JSON.parse(m.body) as { detail: { type: string; resourcesAffected: { s3Bucket: { name: string } } } };
    const group = `${detail.resourcesAffected.s3Bucket.name}#${detail.type}`;
    expected.set(group, (expected.get(group) ?? 0) + 1);
  }

  const runs: ContentionRun[] = [];
  for (let i = 0; i < options.runs; i++) {
    const { client, deps, metered, sns } = await oursDeps(newClient);
    const queue = await deliverBatches(mappingBatches(messages, options.batchSize), (event) => pipelines.findings(event, deps), {
      batchSize: options.batchSize,
      concurrency: options.concurrency,
    });
    const requests = metered.reads + metered.writes;
    const items = await deps.store.listPrefix(keys.job(jobId).pk, 'FGROUP#');
    let lost = 0;
    let doubleCounted = 0;
    for (const [group, want] of expected) {
      const item = items.find((g) => `${g.bucket}#${g.findingType}` === group);
      const got = typeof item?.count === 'number' ? item.count : 0;
      lost += Math.max(0, want - got);
      doubleCounted += Math.max(0, got - want);
    }
    client.destroy();
    runs.push({
      findings,
      groups: items.length,
      lost,
      doubleCounted,
      redelivered: queue.redelivered,
      deadLettered: queue.deadLettered.length,
      invocations: queue.invocations,
      alerts: sns.messages,
      dynamoRequests: requests,
    });
  }
  return { options, runs };
}
