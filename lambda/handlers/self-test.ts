import type { Alert } from '../core/alert';
import { deliverPending, DeliveryFailed, outboxWrites } from '../delivery/outbox';
import { deliveryDeps, type PipelineDeps } from '../pipeline-deps';
import { notExists, type WriteOp } from '../state/store';
import { expiresAt, GSI1, keys, SELF_TEST_PARTITION } from '../state/table';
import { STATE_ACCESS, type FunctionName } from './state-access';

/**
 * `macie-alerts selftest` invokes each function with an event of its trigger's shape marked by SELF_TEST_MARKER:
 * the function makes its real path's kinds of AWS calls and publishes one TEST alert, on state of its own.
 */
export const SELF_TEST_MARKER = 'macieAlertsSelfTest';
export const SELF_TEST_TTL_HOURS = 1;

export type { FunctionName };

export interface SelfTestRequest {
  /** Chosen by the CLI, one per run: [A-Za-z0-9-], at most 64 characters. */
  readonly id: string;
  readonly requestedAt: string;
  /** The account the stack is in (from its id), for the alert. */
  readonly accountId?: string;
}

export type SelfTestStep = 'request' | 'read' | 'query' | 'query-indexes' | 'write' | 'transact-write' | 'publish';

export interface SelfTestResult {
  readonly function: FunctionName;
  readonly id: string;
  /** True once SNS took the TEST alert. */
  readonly published: boolean;
  readonly alertId?: string;
  readonly steps: readonly SelfTestStep[];
  /** The step that failed, why, and the IAM action AWS refused when it says so. */
  readonly failure?: { readonly step: SelfTestStep; readonly reason: string; readonly deniedAction?: string };
}

export interface SelfTestReport {
  readonly selfTest: SelfTestResult;
}

/** The marker's request, `invalid` when the field is there but malformed, undefined for every real event. */
export function selfTestRequestOf(event: unknown): SelfTestRequest | 'invalid' | undefined {
  const marker = (event as Record<string, unknown> | null | undefined)?.[SELF_TEST_MARKER];
  if (marker === undefined) return undefined;
  const m = marker as Partial<SelfTestRequest> | null;
  const valid =
    typeof m?.id === 'string' &&
    /^[A-Za-z0-9-]{1,64}$/.test(m.id) &&
    typeof m.requestedAt === 'string' &&
    Number.isFinite(Date.parse(m.requestedAt)) &&
    (m.accountId === undefined || (typeof m.accountId === 'string' && /^\d{12}$/.test(m.accountId)));
  return valid ? { id: m.id!, requestedAt: new Date(m.requestedAt!).toISOString(), ...(m.accountId ? { accountId: m.accountId } : {}) } : 'invalid';
}

/** The action named by an AccessDenied (DynamoDB), AuthorizationError (SNS) or KMS refusal: "... not authorized to perform: dynamodb:ConditionCheckItem on ...". */
export function deniedActionOf(reason: string): string | undefined {
  const match = /not authorized to perform:?\s+([A-Za-z0-9-]+:[A-Za-z0-9*]+)/i.exec(reason);
  if (!match) return undefined;
  const [service, action] = match[1].split(':');
  return `${service.toLowerCase()}:${action}`;
}

export function selfTestAlert(fn: FunctionName, request: SelfTestRequest, region: string): Alert {
  return {
    id: `selftest:${fn}:${request.id}`,
    severity: 'INFO',
    category: 'TEST',
    eventType: 'SELF_TEST',
    accountId: request.accountId ?? 'unknown',
    region,
    headline: `Test alert: the ${fn} function can read, write and publish`,
    whatHappened: `This is a test, not a Macie event. Someone ran \`macie-alerts selftest\` at ${request.requestedAt}: the ${fn} function read and wrote its state table and published this alert, the way it handles Macie's events.`,
    whatItMeans: 'Nothing happened to your data, your jobs or your findings. Alerts from this function reach you.',
    whatToDo: 'Nothing. A subscriber that should have received this test and did not: check that its subscription is confirmed, and its filter policy.',
    details: [
      { label: 'Function', value: fn },
      { label: 'Test id', value: request.id },
      { label: 'Requested at', value: request.requestedAt },
    ],
    affected: [],
    count: 1,
    links: [],
    sample: false,
    occurredAt: request.requestedAt,
    threadId: `selftest:${request.id}`,
  };
}

