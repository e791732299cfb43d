import type { BatchReport } from '../core/event-report';
import { ignoredRecord } from '../core/event-report';
import { processEventBatch, type EventPipeline } from '../eventbridge/event-batch';
import type { PipelineDeps } from '../pipeline-deps';
import { readableJobName } from '../state/job-items';
import { keys } from '../state/table';
import { jobIdsOf } from './health-alert';
import { healthEvent } from './health-event';
import { healthNotice, healthTime, HealthEventSchema, type HealthEvent, type HealthNotice } from './health-events';

export type { BatchReport } from '../core/event-report';

const MACIE = 'MACIE';

/**
 * One SQS batch of AWS Health events about Macie (the Health queue). Each event, per (account, event ARN),
 * alerts once, and once more for each change of status or described update (health-event.ts). A delivery is
 * keyed by what it says (status, last update, page), not by its EventBridge id, so Health's backup copies of
 * a page are applied once as an SQS redelivery is. Events of other services are ignored. Never throws for
 * bad input.
 */
export function processHealthBatch(batch: unknown, deps: PipelineDeps): Promise<BatchReport> {
  return processEventBatch(batch, deps, healthPipeline(deps));
}

function healthPipeline(deps: PipelineDeps): EventPipeline<HealthEvent, HealthNotice> {
  return {
    kind: 'health',
    expected: { kind: 'AWS Health event', source: 'aws.health', detailType: 'AWS Health Event', schema: HealthEventSchema },
    classify: (event, messageId) => {
      const { detail } = event;
      if (detail.service.toUpperCase() !== MACIE) {
        return ignoredRecord(deps.telemetry, { messageId, eventId: event.id }, `service ${detail.service} is not ${MACIE}`, { eventArn: detail.eventArn });
      }
      const notice = healthNotice(event);
      const page = detail.page != null ? String(detail.page) : '1';
      return {
        key: `health:${notice.accountId}:${detail.eventArn}:${detail.statusCode ?? ''}:${healthTime(detail.lastUpdatedTime) ?? ''}:${page}`,
        event: notice,
      };
    },
    // The jobs the entities name are read with the events' aggregates (one request), for their names.
    route: async (events, reads) => {
      const jobIds = [...new Set(events.flatMap(({ event }) => jobIdsOfNotice(event)))];
      await reads.read([...jobIds.map((id) => keys.job(id)), ...events.map(({ event }) => keys.healthEvent(event.accountId, event.detail.eventArn))]);
      const jobNames = new Map<string, string>();
      for (const id of jobIds) {
        const name = readableJobName(reads.get(keys.job(id)));
        if (name) jobNames.set(id, name);
      }
      return events.map(({ event }) => ({ aggregate: healthEvent(event.accountId, event.detail.eventArn, jobNames) }));
    },
    subject: (notice) => ({
      type: notice.detail.eventTypeCode,
      at: healthTime(notice.detail.lastUpdatedTime) ?? healthTime(notice.detail.startTime) ?? notice.deliveredAt,
      accountId: notice.accountId,
      jobId: jobIdsOfNotice(notice)[0],
    }),
    countApplied: (_notices, created) => {
      for (const alert of created) deps.telemetry.countBy('HealthAlerts', alert.severity);
    },
  };
}

function jobIdsOfNotice(notice: HealthNotice): string[] {
  return jobIdsOf({ entities: (notice.detail.affectedEntities ?? []).map((e) => ({ value: e.entityValue })) });
}
