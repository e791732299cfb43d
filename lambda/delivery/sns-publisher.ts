import { createHash } from 'node:crypto';
import { PublishBatchCommand, type PublishBatchRequestEntry, type PublishBatchResponse, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../core/alert';
import type { AlertPublisher, PublishFailure, PublishOptions } from './publisher';
import type { PossibleRepeat } from './possible-repeat';
import { SNS_ATTEMPT_TIMEOUT_MS, SNS_RETRY } from './lease';
import { buildSnsMessage } from './sns-message';
import type { SmsRoute } from './sms-budget';
import { BATCH_MAX_BYTES, BATCH_MAX_ENTRIES, messageBytes } from './sns-limits';
import type { Telemetry } from '../core/telemetry';
import { errorText } from '../core/error-text';

/** SNS limits for one PublishBatch call (sns-limits.ts). */
export { BATCH_MAX_BYTES, BATCH_MAX_ENTRIES };

export interface SnsAlertPublisherOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
  readonly telemetry?: Telemetry;
  /** Injected in tests so retries do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Attempts per entry, the first one included (default 4, lease.ts). */
  readonly maxAttempts?: number;
  /** Backoff: full jitter over min(maxDelayMs, baseDelayMs * 2^(attempt-1)). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** One PublishBatch attempt, request and answer, is aborted after this (default 3 s, lease.ts). */
  readonly attemptTimeoutMs?: number;
  /** Injected in tests to make the jitter deterministic. */
  readonly random?: () => number;
  /** Wall clock for the possible-repeat label of a copy sent after a lost answer. */
  readonly now?: () => Date;
}

interface Pending {
  readonly alert: Alert;
  readonly entry: PublishBatchRequestEntry;
  readonly bytes: number;
  /** Attempts made so far (the same for every entry of a chunk: a retry chunk is cut from one chunk). */
  readonly attempts: number;
  /** Set once the copy is labelled: by the caller, or here after an attempt whose outcome is unknown. */
  readonly repeat?: PossibleRepeat;
  /** An attempt's outcome was unknown: SNS may have this alert already. */
  readonly doubt: boolean;
  /** Labelled here, after such an attempt (counted as AlertsRepublished once SNS takes it). */
  readonly labelledHere?: boolean;
  readonly lastReason?: string;
  /** The `sms` attribute the caller decided (SMS budget). */
  readonly sms?: SmsRoute;
}

/** What one attempt left to do: entries to try again, and entries that failed for good. */
interface AttemptOutcome {
  readonly retry: Pending[];
  readonly failed: { readonly p: Pending; readonly reason: string }[];
}

/**
 * Publishes alerts with PublishBatch (10 entries and 256 KB per call). Per-entry failures (`Failed` in an
 * HTTP 200) and whole-call errors that can pass (throttling, 5xx, network, a timeout) are retried with
 * exponential backoff and full jitter; an entry SNS refuses for a reason that will not change (SenderFault,
 * not throttling) is returned at once. Whatever still fails is returned in `failed`, never thrown and never
 * dropped, so the outbox (outbox.ts) releases exactly those alerts for a later retry.
 *
 * An attempt can end without knowing what SNS did: the answer never came (the attempt timed out, or the
 * connection broke after the request was sent), or it could not be read, or SNS answered with a server
 * error. The entries of such an attempt may have been published, so their retries go out labelled as
 * possible repeats, and if they still fail they are reported `uncertain` (the outbox then labels the next
 * copy). Only an answer SNS gave (a 4xx, or an entry in `Failed`), or a request that never left (the
 * connection could not be made), is a definite "not published".
 */
export class SnsAlertPublisher implements AlertPublisher {
  private readonly client: SNSClient;
  private readonly topicArn: string;
  private readonly telemetry?: Telemetry;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly random: () => number;
  private readonly now: () => Date;

