import type { Alert } from '../core/alert';
import { gsm7Length, plainSafeLine, toGsm7, truncateGsm7 } from '../core/sanitize';
import { possibleRepeatSms, type PossibleRepeat } from './possible-repeat';

/** One SMS segment in GSM-7. Everything is transliterated to GSM-7 so the budget never drops to 70. */
export const SMS_MAX_SEPTETS = 160;

/**
 * One GSM-7 line of at most 160 septets, severity first, such as
 * `HIGH SAMPLE: Macie job My_Job: bucket access denied | bucket my-bucket +2 | 123456789012 us-east-1`.
 * The least useful parts go first when it does not fit; a possible repeat's label only when it still fits.
 */
export function renderSms(alert: Alert, repeat?: PossibleRepeat): string {
  const text = smsText(alert);
  if (!repeat) return text;
  const labelled = `${text} | ${possibleRepeatSms(repeat)}`;
  return gsm7Length(labelled) <= SMS_MAX_SEPTETS ? labelled : text;
}

function smsText(alert: Alert): string {
  const sms = (s: string, max: number) => toGsm7(plainSafeLine(s, max)).trim();
  const prefix = `${alert.severity}${alert.sample ? ' SAMPLE' : ''}: `;
  const headline = sms(alert.headline, 300) || sms(alert.eventType, 80) || 'Macie alert';
  const where = [sms(alert.accountId, 20), sms(alert.region, 20)].filter(Boolean).join(' ');
  // The account is already in `where`; name the first other resource.
  const first = alert.affected.find((a) => a.items.length > 0 && !(a.kind === 'account' && a.items[0] === alert.accountId && a.total <= 1));
  const affected = first ? `${first.kind} ${sms(first.items[0], 63)}${first.total > 1 ? ` +${first.total - 1}${first.atLeast ? ' or more' : ''}` : ''}` : '';

  // No count of its own: headlines already say "seen 5 times" where a count matters.
  const join = (...parts: string[]) => parts.filter(Boolean).join(' | ');
  const candidates = [join(prefix + headline, affected, where), join(prefix + headline, where)];
  for (const line of candidates) if (gsm7Length(line) <= SMS_MAX_SEPTETS) return line;

  // The headline itself is too long: keep where it happened if the headline can still say something useful.
  const tail = where ? ` | ${where}` : '';
  const headBudget = SMS_MAX_SEPTETS - gsm7Length(prefix) - gsm7Length(tail);
  if (headBudget >= 60) return prefix + truncateGsm7(headline, headBudget) + tail;
  return truncateGsm7(prefix + headline, SMS_MAX_SEPTETS);
}
