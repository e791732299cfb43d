import type { Severity } from './severity';

/** Values of the `category` message attribute: subscribers filter on them. */
export const ALERT_CATEGORIES = [
  'JOB_STATUS',
  'JOB_RUN_SUMMARY',
  'ACCOUNT_ERROR',
  'BUCKET_ERROR',
  'UNKNOWN_EVENT',
  'POLICY_FINDING',
  'SENSITIVE_DATA_FINDING',
  'API_CALL',
  // AWS Health events about Macie (lambda/health).
  'HEALTH',
  'STUCK_RUN',
  'PIPELINE',
  'DIGEST',
  // `macie-alerts selftest`: says so in every form, and reaches every subscriber (lib/subscription-filters.ts).
  'TEST',
] as const;
export type AlertCategory = (typeof ALERT_CATEGORIES)[number];

export interface AlertDetail {
  readonly label: string;
  readonly value: string;
}

export interface AlertLink {
  readonly label: string;
  readonly url: string;
}

/** Resources an alert is about: the first few by name, and how many there are in all. */
export interface AffectedResources {
  readonly kind: 'bucket' | 'account' | 'object' | 'principal' | 'finding';
  /** Names as they came from the event (untrusted: renderers sanitise them). */
  readonly items: readonly string[];
  /** How many in all; more than items.length means "and N more". */
  readonly total: number;
  /** When the list is not everything the alert is about, what it covers: "since the last alert". */
  readonly scope?: string;
  /** `total` is a lower bound: the names were kept up to a cap, so there may be more ("at least N"). */
  readonly atLeast?: boolean;
}

/** Events an alert stands for that a silence matched: counted, not alerted (lambda/silences). */
export interface SilencedCount {
  readonly silenceId: string;
  /** The event type, finding type or API call name silenced. */
  readonly what: string;
  readonly count: number;
}

/**
 * One alert, before it is rendered. Everything a person reads is derived from this by the renderers
 * (render-sms, render-email, render-chat, render-json); nothing here is pre-formatted for a channel.
 * String fields copied from events are untrusted and are sanitised at rendering time, not here.
 */
export interface Alert {
  /** Stable dedupe key: the same logical alert always gets the same id (e.g. `run:<job>:<runDate>:BUCKET_ACCESS_DENIED:first`). */
  readonly id: string;
  readonly severity: Severity;
  readonly category: AlertCategory;
  /** Macie event type, finding type or API call name. */
  readonly eventType: string;
  /** The account the alert is about (Macie admin account for job events, finding/call account otherwise). */
  readonly accountId: string;
  readonly region: string;
  readonly job?: { readonly id: string; readonly name?: string; readonly runDate?: string };
  readonly findingId?: string;
  /** One line: what and where, e.g. "Macie job My_Job: bucket access denied". */
  readonly headline: string;
  readonly whatHappened: string;
  readonly whatItMeans: string;
  readonly whatToDo: string;
  readonly details: readonly AlertDetail[];
  readonly affected: readonly AffectedResources[];
  /** How many events this alert stands for (1 for a single event). */
  readonly count: number;
  /** Of the events this alert reports (a run summary), those silences matched, per silence and type. */
  readonly silenced?: readonly SilencedCount[];
  readonly links: readonly AlertLink[];
  readonly sample: boolean;
  /** Event time of the (last) event behind the alert, ISO 8601. */
  readonly occurredAt: string;
  /** Groups related chat notifications (job id, finding id, principal). */
  readonly threadId: string;
}

/** Labelled rows for Alert.details. Rows with an empty value are dropped, so an alert never shows "Owner: ". */
export function details(rows: readonly (readonly [string, string | number | undefined | null | false])[]): AlertDetail[] {
  return rows.flatMap(([label, value]) => (value === undefined || value === null || value === false || value === '' ? [] : [{ label, value: String(value) }]));
}

/** A count as en-US writes it (1,234); whole numbers are grouped here because toLocaleString loads ICU's number data. */
export function formatCount(n: number): string {
  return Number.isSafeInteger(n) && !Object.is(n, -0) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US');
}