  constructor(options: SnsAlertPublisherOptions) {
    this.client = options.client;
    this.topicArn = options.topicArn;
    this.telemetry = options.telemetry;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxAttempts = Math.max(1, options.maxAttempts ?? SNS_RETRY.maxAttempts);
    this.baseDelayMs = options.baseDelayMs ?? SNS_RETRY.baseDelayMs;
    this.maxDelayMs = options.maxDelayMs ?? SNS_RETRY.maxDelayMs;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? SNS_ATTEMPT_TIMEOUT_MS;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => new Date());
  }

  async publish(alerts: readonly Alert[], options: PublishOptions = {}): Promise<{ readonly failed: readonly PublishFailure[] }> {
    const deadline = options.budgetMs === undefined ? Infinity : performance.now() + options.budgetMs;
    const failed: PublishFailure[] = [];
    const fail = (alertId: string, reason: string, uncertain = false) => {
      failed.push(uncertain ? { alertId, reason, uncertain } : { alertId, reason });
      this.telemetry?.warn('alert not published', { alertId, reason, ...(uncertain ? { uncertain } : {}) });
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
      const id = batchEntryId(alert.id, usedEntryIds);
      usedEntryIds.add(id);
      const p = this.pending(alert, id, options.repeats?.get(alert.id), options.smsRoutes?.get(alert.id), 0, false);
      if (typeof p === 'string') fail(alert.id, p);
      else pending.push(p);
    }

    const queue = chunkEntries(pending);
    for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
      const attempt = chunk[0].attempts + 1;
      if (attempt > 1) await this.sleep(this.backoff(attempt - 1));
      if (performance.now() + this.attemptTimeoutMs > deadline) {
        for (const p of chunk) fail(p.alert.id, `${p.lastReason ?? 'not sent'} (the delivery's time window ran out)`, p.doubt);
        continue;
      }
      const outcome = await this.attempt(chunk);
      for (const { p, reason } of outcome.failed) fail(p.alert.id, reason, p.doubt);
      if (outcome.retry.length === 0) continue;
      if (attempt >= this.maxAttempts) {
        for (const p of outcome.retry) fail(p.alert.id, `${p.lastReason} (gave up after ${this.maxAttempts} attempts)`, p.doubt);
        continue;
      }
      this.telemetry?.info('PublishBatch entries failed, retrying', { attempt, entries: outcome.retry.length, reason: outcome.retry[0].lastReason });
      const retry: Pending[] = [];
      for (const p of outcome.retry) {
        const next = this.relabelled(p, attempt);
        if (typeof next === 'string') fail(p.alert.id, next, p.doubt);
        else retry.push(next);
      }
      queue.unshift(...chunkEntries(retry));
    }
    const failedIds = new Set(failed.map((f) => f.alertId));
    for (const { alert } of pending) {
      if (failedIds.has(alert.id)) continue;
      this.telemetry?.countBy('AlertsBySeverity', alert.severity);
      this.telemetry?.countBy('AlertsByCategory', alert.category);
    }
    return { failed };
  }

  /** An entry for the alert, or why it cannot be sent at all. */
  private pending(
    alert: Alert,
    id: string,
    repeat: PossibleRepeat | undefined,
    sms: SmsRoute | undefined,
    attempts: number,
    doubt: boolean,
    lastReason?: string,
  ): Pending | string {
    let message: ReturnType<typeof buildSnsMessage>;
    try {
      message = buildSnsMessage(alert, repeat, sms);
    } catch (error) {
      return `could not render: ${errorText(error)}`;
    }
    const entry: PublishBatchRequestEntry = { Id: id, ...message };
    const bytes = entryBytes(entry);
    if (bytes > BATCH_MAX_BYTES) return `message is ${bytes} bytes, over the SNS limit of ${BATCH_MAX_BYTES}`;
    return {
      alert,
      entry,
      bytes,
      attempts,
      doubt,
      ...(repeat ? { repeat } : {}),
      ...(lastReason !== undefined ? { lastReason } : {}),
      ...(sms !== undefined ? { sms } : {}),
    };
  }

  /** The entry for its next attempt: labelled from now on if SNS may already have it. */
  private relabelled(p: Pending, attempts: number): Pending | string {
    if (!p.doubt || p.repeat) return { ...p, attempts };
    const next = this.pending(p.alert, p.entry.Id!, { interruptedAt: this.now().toISOString() }, p.sms, attempts, true, p.lastReason);
    return typeof next === 'string' ? next : { ...next, labelledHere: true };
  }

  /** One PublishBatch call for one chunk, bounded by attemptTimeoutMs. */
  private async attempt(chunk: readonly Pending[]): Promise<AttemptOutcome> {
    const byEntryId = new Map(chunk.map((p) => [p.entry.Id!, p]));
    let response: PublishBatchResponse;
    try {
      response = await this.client.send(new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: chunk.map((p) => p.entry) }), {
        abortSignal: AbortSignal.timeout(this.attemptTimeoutMs),
      });
    } catch (error) {
      const reason = `PublishBatch failed: ${errorText(error)}`;
      const unknown = outcomeUnknown(error);
      const marked = chunk.map((p) => ({ ...p, doubt: p.doubt || unknown, lastReason: reason }));
      if (unknown || isRetryableError(error)) return { retry: marked, failed: [] };
      return { retry: [], failed: marked.map((p) => ({ p, reason })) };
    }

    const succeeded = new Set((response.Successful ?? []).map((s) => s.Id));
    const republished = chunk.filter((p) => p.labelledHere && succeeded.has(p.entry.Id)).length;
    if (republished > 0) this.telemetry?.count('AlertsRepublished', republished);
    const retry: Pending[] = [];
    const failed: { p: Pending; reason: string }[] = [];
    for (const failure of response.Failed ?? []) {
      const p = failure.Id !== undefined ? byEntryId.get(failure.Id) : undefined;
      if (!p || succeeded.has(failure.Id)) continue;
      const reason = `${failure.Code ?? 'Unknown'}${failure.SenderFault ? ' (sender fault)' : ''}: ${failure.Message ?? 'no message'}`;
      byEntryId.delete(failure.Id!);
      if (failure.SenderFault && !isThrottlingCode(failure.Code)) failed.push({ p, reason });
      else retry.push({ ...p, lastReason: reason });
    }
    // An entry SNS neither accepted nor rejected: what happened to it is not known.
    for (const [id, p] of byEntryId) {
      if (!succeeded.has(id)) retry.push({ ...p, doubt: true, lastReason: 'not in the PublishBatch response' });
    }
    return { retry, failed };
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

