import { severityScore } from '../lambda/core/severity';
import type { Subscriber, SubscriberKind } from './context-settings';

/**
 * The SNS filter policy (scope MessageAttributes) of one subscriber on the alert topic, as plain JSON so
 * tests and the README can show it exactly. undefined = no policy: the subscriber gets every alert.
 *
 * Keys are the message attributes the publisher sets on every alert: severityScore (Number), category
 * (String), sample (String "true"/"false"). SNS allows at most 5 keys and 150 value combinations; this uses
 * at most 3 keys and 14 x 1 x 1 combinations (with `$or`, 2 + 12: SNS counts each branch).
 *
 * The daily digest is INFO. A subscriber whose categories name DIGEST asked for it, so it gets it whatever
 * its minimum severity: the policy is then `$or` of the digest and the rest (SNS's OR operator). The TEST
 * alerts of `macie-alerts selftest` (INFO) reach every subscriber the same way, whatever its categories and
 * minimum severity: a self-test is there to show that each endpoint receives alerts.
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
  // Nobody is paged by SMS for Macie's sample findings.
  if (kind === 'sms') policy.sample = ['false'];
  return Object.keys(policy).length > 0 ? policy : undefined;
}
