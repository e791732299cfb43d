import { createHash } from 'node:crypto';
import {
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  type PublishBatchResponse,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { Alert } from '../core/alert';
import type { AlertPublisher, PublishFailure } from './publisher';
import { buildSnsMessage } from './sns-message';
import type { Telemetry } from '../core/telemetry';

/** SNS limits for one PublishBatch call. */
export const BATCH_MAX_ENTRIES = 10;
export const BATCH_MAX_BYTES = 256 * 1024;

export interface SnsAlertPublisherOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
  readonly telemetry?: Telemetry;
  /** Injected in tests so retries do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Attempts per entry, the first one included (default 4). */
  readonly maxAttempts?: number;
  /** Backoff: full jitter over min(maxDelayMs, baseDelayMs * 2^(attempt-1)). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Injected in tests to make the jitter deterministic. */
  readonly random?: () => number;
}

interface Pending {
  readonly alert: Alert;
  readonly entry: PublishBatchRequestEntry;
  readonly bytes: number;
}

/**
 * Publishes alerts with PublishBatch (10 entries and 256 KB per call). Per-entry failures (`Failed` in an
 * HTTP 200) and whole-call errors that can pass (throttling, 5xx, network) are retried with exponential
 * backoff and full jitter; an entry SNS refuses for a reason that will not change (SenderFault, not
 * throttling) is returned at once. Whatever still fails is returned in `failed`, never thrown and never
 * dropped, so the outbox (outbox.ts) releases exactly those alerts for a later retry.
 * The SDK client retries throttled calls on its own as well; this loop adds per-entry retries the SDK
 * cannot do, and a longer, jittered backoff.
 */
export class SnsAlertPublisher implements AlertPublisher {
  private readonly client: SNSClient;
  private readonly topicArn: string;
  private readonly telemetry?: Telemetry;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(options: SnsAlertPublisherOptions) {
    this.client = options.client;
    this.topicArn = options.topicArn;
    this.telemetry = options.telemetry;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
    this.random = options.random ?? Math.random;
  }

  async publish(alerts: readonly Alert[]): Promise<{ readonly failed: readonly PublishFailure[] }> {
    const failed: PublishFailure[] = [];
    const fail = (alertId: string, reason: string) => {
      failed.push({ alertId, reason });
      this.telemetry?.warn('alert not published', { alertId, reason });
      this.telemetry?.count('PublishFailures');
    };

    const pending: Pending[] = [];
    const seen = new Set<string>();
    const usedEntryIds = new Set<string>();
    for (const alert of alerts) {
      // The same alert twice in one call would reach subscribers twice: publish it once.
      if (seen.has(alert.id)) {
        this.telemetry?.warn('duplicate alert in one publish call, sent once', { alertId: alert.id });
        continue;
      }
      seen.add(alert.id);
      let message;
      try {
        message = buildSnsMessage(alert);
      } catch (error) {
        fail(alert.id, `could not render: ${errorText(error)}`);
        continue;
      }
      const entry: PublishBatchRequestEntry = { Id: batchEntryId(alert.id, usedEntryIds), ...message };
      usedEntryIds.add(entry.Id!);
      const bytes = entryBytes(entry);
      if (bytes > BATCH_MAX_BYTES) {
        fail(alert.id, `message is ${bytes} bytes, over the SNS limit of ${BATCH_MAX_BYTES}`);
        continue;
      }
      pending.push({ alert, entry, bytes });
    }

    for (const chunk of chunkEntries(pending)) {
      for (const failure of await this.publishChunk(chunk)) fail(failure.alertId, failure.reason);
    }
    const failedIds = new Set(failed.map((f) => f.alertId));
    for (const { alert } of pending) {
      if (failedIds.has(alert.id)) continue;
      this.telemetry?.countBy('AlertsBySeverity', alert.severity);
      this.telemetry?.countBy('AlertsByCategory', alert.category);
    }
    return { failed };
  }