/** Bytes an entry takes of a batch: what SNS counts (the message and its attributes), and the subject, to be safe. */
export function entryBytes(entry: PublishBatchRequestEntry): number {
  return messageBytes(entry) + Buffer.byteLength(entry.Subject ?? '');
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
  const code = networkCode(error);
  return ['TimeoutError', 'RequestTimeout', 'NetworkingError', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN'].some(
    (n) => e?.name === n || code === n,
  );
}

/** Node's network error code (ECONNREFUSED, ...), also when the SDK wrapped the error and kept only its text. */
function networkCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.message === 'string' ? /\b(E[A-Z]{3,})\b/.exec(e.message)?.[1] : undefined;
}

/**
 * Whether SNS may have published the entries of a call that ended in `error`. It did not when it answered
 * with a client error (4xx: throttled, refused, not authorised), or when the request never left: the
 * connection could not be made (refused, no such host, connection timeout). Anything else may have: no
 * answer after the request was sent (a timeout, a reset or broken connection), an answer that could not be
 * read (an HTTP 200 that failed to parse), or a server error (5xx: SNS does not say the call had no effect).
 */
export function outcomeUnknown(error: unknown): boolean {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined) return status < 400 || status >= 500;
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(networkCode(error) ?? '')) return false;
  // @smithy/node-http-handler's connectionTimeout: "the request socket did not establish a connection".
  return !(e?.name === 'TimeoutError' && /did not establish a connection/.test(e?.message ?? ''));
}
