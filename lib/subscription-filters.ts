import { severityScore } from '../lambda/core/severity';
import { SMS_ATTRIBUTE } from '../lambda/delivery/sms-attribute';
import type { Subscriber, SubscriberKind } from './context-settings';

/**
 * The SNS filter policy (scope MessageAttributes) of one subscriber on the alert topic, as plain JSON so
 * tests and the README can show it exactly.
 *
 * Keys are the message attributes the publisher sets on every alert: severityScore (Number), category
 * (String), sample (String "true"/"false") and sms (String, lambda/delivery/sms-budget.ts: "true", "false"
 * past the SMS budget, "notice" for the SMS that tells what the budget held back). SNS allows at most 5 keys
 * and 150 value combinations; this uses at most 4 keys and (2 + 12) x 2 combinations for email and HTTPS,
 * 1 + 2 + 12 for SMS (SNS counts each `$or` branch, times the keys beside the `$or`).
 *
 * The daily digest is INFO. A subscriber whose categories name DIGEST asked for it, so it gets it whatever
 * its minimum severity: the policy is then `$or` of the digest and the rest (SNS's OR operator). The TEST
 * alerts of `macie-alerts selftest` (INFO) reach every subscriber the same way, whatever its categories and
 * minimum severity: a self-test is there to show that each endpoint receives alerts.
 *
 * SMS: an alert past the hour's budget goes out with sms "false", so only "true" reaches a phone, and the
 * budget's notice (sms "notice") reaches every SMS subscriber, whatever its filter, and nobody else.
 */
export type FilterPolicyJson = Record<string, unknown[]>;

export function alertFilterPolicy(subscriber: Subscriber, kind: SubscriberKind): FilterPolicyJson | undefined {
  const policy: FilterPolicyJson = {};
  const minScore = severityScore(subscriber.minSeverity ?? 'INFO');
  const severity: FilterPolicyJson = minScore > 0 ? { severityScore: [{ numeric: ['>=', minScore] }] } : {};
  // PIPELINE alerts (the pipeline reporting on itself) reach everyone who relies on it.
  const categories = subscriber.categories && subscriber.categories.length > 0 ? [...new Set([...subscriber.categories, 'PIPELINE'])] : undefined;
  if (minScore === 0) {
    if (categories) policy.category = [...new Set([...categories, 'TEST'])];
  } else {
    // Whatever the severity: TEST always, DIGEST when named.
    const anySeverity = ['TEST', ...(categories?.includes('DIGEST') ? ['DIGEST'] : [])];
    policy.$or = [{ category: anySeverity }, { ...severity, ...(categories ? { category: categories.filter((c) => !anySeverity.includes(c)) } : {}) }];
  }
  if (kind !== 'sms') return { ...policy, [SMS_ATTRIBUTE]: ['true', 'false'] };
  // One $or: the notice, or any branch of the subscriber's own filter within the budget.
  const { $or, ...rest } = policy;
  const branches = ($or as FilterPolicyJson[] | undefined)?.map((b) => ({ ...rest, ...b })) ?? [rest];
  // Nobody is paged by SMS for Macie's sample findings.
  return { sample: ['false'], $or: [{ [SMS_ATTRIBUTE]: ['notice'] }, ...branches.map((b) => ({ ...b, [SMS_ATTRIBUTE]: ['true'] }))] };
}
