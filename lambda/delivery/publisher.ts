import type { Alert } from '../core/alert';

export interface PublishFailure {
  readonly alertId: string;
  readonly reason: string;
}

/**
 * Where alerts go: SNS in Lambda (sns-publisher.ts), a recording publisher in the replay CLI and tests.
 * `publish` reports per-alert failures instead of throwing, so the caller can release exactly those.
 */
export interface AlertPublisher {
  publish(alerts: readonly Alert[]): Promise<{ readonly failed: readonly PublishFailure[] }>;
}
