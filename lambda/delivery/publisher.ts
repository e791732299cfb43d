import type { Alert } from '../core/alert';
import type { PossibleRepeat } from './possible-repeat';
import type { SmsRoute } from './sms-budget';

export interface PublishFailure {
  readonly alertId: string;
  readonly reason: string;
  /**
   * True when SNS may have taken the alert after all: a call whose answer never came (a timeout or a
   * connection lost after the request was sent) or an answer that could not be read. The next copy of the
   * alert is then labelled as a possible repeat. Absent when SNS answered that it did not take it.
   */
  readonly uncertain?: boolean;
}

export interface PublishOptions {
  /** Alerts whose earlier delivery was interrupted: their copies carry the possible-repeat label. */
  readonly repeats?: ReadonlyMap<string, PossibleRepeat>;
  /** The `sms` attribute per alert (the SMS budget's decisions); an alert not in it gets "true". */
  readonly smsRoutes?: ReadonlyMap<string, SmsRoute>;
  /**
   * Milliseconds from now within which every SNS call must be over: no attempt that could still be running
   * then is started, and the alerts it would have carried are reported failed (see delivery/lease.ts).
   */
  readonly budgetMs?: number;
}

/**
 * Where alerts go: SNS in Lambda (sns-publisher.ts), a recording publisher in the replay CLI and tests.
 * `publish` reports per-alert failures instead of throwing, so the caller can release exactly those.
 */
export interface AlertPublisher {
  publish(alerts: readonly Alert[], options?: PublishOptions): Promise<{ readonly failed: readonly PublishFailure[] }>;
}
