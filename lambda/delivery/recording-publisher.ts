import type { Alert } from '../core/alert';
import type { AlertPublisher, PublishFailure, PublishOptions } from './publisher';
import type { PossibleRepeat } from './possible-repeat';
import { buildSnsMessage, type SnsAlertMessage } from './sns-message';
import { messageRefusal } from './sns-limits';

export interface PublishedRecord {
  readonly alert: Alert;
  readonly message: SnsAlertMessage;
  /** Set when this copy was labelled as a possible repeat. */
  readonly repeat?: PossibleRepeat;
}

/**
 * Publishes nowhere: keeps what would have gone to SNS, in order, with the exact message SNS would get, and
 * fails what SNS would refuse (sns-limits.ts). The replay CLI prints from it; tests assert on it and inject
 * failures (failNext, failWhen).
 */
export class RecordingPublisher implements AlertPublisher {
  readonly records: PublishedRecord[] = [];
  /** Every alert that was refused by an injected failure, in order. */
  readonly failures: PublishFailure[] = [];
  /** How many publish calls were made (including calls where everything failed). */
  calls = 0;
  private failCount = 0;
  private failReason = 'injected failure';
  private predicate?: (alert: Alert) => boolean | string;

  constructor(private readonly onRecord?: (record: PublishedRecord) => void) {}

  /** The next `n` alerts (across calls) fail, with `reason`. */
  failNext(n: number, reason = 'injected failure'): this {
    this.failCount = n;
    this.failReason = reason;
    return this;
  }

  /** Alerts for which the predicate returns true (or a reason string) fail until cleared with failWhen(undefined). */
  failWhen(predicate: ((alert: Alert) => boolean | string) | undefined): this {
    this.predicate = predicate;
    return this;
  }

  get alerts(): Alert[] {
    return this.records.map((r) => r.alert);
  }

  async publish(alerts: readonly Alert[], options: PublishOptions = {}): Promise<{ readonly failed: readonly PublishFailure[] }> {
    this.calls++;
    const failed: PublishFailure[] = [];
    for (const alert of alerts) {
      const verdict = this.predicate?.(alert);
      if (verdict) {
        failed.push({ alertId: alert.id, reason: typeof verdict === 'string' ? verdict : 'injected failure' });
        continue;
      }
      if (this.failCount > 0) {
        this.failCount--;
        failed.push({ alertId: alert.id, reason: this.failReason });
        continue;
      }
      const repeat = options.repeats?.get(alert.id);
      const message = buildSnsMessage(alert, repeat, options.smsRoutes?.get(alert.id));
      // Refused as SNS would refuse it: a replay or a test must not show an alert that could never go out.
      const refusal = messageRefusal(message);
      if (refusal) {
        failed.push({ alertId: alert.id, reason: `SNS would refuse it: ${refusal.code}: ${refusal.message}` });
        continue;
      }
      const record = { alert, message, ...(repeat ? { repeat } : {}) };
      this.records.push(record);
      this.onRecord?.(record);
    }
    this.failures.push(...failed);
    return { failed };
  }
}
