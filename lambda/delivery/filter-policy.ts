import type { MessageAttributeValue } from '@aws-sdk/client-sns';

/**
 * SNS subscription filter policies (scope MessageAttributes), evaluated as SNS evaluates them, for the
 * operators this app writes (lib/subscription-filters.ts): exact strings, `numeric` comparisons and `$or`.
 * Keys of a policy are ANDed; the values of one key are ORed; an attribute the message lacks matches
 * nothing. Delivery uses it to know whether an alert would reach an SMS subscriber (sms-budget.ts), and the
 * tests use it to say who receives what was published. An operator it does not know matches nothing.
 */
export type FilterPolicy = Readonly<Record<string, readonly unknown[]>>;

export type FilterMatch =
  | { readonly matches: true }
  /** The first key whose values the message did not match (for a `$or`, the key `$or`). */
  | { readonly matches: false; readonly failedKey: string };

export function evaluateFilterPolicy(policy: FilterPolicy, attributes: Readonly<Record<string, MessageAttributeValue>>): FilterMatch {
  for (const [key, values] of Object.entries(policy)) {
    const ok =
      key === '$or'
        ? values.some((branch) => typeof branch === 'object' && branch !== null && evaluateFilterPolicy(branch as FilterPolicy, attributes).matches)
        : values.some((value) => valueMatches(value, attributes[key]));
    if (!ok) return { matches: false, failedKey: key };
  }
  return { matches: true };
}

export function filterPolicyMatches(policy: FilterPolicy | undefined, attributes: Readonly<Record<string, MessageAttributeValue>>): boolean {
  return policy === undefined || evaluateFilterPolicy(policy, attributes).matches;
}

function valueMatches(value: unknown, attribute: MessageAttributeValue | undefined): boolean {
  if (attribute?.StringValue === undefined) return false;
  if (typeof value === 'string') return attribute.DataType === 'String' && attribute.StringValue === value;
  if (typeof value === 'number') return attribute.DataType === 'Number' && Number(attribute.StringValue) === value;
  if (typeof value === 'object' && value !== null && 'numeric' in value && attribute.DataType === 'Number') {
    return numericMatches((value as { numeric: unknown }).numeric, Number(attribute.StringValue));
  }
  return false;
}

const COMPARE: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  '=': (a, b) => a === b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
};

/** `["op", n]` or `["op", n, "op", n]` (a range): every comparison must hold. */
function numericMatches(spec: unknown, n: number): boolean {
  if (!Array.isArray(spec) || spec.length === 0 || spec.length % 2 !== 0 || !Number.isFinite(n)) return false;
  for (let i = 0; i < spec.length; i += 2) {
    const compare = COMPARE[String(spec[i])];
    const bound = spec[i + 1];
    if (!compare || typeof bound !== 'number' || !compare(n, bound)) return false;
  }
  return true;
}