/** Runs the self-test of `fn`; never throws: a step that fails is reported, with the action AWS refused. */
export async function runSelfTest(fn: FunctionName, request: SelfTestRequest | 'invalid', deps: PipelineDeps): Promise<SelfTestReport> {
  if (request === 'invalid') {
    deps.telemetry.warn('self-test event with a malformed request: nothing done', { marker: SELF_TEST_MARKER });
    deps.telemetry.count('BadRecords');
    return {
      selfTest: { function: fn, id: 'invalid', published: false, steps: [], failure: { step: 'request', reason: `malformed ${SELF_TEST_MARKER} field` } },
    };
  }
  const steps: SelfTestStep[] = [];
  const alert = selfTestAlert(fn, request, deps.region);
  let step: SelfTestStep = 'read';
  const result = (published: boolean, failure?: SelfTestResult['failure']): SelfTestReport => ({
    selfTest: { function: fn, id: request.id, published, alertId: alert.id, steps, ...(failure ? { failure } : {}) },
  });
  try {
    const calls = STATE_ACCESS[fn];
    const now = deps.now();
    const owner = keys.selfTest(fn, request.id);
    const ttl = expiresAt(now, SELF_TEST_TTL_HOURS / 24);
    const found = await deps.store.getMany([owner, keys.selfTest(fn, `${request.id}-guard`)]);
    steps.push(step);
    step = 'query';
    await deps.store.listPrefixNewestFirst(SELF_TEST_PARTITION, `${fn}#`, (items) => (items.length === 0 ? 1 : 0));
    steps.push(step);
    if (calls.indexes) {
      step = 'query-indexes';
      await deps.store.listIndex(GSI1.selfTest);
      await deps.store.listDigestIndex(SELF_TEST_PARTITION, request.requestedAt, request.requestedAt);
      steps.push(step);
    }
    // Each write is conditional on the one before: a retry of the same test (after a crash, or the SDK
    // retrying the invoke) does what the first attempt left undone, and the alert goes out once.
    const version = (deps.store.lookup(found, owner)?.version as number | undefined) ?? 0;
    if (version < 1) {
      step = 'write';
      await deps.store.write([{ kind: 'put', item: { ...owner, requestedAt: request.requestedAt, version: 1, expiresAt: ttl }, condition: notExists }]);
      steps.push(step);
    }
    if (version < 2) {
      step = 'transact-write';
      const ops: WriteOp[] = [
        {
          kind: 'update',
          key: owner,
          expression: 'ADD pendingAlerts :ids SET #version = :next',
          names: { '#version': 'version' },
          values: { ':ids': new Set([alert.id]), ':next': 2 },
          condition: { expression: '#version = :read', names: { '#version': 'version' }, values: { ':read': 1 } },
        },
        ...(calls.conditionChecks ? [{ kind: 'condition-check' as const, key: keys.selfTest(fn, `${request.id}-guard`), condition: notExists }] : []),
        ...outboxWrites([alert], owner, now, SELF_TEST_TTL_HOURS / 24),
      ];
      await deps.store.write(ops);
      steps.push(step);
    }
    step = 'publish';
    const { published, alreadySent } = await deliverPending(deliveryDeps(deps), [{ owner, alertIds: [alert.id] }]);
    steps.push(step);
    return result(published.length + alreadySent > 0);
  } catch (error) {
    const reason =
      error instanceof DeliveryFailed
        ? error.failures.map((f) => f.reason).join('; ')
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error);
    const deniedAction = deniedActionOf(reason);
    deps.telemetry.error('self-test failed', { function: fn, step, reason });
    return result(false, { step, reason, ...(deniedAction ? { deniedAction } : {}) });
  }
}
