import type { SQSEvent } from 'aws-lambda';
import type { BatchReport } from '../../lambda/core/event-report';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import type { ReplayUnit } from '../../src/cli/inputs';
import { replayUnits, type Pipelines } from '../../src/cli/replay';

/** How the replay hands EventBridge events to the SQS-shaped pipelines: batches, redeliveries, the DLQ. */
const finding = (line: number, id = `e-${line}`): ReplayUnit => ({
  kind: 'finding',
  event: { id, 'detail-type': 'Macie Finding', source: 'aws.macie', account: '1', time: 't', region: 'r', detail: {} },
  origin: { file: 'in.jsonl', line },
});
const apiCall = (line: number): ReplayUnit => ({ ...(finding(line) as Extract<ReplayUnit, { kind: 'finding' }>), kind: 'api-call' });
const health = (line: number): ReplayUnit => ({ ...(finding(line) as Extract<ReplayUnit, { kind: 'finding' }>), kind: 'health' });
const logs = (line: number): ReplayUnit => ({
  kind: 'logs-payload',
  payload: { messageType: 'DATA_MESSAGE', owner: '1', logGroup: 'g', logStream: 's', subscriptionFilters: [], logEvents: [] },
  origin: { file: 'in.jsonl', line },
});

/** Fails the records whose event id is in `failing` (each that many times), applies the rest. */
function fakePipelines(failing: Record<string, number>, batches: string[][]): Pipelines {
  const attempts = new Map<string, number>();
  const batch = async (event: SQSEvent): Promise<BatchReport> => {
    const ids = event.Records.map((r) => (JSON.parse(r.body) as { id: string }).id);
    batches.push(ids);
    const records = event.Records.map((r, i) => {
      const seen = (attempts.get(ids[i]) ?? 0) + 1;
      attempts.set(ids[i], seen);
      return {
        messageId: r.messageId,
        eventId: ids[i],
        outcome: seen <= (failing[ids[i]] ?? 0) ? ('failed' as const) : ('grouped' as const),
        reason: 'lost its write condition',
      };
    });
    return {
      batchItemFailures: records.filter((r) => r.outcome === 'failed').map((r) => ({ itemIdentifier: r.messageId })),
      records,
      created: [],
      published: [],
    };
  };
  return { subscriptionEvent: async () => ({}), logsPayload: async () => ({ events: 0 }), findingBatch: batch, apiCallBatch: batch, healthBatch: batch };
}

const deps = () => ({ telemetry: new RecordingTelemetry() }) as unknown as PipelineDeps & { telemetry: RecordingTelemetry };

test('consecutive events of one kind become batches of up to the batch size; another kind or a job log payload closes the batch', async () => {
  const batches: string[][] = [];
  const units = [finding(1), finding(2), finding(3), finding(4), finding(5), apiCall(6), apiCall(7), logs(8), finding(9), health(10), health(11)];
  const tally = await replayUnits(units, deps(), fakePipelines({}, batches), { findingsBatchSize: 2, apiCallsBatchSize: 10 });
  expect(batches).toEqual([['e-1', 'e-2'], ['e-3', 'e-4'], ['e-5'], ['e-6', 'e-7'], ['e-9'], ['e-10', 'e-11']]);
  expect(tally.events).toEqual({ findings: 6, apiCalls: 2, jobLogEvents: 0, healthEvents: 2 });
  expect(tally.outcomes).toEqual({ grouped: 10 });
  expect(tally.failures).toEqual([]);
});

test('records a batch could not apply come back, as SQS delivers them; after 5 receives they are reported where they came from', async () => {
  const batches: string[][] = [];
  const units = [finding(1), finding(2, 'flaky'), finding(3, 'stuck'), finding(4)];
  const tally = await replayUnits(units, deps(), fakePipelines({ flaky: 2, stuck: 99 }, batches), { findingsBatchSize: 10, apiCallsBatchSize: 10 });
  expect(batches).toEqual([['e-1', 'flaky', 'stuck', 'e-4'], ['flaky', 'stuck'], ['flaky', 'stuck'], ['stuck'], ['stuck']]);
  expect(tally.outcomes).toEqual({ grouped: 3 });
  expect(tally.failures).toEqual([
    { origin: { file: 'in.jsonl', line: 3 }, reason: 'the pipeline failed: not applied in 5 deliveries (lost its write condition)' },
  ]);
});
