import type { DeliveryDeps } from './delivery/outbox';
import type { FilterPolicy } from './delivery/filter-policy';
import type { AlertPublisher } from './delivery/publisher';
import type { PipelineSettings } from './core/settings';
import type { AckSource, SilenceSource } from './silences/cache';
import type { StateStore } from './state/store';
import type { Telemetry } from './core/telemetry';

/**
 * Everything a pipeline needs from outside, passed in: handlers build it once per container
 * (handlers/runtime.ts), the replay CLI and the tests build it with DynamoDB Local and a recording publisher.
 */
export interface PipelineDeps {
  readonly store: StateStore;
  readonly publisher: AlertPublisher;
  readonly settings: PipelineSettings;
  readonly telemetry: Telemetry;
  /** Region the pipeline runs in (AWS_REGION in Lambda): job log events do not carry one. */
  readonly region: string;
  /** Wall clock: only for TTLs and the sweeper. Grouping windows use event time, never this. */
  readonly now: () => Date;
  readonly remainingMs?: () => number;
  /** The silences (lambda/silences): by default read from the store, cached 60 s per container. */
  readonly silences?: SilenceSource;
  /** The acknowledgements (lambda/silences/ack.ts): by default read from the store, cached 60 s per container. */
  readonly acks?: AckSource;
  /** Fault-injection seam for the reliability tests (see delivery/outbox.ts). */
  readonly afterStep?: DeliveryDeps['afterStep'];
  /** The SMS subscriptions' filter policies (SMS_FILTER_POLICIES): none, no SMS budget. */
  readonly smsPolicies?: readonly FilterPolicy[];
}

export function deliveryDeps(deps: PipelineDeps): DeliveryDeps {
  return {
    store: deps.store,
    publisher: deps.publisher,
    now: deps.now,
    retentionDays: deps.settings.stateRetentionDays,
    remainingMs: deps.remainingMs,
    telemetry: deps.telemetry,
    afterStep: deps.afterStep,
    // No SMS subscriber, or smsMaxPerHour 0: no budget, and no budget write.
    smsBudget:
      deps.settings.smsMaxPerHour > 0 && deps.smsPolicies && deps.smsPolicies.length > 0
        ? { maxPerHour: deps.settings.smsMaxPerHour, policies: deps.smsPolicies }
        : undefined,
  };
}
