import type { Alert } from '../core/alert';
import type { BatchReport, RecordReport } from '../core/event-report';
import type { PipelineDeps } from '../pipeline-deps';
import { silenceSource } from '../silences/cache';
import { silencer, type SilenceSubject } from '../silences/silence';
import type { BatchEvent, Target } from './aggregate';
import { applyBatchOnce, type AppliedBatch } from './apply-batch-once';
import type { AttemptReads } from './attempt-reads';
import { decodeRecords, type ExpectedEvents } from './sqs-records';

/**
 * One SQS batch of EventBridge events through one pipeline (findings, API calls): decode each record, let the
 * pipeline say what each valid event is, apply the batch exactly once, and report per record. The records in
 * `batchItemFailures` are those whose aggregate could not be written; bad, ignored, duplicate and
 * applied records are not, unless their aggregate's alerts could not be published: SQS's redelivery of such a
 * record is the retry of that publish (the record, applied before, changes nothing then), within the
 * queue's visibility timeout rather than at the next sweep.
 *
 * Powertools' batch utility (BatchProcessor, processPartialResponse) is not used: it hands each record to a
 * handler of its own and reports the records whose handler threw, which fits independent records. Here a
 * record is folded with the others of its aggregate and written in the same transaction as they are, so
 * whether it failed is its transaction's outcome, known only once the batch is written; the response is
 * built from that, and the utility would add a dependency without taking any of this work.
 */
export interface EventPipeline<T, E> {
  readonly expected: ExpectedEvents<T>;
  /** The pipeline name recorded on the markers: finding, api-call. */
  readonly kind: string;
  /**
   * A valid event: what it is to the pipeline (its key and decoded form), or the report of an event it leaves
   * alone (ignored, below the threshold), already logged and counted.
   */
  classify(event: T, messageId: string): { readonly key: string; readonly event: E } | RecordReport;
  route(events: readonly BatchEvent<E>[], reads: AttemptReads): Promise<readonly Target<E>[]>;
  /** What silences are asked about an event (lambda/silences): its type, time, job, bucket and account. */
  subject(event: E): SilenceSubject;
  /** Counts what the batch applied (its metrics by dimension): each event once, never its redeliveries. */
  countApplied?(applied: readonly E[], created: readonly Alert[]): void;
}

export async function processEventBatch<T extends { readonly id: string; readonly source: string; readonly 'detail-type': string }, E>(
  batch: unknown,
  deps: PipelineDeps,
  pipeline: EventPipeline<T, E>,
): Promise<BatchReport> {
  const decoded = decodeRecords(batch, pipeline.expected, deps.telemetry);
  // Several records may carry one event (an EventBridge duplicate, the same finding twice): it is applied
  // once, and the records after the first are duplicates of it.
  const events = new Map<string, BatchEvent<E>>();
  const classified = decoded.map((record): RecordReport | { messageId: string; eventId: string; key: string } => {
    if ('outcome' in record) return record;
    const { messageId, event } = record;
    const c = pipeline.classify(event, messageId);
    if ('outcome' in c) return c;
    if (!events.has(c.key)) events.set(c.key, { key: c.key, eventId: event.id, event: c.event });
    return { messageId, eventId: event.id, key: c.key };
  });

  let applied: AppliedBatch | undefined;
  if (events.size > 0) {
    // Once per batch, through the per-container cache (at most one Query a minute).
    const silenceOf = silencer(await silenceSource(deps).list());
    applied = await applyBatchOnce(deps, {
      kind: pipeline.kind,
      events: [...events.values()],
      route: (e, reads) => pipeline.route(e, reads),
      silenceOf: (event) => {
        const subject = pipeline.subject(event);
        const silence = silenceOf(subject);
        return silence && { silence, what: subject.type };
      },
    });
  }
  if (applied) {
    const done = [...events.values()].filter((e) => ['alerted', 'grouped', 'silenced'].includes(applied.results.get(e.key)?.outcome ?? ''));
    pipeline.countApplied?.(
      done.map((e) => e.event),
      applied.created,
    );
  }
  const carrier = new Map<string, string>();
  let twins = 0;
  const records = classified.map((r): RecordReport => {
    if ('outcome' in r) return r;
    const first = carrier.get(r.key);
    // The event's outcome belongs to its first record; a retry of that one is enough for all of them.
    if (first !== undefined && first !== r.messageId) {
      twins++;
      return { messageId: r.messageId, eventId: r.eventId, outcome: 'duplicate', reason: `the same event as record ${first} of this batch` };
    }
    carrier.set(r.key, r.messageId);
    const result = applied?.results.get(r.key) ?? { outcome: 'failed' as const, reason: 'not applied' };
    return { messageId: r.messageId, eventId: r.eventId, outcome: result.outcome, reason: result.reason };
  });
  if (twins > 0) deps.telemetry.count('EventsDuplicate', twins);
  const failed = records.filter((r) => r.outcome === 'failed');
  const held = records.filter((r) => r.outcome === 'held');
  if (held.length > 0) {
    deps.telemetry.info(`${pipeline.kind} records held back: SQS delivers them again`, {
      messageIds: held.map((r) => r.messageId).slice(0, 20),
      reasons: [...new Set(held.map((r) => r.reason))].slice(0, 5),
    });
  }
  const undelivered = classified.filter(
    (r): r is { messageId: string; eventId: string; key: string } => !('outcome' in r) && !!applied?.undelivered.has(r.key),
  );
  const batchItemFailures = [...new Set([...failed, ...undelivered, ...held].map((r) => r.messageId))].map((itemIdentifier) => ({ itemIdentifier }));
  if (batchItemFailures.length > 0) deps.telemetry.count('RecordsRetried', batchItemFailures.length);
  if (failed.length + undelivered.length > 0) {
    deps.telemetry.warn(`${pipeline.kind} records not applied, or their alerts not published: SQS delivers them again`, {
      messageIds: [...new Set([...failed, ...undelivered].map((r) => r.messageId))],
      reasons: [...new Set([...failed.map((r) => r.reason), ...(undelivered.length > 0 ? ['alerts not published'] : [])])].slice(0, 5),
    });
  }
  return { batchItemFailures, records, created: applied?.created ?? [], published: applied?.published ?? [] };
}
