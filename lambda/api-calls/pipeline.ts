import type { BatchReport } from '../core/event-report';
import { ignoredRecord } from '../core/event-report';
import type { Target } from '../eventbridge/aggregate';
import { processEventBatch, type EventPipeline } from '../eventbridge/event-batch';
import type { PipelineDeps } from '../pipeline-deps';
import { callAlert, REVEAL, type CallContext, type Principal } from './call-alert';
import { ApiCallEventSchema, type ApiCallEvent, type CloudTrailRecord } from './call-events';
import { apiCallType, param } from './call-types';
import { revealWindow } from './reveal-window';

export type { BatchReport } from '../core/event-report';

const MACIE_EVENT_SOURCE = 'macie2.amazonaws.com';
const AWS_CONFIG = 'config.amazonaws.com';

/**
 * One SQS batch of "AWS API Call via CloudTrail" events for Macie calls (the API-call queue). Calls in the
 * spec's table alert (a denied attempt one level lower); reveals of sensitive data by one principal are
 * grouped per repeat window; everything else, and calls by AWS Config, is ignored. Each call is applied once,
 * keyed by its CloudTrail event id. Never throws for bad input.
 */
export function processApiCallBatch(batch: unknown, deps: PipelineDeps): Promise<BatchReport> {
  return processEventBatch(batch, deps, apiCallPipeline(deps));
}

function apiCallPipeline(deps: PipelineDeps): EventPipeline<ApiCallEvent, CallContext> {
  return {
    kind: 'api-call',
    expected: { kind: 'API call', source: 'aws.macie2', detailType: 'AWS API Call via CloudTrail', schema: ApiCallEventSchema },
    classify: (event, messageId) => {
      const { detail: record, account } = event;
      const ids = { messageId, eventId: event.id };
      const fields = { eventName: record.eventName, cloudTrailEventId: record.eventID };
      const ignore = (reason: string) => ignoredRecord(deps.telemetry, ids, reason, fields);
      if (record.eventSource !== MACIE_EVENT_SOURCE) return ignore(`event source ${record.eventSource} is not ${MACIE_EVENT_SOURCE}`);
      if (isAwsConfig(record)) return ignore('call made by AWS Config (configuration polling)');
      const type = apiCallType(record.eventName);
      if (!type) return ignore(`${record.eventName} is not a call the alert policy covers`);
      const match = type.when?.(record.requestParameters ?? {}) ?? true;
      if (match !== true) return ignore(`${record.eventName}: ${match}`);
      const principal = principalOf(record);
      return {
        key: `api-call:${record.eventID}`,
        event: { record, type, accountId: record.recipientAccountId ?? record.userIdentity.accountId ?? account, principal },
      };
    },
    route: async (events) =>
      events.map(({ event: ctx }): Target<CallContext> => {
        const arn = ctx.principal.arn;
        if (ctx.type.name === REVEAL && !ctx.record.errorCode && arn) return { aggregate: revealWindow(arn, deps.settings) };
        return { single: (call) => ({ alert: callAlert(call), reason: call.record.errorCode ? 'denied attempt' : undefined }) };
      }),
    // Calls that turn alerting off (NEVER_SILENCED: DisableMacie, findings filters...) are never silenced.
    subject: ({ record, accountId }) => ({
      type: record.eventName,
      at: record.eventTime,
      accountId,
      jobId: textParam(record, 'jobId'),
      bucket: textParam(record, 'configuration.s3Destination.bucketName'),
    }),
    // Each alert's eventType is a call of the API-call table (the dimension's fixed set of values).
    countApplied: (_calls, created) => {
      for (const alert of created) deps.telemetry.countBy('ApiCallAlerts', alert.eventType);
    },
  };
}

function textParam(record: CloudTrailRecord, path: string): string | undefined {
  const value = param(record.requestParameters, path);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isAwsConfig(record: CloudTrailRecord): boolean {
  const invokedBy = record.userIdentity.invokedBy?.trim().toLowerCase();
  const agent = record.userAgent?.trim().toLowerCase();
  return invokedBy === AWS_CONFIG || agent === AWS_CONFIG;
}

function principalOf(record: CloudTrailRecord): Principal {
  const id = record.userIdentity;
  const arn = id.arn ?? undefined;
  const resource = arn?.split(':').slice(5).join(':');
  return {
    arn: arn ?? id.principalId ?? id.invokedBy ?? undefined,
    type: id.type ?? undefined,
    sessionIssuer: id.sessionContext?.sessionIssuer?.arn ?? undefined,
    invokedBy: id.invokedBy ?? undefined,
    name: resource || id.userName || id.invokedBy || id.principalId || id.type || 'unknown principal',
  };
}
