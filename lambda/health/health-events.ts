import * as z from 'zod/mini';
import { EventBridgeEnvelopeShape } from '../eventbridge/envelope';

/**
 * An AWS Health event about Macie as EventBridge delivers it. Times (RFC 1123 or ISO 8601) stay text, read with
 * Date.parse; only the event ARN, type code and category are required.
 */
const optionalText = z.nullish(z.string());
/** Health writes page numbers as text ("1"); accept numbers too. */
const pageNumber = z.nullish(z.union([z.string(), z.number()]));

export const AffectedEntitySchema = z.object({
  entityValue: z.string(),
  lastUpdatedTime: optionalText,
  status: optionalText,
  tags: z.nullish(z.record(z.string(), z.unknown())),
});

export const HealthDetailSchema = z.object({
  eventArn: z.string().check(z.minLength(1)),
  service: z.string(),
  eventTypeCode: z.string().check(z.minLength(1)),
  eventTypeCategory: z.string().check(z.minLength(1)),
  eventScopeCode: optionalText,
  communicationId: optionalText,
  startTime: optionalText,
  endTime: optionalText,
  lastUpdatedTime: optionalText,
  statusCode: optionalText,
  eventRegion: optionalText,
  eventDescription: z.nullish(z.array(z.object({ language: optionalText, latestDescription: z.string() }))),
  eventMetadata: z.nullish(z.record(z.string(), z.unknown())),
  affectedEntities: z.nullish(z.array(AffectedEntitySchema)),
  affectedAccount: optionalText,
  page: pageNumber,
  totalPages: pageNumber,
});

export const HealthEventSchema = z.object({ ...EventBridgeEnvelopeShape, detail: HealthDetailSchema });

export type HealthDetail = z.infer<typeof HealthDetailSchema>;
export type HealthEvent = z.infer<typeof HealthEventSchema>;
export type AffectedEntity = z.infer<typeof AffectedEntitySchema>;

/** One Health event page as the aggregate folds it: the detail, with what the envelope adds. */
export interface HealthNotice {
  readonly detail: HealthDetail;
  /** The account the event is about: affectedAccount (organizational view), else the envelope's account. */
  readonly accountId: string;
  /** Where the event applies: eventRegion, else the Region EventBridge delivered it in. */
  readonly region: string;
  /** The envelope's time: when EventBridge delivered this page. */
  readonly deliveredAt: string;
  /** Affected resources the envelope lists (ARNs), beside detail.affectedEntities. */
  readonly resources: readonly string[];
}

export function healthNotice(event: HealthEvent): HealthNotice {
  const { detail } = event;
  return {
    detail,
    accountId: detail.affectedAccount || event.account,
    region: detail.eventRegion || event.region,
    deliveredAt: event.time,
    resources: event.resources,
  };
}

/** The English description, else the first one; empty when Health sent none. */
export function descriptionOf(detail: HealthDetail): string {
  const all = detail.eventDescription ?? [];
  return (all.find((d) => !d.language || d.language.toLowerCase().startsWith('en')) ?? all[0])?.latestDescription ?? '';
}

/** A Health time as ISO 8601, or the text as sent when it is no time at all. */
export function healthTime(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : value;
}
