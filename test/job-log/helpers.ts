import type { CloudWatchLogsLogEvent } from 'aws-lambda';
import { processLogsPayload, type JobLogReport } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { resolveSettings, type PipelineSettings } from '../../lambda/core/settings';
import type { StateStore } from '../../lambda/state/store';
import { keys } from '../../lambda/state/table';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { TOLD, unpackAccounts } from '../../lambda/state/run-accounts';
import { freshStore } from '../support/dynamodb';

export interface Harness {
  store: StateStore;
  publisher: RecordingPublisher;
  telemetry: RecordingTelemetry;
  deps: PipelineDeps;
  /** Sends one batch (a list of Macie events, or prepared log events) through processLogsPayload. */
  send(batch: readonly (Record<string, unknown> | string | CloudWatchLogsLogEvent)[]): Promise<JobLogReport>;
  run(jobId: string, runDate: string): Promise<Record<string, unknown> | undefined>;
  job(jobId: string): Promise<Record<string, unknown> | undefined>;
}

export function isLogEvent(x: unknown): x is CloudWatchLogsLogEvent {
  return typeof x === 'object' && x !== null && 'id' in x && 'message' in x && 'timestamp' in x;
}

export function toLogEvents(batch: readonly (Record<string, unknown> | string | CloudWatchLogsLogEvent)[]): CloudWatchLogsLogEvent[] {
  return batch.map((m) => (isLogEvent(m) ? m : logEvent(m)));
}

export async function harness(settings: Partial<PipelineSettings> = {}, store?: StateStore, more: Pick<PipelineDeps, 'silences'> = {}): Promise<Harness> {
  const s = store ?? (await freshStore());
  const publisher = new RecordingPublisher();
  const telemetry = new RecordingTelemetry();
  // TTLs use the wall clock (an event-time TTL would read as expired); grouping uses event time only.
  const deps: PipelineDeps = {
    store: s,
    publisher,
    telemetry,
    settings: { ...resolveSettings(), ...settings },
    region: 'eu-west-1',
    now: () => new Date(),
    ...more,
  };
  return {
    store: s,
    publisher,
    telemetry,
    deps,
    send: (batch) => processLogsPayload(logsPayload(toLogEvents(batch)), deps),
    run: (jobId, runDate) => s.get(keys.run(jobId, runDate)),
    job: (jobId) => s.get(keys.job(jobId)),
  };
}

/** The run's facts: what must not depend on arrival order (alert bookkeeping, version, TTL excluded). */
export function runFacts(item: Record<string, unknown> | undefined) {
  if (!item) return undefined;
  const groups = Object.fromEntries(
    Object.entries((item.groups ?? {}) as Record<string, { count: number; firstAt: string; lastAt: string }>).map(([k, g]) => [
      k,
      { count: g.count, firstAt: g.firstAt, lastAt: g.lastAt },
    ]),
  );
  const {
    status,
    statusAt,
    statusEvent,
    startedAt,
    endedAt,
    lastEventAt,
    bucketsMatched,
    errors,
    affected,
    accountTypes,
    pausedBy,
    pausedAt,
    noBucketsAt,
    gsi1pk,
    gsi1sk,
    statusEvents,
  } = item;
  // Whether an account error was told depends on how the events were cut into batches; which errors named the account does not.
  const accounts = Object.fromEntries([...unpackAccounts(item).flags].map(([a, f]) => [a, f & ~TOLD]));
  return {
    status,
    statusAt,
    statusEvent,
    startedAt,
    endedAt,
    lastEventAt,
    bucketsMatched,
    errors,
    affected,
    accounts,
    accountTypes,
    pausedBy,
    pausedAt,
    noBucketsAt,
    gsi1pk,
    gsi1sk,
    statusEvents,
    groups,
  };
}
