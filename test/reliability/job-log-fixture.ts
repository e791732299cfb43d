import type { CloudWatchLogsEvent } from 'aws-lambda';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import type { AlertPublisher } from '../../lambda/delivery/publisher';
import { DEFAULT_SETTINGS } from '../../lambda/core/settings';
import type { Item, StateStore } from '../../lambda/state/store';
import { keys } from '../../lambda/state/table';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { logEvent, logsPayload, subscriptionEvent } from '../support/cloudwatch';

/** One job run whose batch raises 12 alerts (two PublishBatch calls): enough to fault every step. */
export const JOB_ID = '85a55dc0fa6ed0be5939d0408example';
export const RUN_DATE = '2024-04-14T17:08:30.345809Z';
export const NOW = new Date('2024-04-14T18:00:00.000Z');
export const RUN_KEY = keys.run(JOB_ID, RUN_DATE);

export function jobEvent(eventType: string, minute: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    adminAccountId: '123456789012',
    jobId: JOB_ID,
    eventType,
    occurredAt: `2024-04-14T17:${String(10 + minute).padStart(2, '0')}:30.574809Z`,
    description: `Macie reported ${eventType}.`,
    jobName: 'My_Macie_Job',
    runDate: RUN_DATE,
    ...extra,
  };
}

const ACCOUNT_ERRORS = ['ACCOUNT_ACCESS_DENIED', 'ACCOUNT_SUSPENDED', 'ACCOUNT_DISABLED', 'ACCOUNT_ISOLATED'];
const BUCKET_ERRORS = ['BUCKET_ACCESS_DENIED', 'BUCKET_OWNER_CHANGED', 'BUCKET_IN_DIFFERENT_REGION', 'BUCKET_DETAILS_UNAVAILABLE', 'BUCKET_DOES_NOT_EXIST'];
const FUTURE_TYPES = ['BUCKET_QUANTUM_ENTANGLED', 'ACCOUNT_ON_VACATION', 'JOB_PONDERING'];

/** Macie events of one run: a start, matches, and errors of 12 groups (some groups with several events). */
export function runEvents(): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [jobEvent('ONE_TIME_JOB_STARTED', 0, { runDate: RUN_DATE })];
  for (let i = 0; i < 3; i++)
    events.push(
      jobEvent('BUCKET_MATCHED_THE_CRITERIA', 1, { affectedAccount: '222233334444', affectedResource: { type: 'S3_BUCKET_NAME', value: `matched-${i}` } }),
    );
  for (const [i, t] of ACCOUNT_ERRORS.entries()) events.push(jobEvent(t, 2 + i, { affectedAccount: '111122223333' }));
  BUCKET_ERRORS.forEach((t, i) => {
    for (let k = 0; k < 2; k++) {
      events.push(
        jobEvent(t, 6 + i, {
          affectedAccount: '222233334444',
          operation: 'ListObjectsV2',
          affectedResource: { type: 'S3_BUCKET_NAME', value: `bucket-${i}-${k}` },
        }),
      );
    }
  });
  for (const [i, t] of FUTURE_TYPES.entries()) events.push(jobEvent(t, 12 + i, { affectedAccount: '222233334444' }));
  return events;
}

/** The subscription event Lambda receives, with fixed log event ids so a retry carries the same batch. */
export function runBatch(events = runEvents(), idPrefix = 'b'): CloudWatchLogsEvent {
  return subscriptionEvent(
    logsPayload(
      events.map((e, i) => logEvent(e, { id: `${idPrefix}${String(i).padStart(50, '0')}` })),
      { logStream: JOB_ID },
    ),
  );
}

export function pipelineDeps(
  store: StateStore,
  publisher: AlertPublisher,
  extra: Partial<PipelineDeps> = {},
): PipelineDeps & { telemetry: RecordingTelemetry } {
  return {
    store,
    publisher,
    settings: DEFAULT_SETTINGS,
    telemetry: new RecordingTelemetry(),
    region: 'us-east-1',
    now: () => NOW,
    ...extra,
  } as PipelineDeps & { telemetry: RecordingTelemetry };
}

/**
 * The run item as a fault-free run would leave it, minus what legitimately differs between attempts: the
 * version (every write bumps it), the TTL, and the order of applied batch keys.
 */
export function comparableRun(item: Item | undefined): Item | undefined {
  if (!item) return undefined;
  const { version: _v, expiresAt: _e, appliedBatches, ...rest } = item;
  return { ...rest, appliedBatches: Array.isArray(appliedBatches) ? [...appliedBatches].sort() : appliedBatches };
}
