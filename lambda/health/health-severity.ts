import type { Severity } from '../core/severity';

/**
 * How urgent an AWS Health event about Macie is. Health's category says what kind of notice it is; Macie's
 * own codes vary, so a pending expiration or cancellation of a job is told from the code or the
 * description rather than from one code. Pure, with a named reason (table tests in test/health).
 */
export type HealthSeverityReason = 'resolved' | 'job-expiring' | 'issue' | 'investigation' | 'scheduled-change' | 'account-notification' | 'unknown-category';

export interface HealthSeverity {
  readonly severity: Severity;
  readonly reason: HealthSeverityReason;
}

export interface HealthSeverityInput {
  readonly eventTypeCode: string;
  readonly eventTypeCategory: string;
  readonly statusCode?: string | null;
  readonly description: string;
}

const EXPIRY_CODE = /EXPIR|CANCEL/i;
/** "... paused ... will expire", "... job will be cancelled": a job about to be lost. */
const EXPIRY_TEXT = /\b(expire|expires|expiring|expiration|cancel|cancels|cancelled|canceled|cancellation)\b/i;
const JOB_TEXT = /\bjob/i;

export function healthSeverity(input: HealthSeverityInput): HealthSeverity {
  if (input.statusCode?.toLowerCase() === 'closed') return { severity: 'INFO', reason: 'resolved' };
  if (EXPIRY_CODE.test(input.eventTypeCode) || (EXPIRY_TEXT.test(input.description) && JOB_TEXT.test(input.description))) {
    return { severity: 'HIGH', reason: 'job-expiring' };
  }
  switch (input.eventTypeCategory) {
    case 'issue':
      return { severity: 'MEDIUM', reason: 'issue' };
    case 'investigation':
      return { severity: 'MEDIUM', reason: 'investigation' };
    case 'scheduledChange':
      return { severity: 'LOW', reason: 'scheduled-change' };
    case 'accountNotification':
      return { severity: 'LOW', reason: 'account-notification' };
    default:
      // A category Health adds later: worth a look, not a page.
      return { severity: 'MEDIUM', reason: 'unknown-category' };
  }
}
