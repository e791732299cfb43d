import * as z from 'zod/mini';
import { SEVERITIES, type Severity } from '../core/severity';
import { itemCodec } from '../state/codec';
import { atVersion, type Item, type WriteOp } from '../state/store';
import { keyPart, keys } from '../state/table';
import type { SmsRoute } from './sms-attribute';

/**
 * The SMS budget: SMS subscribers receive at most `smsMaxPerHour` alerts per fixed UTC hour. SNS filter
 * policies are static, so every published alert carries the message attribute `sms` (SmsRoute), which every
 * SMS subscription's policy requires to be "true", and every other subscription's policy to be "true" or
 * "false" ("notice" is the sweeper's "N more alerts" SMS, for SMS subscriptions only).
 *
 * One counter item per hour (SMSBUDGET / <yyyy-mm-ddThh>) records the ids it let through (at most the
 * budget) and counts the alerts it refused, by severity, until a notice tells them. Each decision is written
 * on the alert's own ALERT item in the same conditional write as the counter, so a retry, a take-over or a
 * labelled repeat of the alert reuses it: an alert never uses budget twice, and one refused stays refused.
 */
export { SMS_ATTRIBUTE, SMS_UNBUDGETED, type SmsRoute } from './sms-attribute';

/** The largest budget: the counter keeps the ids it let through, so its size is bounded by it. */
export const SMS_MAX_PER_HOUR_LIMIT = 100;
/** Counters outlive their hour by this much: the sweep after it still tells what it refused. */
export const SMS_BUDGET_TTL_HOURS = 48;

export const SMS_BUDGET_PARTITION = 'SMSBUDGET';

export type SeverityCounts = Partial<Record<Severity, number>>;

export interface SmsBudgetCounter {
  /** The UTC hour counted, yyyy-mm-ddThh: also the item's sort key. */
  readonly hour: string;
  /** The alerts let through this hour (keyPart of their ids): never more than the budget. */
  readonly allowed: readonly string[];
  /** Alerts refused this hour, in all. */
  readonly refused: number;
  /** Of `refused`, how many a notice already told. */
  readonly told: number;
  /** The refused alerts not told yet, by severity, and when the first of them was refused. */
  readonly untold: SeverityCounts;
  readonly untoldSince?: string;
  readonly version: number;
  /** TTL (epoch seconds). */
  readonly expiresAt: number;
}

/** The fixed UTC hour of an instant: yyyy-mm-ddThh. */
export function budgetHour(at: Date): string {
  return at.toISOString().slice(0, 13);
}

export function smsBudgetKey(hour: string): { pk: string; sk: string } {
  return { pk: SMS_BUDGET_PARTITION, sk: hour };
}

const schema = z.object({
  pk: z.string(),
  sk: z.string(),
  allowed: z.array(z.string()),
  refused: z.number(),
  told: z.number(),
  untold: z.partialRecord(z.enum(SEVERITIES), z.number()),
  untoldSince: z.optional(z.string()),
  version: z.number(),
  expiresAt: z.number(),
});

export const smsBudgetCodec = itemCodec(
  'SMS budget',
  schema,
  (c: SmsBudgetCounter): Item => ({
    ...smsBudgetKey(c.hour),
    allowed: [...c.allowed],
    refused: c.refused,
    told: c.told,
    untold: { ...c.untold },
    ...(c.untoldSince !== undefined ? { untoldSince: c.untoldSince } : {}),
    version: c.version,
    expiresAt: c.expiresAt,
  }),
  (item): SmsBudgetCounter => ({
    hour: item.sk,
    allowed: item.allowed,
    refused: item.refused,
    told: item.told,
    untold: item.untold as SeverityCounts,
    ...(item.untoldSince !== undefined ? { untoldSince: item.untoldSince } : {}),
    version: item.version,
    expiresAt: item.expiresAt,
  }),
);

export function emptyCounter(hour: string): SmsBudgetCounter {
  const end = Date.parse(`${hour}:00:00.000Z`) + 3_600_000;
  return { hour, allowed: [], refused: 0, told: 0, untold: {}, version: 0, expiresAt: Math.floor(end / 1000) + SMS_BUDGET_TTL_HOURS * 3600 };
}

export type SmsBudgetReason =
  /** Counted now: the hour had room. */
  | 'within-budget'
  /** Already among the ids the hour let through (its decision was lost to a rewrite): not counted again. */
  | 'already-allowed'
  /** The hour's budget is used up: counted as refused, told by the next sweep's notice. */
  | 'over-budget';

export interface SmsBudgetDecision {
  readonly route: 'true' | 'false';
  readonly reason: SmsBudgetReason;
}

export interface BudgetCandidate {
  readonly id: string;
  readonly severity: Severity;
}

/**
 * The decisions for alerts no decision was recorded for, in the order given, and the counter after them.
 * Pure: the caller writes the counter and the decisions in one conditional write.
 */
export function decideSmsBudget(
  counter: SmsBudgetCounter,
  candidates: readonly BudgetCandidate[],
  maxPerHour: number,
  at: Date,
): { decisions: Map<string, SmsBudgetDecision>; next: SmsBudgetCounter } {
  const decisions = new Map<string, SmsBudgetDecision>();
  const allowed = [...counter.allowed];
  const untold: SeverityCounts = { ...counter.untold };
  let { refused, untoldSince } = counter;
  for (const c of candidates) {
    const id = keyPart(c.id);
    if (decisions.has(c.id)) continue;
    if (allowed.includes(id)) decisions.set(c.id, { route: 'true', reason: 'already-allowed' });
    else if (allowed.length < maxPerHour) {
      allowed.push(id);
      decisions.set(c.id, { route: 'true', reason: 'within-budget' });
    } else {
      refused++;
      untold[c.severity] = (untold[c.severity] ?? 0) + 1;
      untoldSince ??= at.toISOString();
      decisions.set(c.id, { route: 'false', reason: 'over-budget' });
    }
  }
  const next: SmsBudgetCounter = { ...counter, allowed, refused, untold, ...(untoldSince !== undefined ? { untoldSince } : {}), version: counter.version + 1 };
  return { decisions, next };
}

/**
 * The counter as decided, conditional on the version read (absent: still absent, or expired). An update, not a
 * put: the item also owns the notices it raised (pendingAlerts), which delivery removes as they are sent.
 */
export function counterWrite(read: SmsBudgetCounter | undefined, next: SmsBudgetCounter): WriteOp {
  const { pk, sk, ...attributes } = smsBudgetCodec.encode(next);
  void pk;
  void sk;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const set = Object.entries(attributes).map(([name, value], i) => {
    names[`#a${i}`] = name;
    values[`:a${i}`] = value;
    return `#a${i} = :a${i}`;
  });
  const remove = next.untoldSince === undefined ? ' REMOVE untoldSince' : '';
  return { kind: 'update', key: smsBudgetKey(next.hour), expression: `SET ${set.join(', ')}${remove}`, names, values, condition: atVersion(read?.version) };
}

/** The decision on the alert's own item, while this delivery's claim holds and no decision is there yet. */
export function routeWrite(alertId: string, claimedAt: string, route: SmsRoute): WriteOp {
  return {
    kind: 'update',
    key: keys.alert(alertId),
    expression: 'SET smsRoute = :route',
    values: { ':route': route },
    condition: {
      expression: '#status = :sending AND claimedAt = :ourClaim AND attribute_not_exists(smsRoute)',
      names: { '#status': 'status' },
      values: { ':sending': 'SENDING', ':ourClaim': claimedAt },
    },
  };
}
