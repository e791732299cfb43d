import type { Alert } from '../../lambda/core/alert';
import type { AlertPublisher, PublishFailure, PublishOptions } from '../../lambda/delivery/publisher';

/** A minimal alert for tests of mechanisms that do not care about its content. */
export function testAlert(id: string, overrides: Partial<Alert> = {}): Alert {
  return {
    id,
    severity: 'HIGH',
    category: 'BUCKET_ERROR',
    eventType: 'BUCKET_ACCESS_DENIED',
    accountId: '123456789012',
    region: 'us-east-1',
    headline: `test alert ${id}`,
    whatHappened: 'something happened',
    whatItMeans: 'it means something',
    whatToDo: 'do something',
    details: [],
    affected: [],
    count: 1,
    links: [],
    sample: false,
    occurredAt: '2024-04-14T17:11:30.574Z',
    threadId: 'thread',
    ...overrides,
  };
}

/** Records what it was asked to publish; `failNext` makes the next calls report chosen alerts as failed. */
export class FakePublisher implements AlertPublisher {
  readonly calls: Alert[][] = [];
  /** The options of each call (labels of possible repeats, the time budget). */
  readonly options: PublishOptions[] = [];
  failIds = new Set<string>();
  failWholeCalls = 0;

  get published(): Alert[] {
    return this.calls.flat().filter((a) => !this.lastFailed.has(a));
  }
  private lastFailed = new Set<Alert>();

  async publish(alerts: readonly Alert[], options: PublishOptions = {}): Promise<{ failed: PublishFailure[] }> {
    this.calls.push([...alerts]);
    this.options.push(options);
    if (this.failWholeCalls > 0) {
      this.failWholeCalls--;
      for (const a of alerts) this.lastFailed.add(a);
      return { failed: alerts.map((a) => ({ alertId: a.id, reason: 'injected: whole call failed' })) };
    }
    const failed = alerts.filter((a) => this.failIds.has(a.id));
    for (const a of failed) this.lastFailed.add(a);
    return { failed: failed.map((a) => ({ alertId: a.id, reason: 'injected: entry failed' })) };
  }
}
