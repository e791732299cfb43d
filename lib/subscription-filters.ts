import { severityScore } from '../lambda/core/severity';
import type { Subscriber, SubscriberKind } from './context-settings';

/**
 * The SNS filter policy (scope MessageAttributes) of one subscriber on the alert topic, as plain JSON so
 * tests and the README can show it exactly. undefined = no policy: the subscriber gets every alert.
 *
 * Keys are the message attributes the publisher sets on every alert: severityScore (Number), category
 * (String), sample (String "true"/"false"). SNS allows at most 5 keys and 150 value combinations; this uses
 * at most 3 keys and 11 x 1 x 1 combinations.
 */
export type FilterPolicyJson = Record<string, unknown[]>;

export function alertFilterPolicy(subscriber: Subscriber, kind: SubscriberKind): FilterPolicyJson | undefined {
  const policy: FilterPolicyJson = {};
  const minScore = severityScore(subscriber.minSeverity ?? 'INFO');
  if (minScore > 0) policy.severityScore = [{ numeric: ['>=', minScore] }];
  if (subscriber.categories && subscriber.categories.length > 0) {
    // PIPELINE alerts (the pipeline reporting on itself) reach everyone who relies on it.
    policy.category = [...new Set([...subscriber.categories, 'PIPELINE'])];
  }
  // Nobody is paged by SMS for Macie's sample findings.
  if (kind === 'sms') policy.sample = ['false'];
  return Object.keys(policy).length > 0 ? policy : undefined;
}