  /** One chunk until every entry succeeded, failed for good, or ran out of attempts. */
  private async publishChunk(chunk: readonly Pending[]): Promise<PublishFailure[]> {
    const permanent: PublishFailure[] = [];
    let remaining = [...chunk];
    let lastReason = new Map<string, string>();
    for (let attempt = 1; remaining.length > 0; attempt++) {
      if (attempt > 1) await this.sleep(this.backoff(attempt - 1));
      const byEntryId = new Map(remaining.map((p) => [p.entry.Id!, p]));
      let response: PublishBatchResponse;
      try {
        response = await this.client.send(
          new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: remaining.map((p) => p.entry) }),
        );
      } catch (error) {
        const reason = `PublishBatch failed: ${errorText(error)}`;
        if (!isRetryableError(error)) return [...permanent, ...remaining.map((p) => ({ alertId: p.alert.id, reason }))];
        lastReason = new Map(remaining.map((p) => [p.alert.id, reason]));
        if (attempt >= this.maxAttempts) break;
        this.telemetry?.info('PublishBatch call failed, retrying', { attempt, reason, entries: remaining.length });
        continue;
      }

      const succeeded = new Set((response.Successful ?? []).map((s) => s.Id));
      const retry: Pending[] = [];
      lastReason = new Map();
      for (const failure of response.Failed ?? []) {
        const p = failure.Id !== undefined ? byEntryId.get(failure.Id) : undefined;
        if (!p || succeeded.has(failure.Id)) continue;
        const reason = `${failure.Code ?? 'Unknown'}${failure.SenderFault ? ' (sender fault)' : ''}: ${failure.Message ?? 'no message'}`;
        byEntryId.delete(failure.Id!);
        if (failure.SenderFault && !isThrottlingCode(failure.Code)) {
          permanent.push({ alertId: p.alert.id, reason });
          continue;
        }
        retry.push(p);
        lastReason.set(p.alert.id, reason);
      }
      // An entry SNS neither accepted nor rejected has not been sent as far as we know: retry it.
      for (const [id, p] of byEntryId) {
        if (succeeded.has(id)) continue;
        retry.push(p);
        lastReason.set(p.alert.id, 'not in the PublishBatch response');
      }
      remaining = retry;
      if (remaining.length > 0 && attempt >= this.maxAttempts) break;
      if (remaining.length > 0) this.telemetry?.info('PublishBatch entries failed, retrying', { attempt, entries: remaining.length });
    }
    const exhausted = remaining.map((p) => ({
      alertId: p.alert.id,
      reason: `${lastReason.get(p.alert.id) ?? 'unknown'} (gave up after ${this.maxAttempts} attempts)`,
    }));
    return [...permanent, ...exhausted];
  }

  private backoff(retry: number): number {
    const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.random() * cap);
  }
}

/**
 * PublishBatch entry ids must match [A-Za-z0-9_-]{1,80} and be distinct in the call. Alert ids contain ':'
 * and can be long: keep them readable where possible, add a hash when the mapped id is too long or taken.
 */
export function batchEntryId(alertId: string, taken: ReadonlySet<string> = new Set()): string {
  const base = alertId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80) || 'alert';
  if (base.length <= 80 && base === alertId.replace(/[^A-Za-z0-9_-]/g, '_') && !taken.has(base)) return base;
  const hash = createHash('sha256').update(alertId).digest('hex').slice(0, 12);
  let id = `${base.slice(0, 67)}-${hash}`;
  for (let n = 2; taken.has(id); n++) id = `${base.slice(0, 60)}-${hash}-${n}`;
  return id;
}

/** Bytes SNS counts for an entry: the message, the subject, and attribute names, types and values. */
export function entryBytes(entry: PublishBatchRequestEntry): number {
  let bytes = Buffer.byteLength(entry.Message ?? '') + Buffer.byteLength(entry.Subject ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

function chunkEntries(pending: readonly Pending[]): Pending[][] {
  const chunks: Pending[][] = [];
  let current: Pending[] = [];
  let bytes = 0;
  for (const p of pending) {
    if (current.length >= BATCH_MAX_ENTRIES || (current.length > 0 && bytes + p.bytes > BATCH_MAX_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(p);
    bytes += p.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function isThrottlingCode(code: string | undefined): boolean {
  return /thrott|toomanyrequests|requestlimitexceeded|slowdown/i.test(code ?? '');
}

/** Throttling, server-side and network errors pass; client errors (auth, bad topic, bad input) do not. */
function isRetryableError(error: unknown): boolean {
  const e = error as { name?: string; $fault?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; code?: string };
  if (isThrottlingCode(e?.name) || isThrottlingCode(e?.code)) return true;
  if (e?.$retryable) return true;
  if (e?.$fault === 'server') return true;
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No HTTP response at all: a network error or timeout.
  return ['TimeoutError', 'RequestTimeout', 'NetworkingError', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN'].some(
    (n) => e?.name === n || e?.code === n,
  );
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
