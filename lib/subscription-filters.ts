import { severityScore } from '../lambda/core/severity';
import { SMS_ATTRIBUTE } from '../lambda/delivery/sms-attribute';
import type { Subscriber, SubscriberKind } from './context-settings';

/**
 * The SNS filter policy (scope MessageAttributes) of one subscriber, as plain JSON so tests and the README show it
 * exactly; within SNS's key and combination limits (the attributes and the digest, TEST and SMS rules:
 * docs/design-notes.md).
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
