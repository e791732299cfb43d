import * as z from 'zod/mini';
import { ALERT_CATEGORIES, type AffectedResources, type Alert, type AlertCategory } from '../core/alert';
import { SEVERITIES, type Severity } from '../core/severity';
import { CorruptItemError, compact, itemCodec } from '../state/codec';
import type { Condition, Item, WriteOp } from '../state/store';
import { GSI1, GSI2, keyPart, keys, utcDay, type ItemKey } from '../state/table';
import type { PossibleRepeat } from './possible-repeat';
import type { SmsRoute } from './sms-budget';

/**
 * The outbox's ALERT item (ALERT#<alertId> / ALERT): the one place that knows its layout. It lives with the
 * outbox rather than in state/ because its states and transitions are delivery's, not storage's:
 *
 *   PENDING --claim--> SENDING --settle: SNS took it--> SENT
 *      ^                  |
 *      +--settle: SNS did not take it (or may have: then `interruptedAt` is set)
 *   SENDING past its lease --claim (take-over)--> SENDING, with `interruptedAt` set
 *
 * An alert with `interruptedAt` may already have reached people, so every later copy of it is labelled as a
 * possible repeat. Index keys are derived from the status: PENDING alerts are listed under PENDING_ALERT by
 * the time they became pending, SENDING ones under SENDING_ALERT by the end of their lease (so the sweeper
 * finds both), SENT ones nowhere. Every alert is also listed, once, in the digest's index (gsi2) under the
 * day it was raised, with its `facts`: what the daily digest counts, without reading the body.
 */
export type AlertDelivery =
  | { readonly status: 'PENDING'; readonly since: string }
  | { readonly status: 'SENDING'; readonly claimedAt: string; readonly leaseExpiresAt: string }
  /** Items written before claims were confirmed have claimedAt and no sentAt. */
  | { readonly status: 'SENT'; readonly claimedAt?: string; readonly sentAt?: string };

export interface OutboxAlert {
  readonly alert: Alert;
  /** The aggregate whose `pendingAlerts` lists the alert until it is SENT. */
  readonly owner: ItemKey;
  readonly createdAt: string;
  /** TTL (epoch seconds). */
  readonly expiresAt: number;
  /** When a delivery that may have handed the alert to SNS was interrupted; later copies are labelled. */
  readonly interruptedAt?: string;
  /** The SMS budget's decision (sms-budget.ts), once made: every later copy of the alert carries the same. */
  readonly smsRoute?: SmsRoute;
  readonly delivery: AlertDelivery;
}

/** A claim this invocation won: what it must publish and then settle. */
export interface Claimed {
  readonly alert: Alert;
  readonly owner: ItemKey;
  readonly claimedAt: string;
  /** Set when an earlier delivery of the alert was interrupted: this copy is labelled. */
  readonly repeat?: PossibleRepeat;
  /** The SMS budget's decision recorded on the item before this claim, if any. */
  readonly smsRoute?: SmsRoute;
}

const schema = z.object({
  pk: z.string(),
  sk: z.string(),
  alertId: z.string(),
  status: z.enum(['PENDING', 'SENDING', 'SENT']),
  alert: z.string(),
  ownerPk: z.string(),
  ownerSk: z.string(),
  createdAt: z.string(),
  claimedAt: z.optional(z.string()),
  leaseExpiresAt: z.optional(z.string()),
  sentAt: z.optional(z.string()),
  interruptedAt: z.optional(z.string()),
  smsRoute: z.optional(z.enum(['true', 'false', 'notice'])),
  gsi1sk: z.optional(z.string()),
  expiresAt: z.number(),
});

function delivery(item: z.output<typeof schema>, key: ItemKey): AlertDelivery {
  if (item.status === 'PENDING') return { status: 'PENDING', since: item.gsi1sk ?? item.createdAt };
  if (item.status === 'SENT') return compact({ status: 'SENT', claimedAt: item.claimedAt, sentAt: item.sentAt }) as AlertDelivery;
  if (item.claimedAt === undefined || item.leaseExpiresAt === undefined) {
    throw new CorruptItemError('alert', key, 'SENDING without claimedAt and leaseExpiresAt');
  }
  return { status: 'SENDING', claimedAt: item.claimedAt, leaseExpiresAt: item.leaseExpiresAt };
}

function body(text: string, id: string, key: ItemKey): Alert {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CorruptItemError('alert', key, 'alert: not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { id?: unknown }).id !== id) {
    throw new CorruptItemError('alert', key, `alert: not an alert with id ${id}`);
  }
  return parsed as Alert;
}

/**
 * What the daily digest (lambda/sweeper/digest.ts) reads of an alert: derived from it when the item is
 * written, projected into the digest's index. A few hundred bytes, so a Query page holds thousands.
 */
export interface AlertFacts {
  readonly category: AlertCategory;
  readonly severity: Severity;
  readonly eventType: string;
  readonly count: number;
  readonly sample: boolean;
  readonly accountId: string;
  /** The first FACT_NAMES names of the buckets, accounts and principals it is about, and how many in all. */
  readonly affected: readonly AffectedResources[];
}

/** Names kept per kind of resource, and characters per name: enough for the digest's top lists, bounded. */
export const FACT_NAMES = 3;
export const FACT_NAME_CHARS = 128;
const FACT_KINDS: ReadonlySet<AffectedResources['kind']> = new Set(['bucket', 'account', 'principal']);

/** At most `max` characters (code points, so a cut never splits a surrogate pair). */
function cut(text: string, max: number): string {
  return text.length <= max ? text : [...text].slice(0, max).join('');
}

export function alertFacts(alert: Alert): AlertFacts {
  return {
    category: alert.category,
    severity: alert.severity,
    eventType: cut(alert.eventType, FACT_NAME_CHARS),
    count: alert.count,
    sample: alert.sample,
    accountId: cut(alert.accountId, FACT_NAME_CHARS),
    affected: alert.affected
      .filter((a) => FACT_KINDS.has(a.kind))
      .map((a) => ({ kind: a.kind, items: a.items.slice(0, FACT_NAMES).map((name) => cut(name, FACT_NAME_CHARS)), total: Math.max(a.total, a.items.length) })),
  };
}

const factsSchema = z.object({
  category: z.enum(ALERT_CATEGORIES),
  severity: z.enum(SEVERITIES),
  eventType: z.string(),
  count: z.number(),
  sample: z.boolean(),
  accountId: z.string(),
  affected: z.array(z.object({ kind: z.enum(['bucket', 'account', 'object', 'principal', 'finding']), items: z.array(z.string()), total: z.number() })),
});

/** One alert as the digest's index lists it: when it was raised, its facts, and the aggregate that owns it. */
export interface DigestIndexEntry {
  readonly createdAt: string;
  readonly facts: AlertFacts;
  readonly owner: ItemKey;
}

/** An entry of the ALERTS partitions of gsi2 (keys and projected attributes only); undefined when it is not one. */
export function digestIndexEntry(item: Item): DigestIndexEntry | undefined {
  const facts = factsSchema.safeParse(item.facts);
  const { gsi2sk, ownerPk, ownerSk } = item;
  if (!facts.success || typeof gsi2sk !== 'string' || typeof ownerPk !== 'string' || typeof ownerSk !== 'string') return undefined;
  return { createdAt: gsi2sk.slice(0, gsi2sk.indexOf('#')), facts: facts.data, owner: { pk: ownerPk, sk: ownerSk } };
}

function indexKeys(d: AlertDelivery): Item {
  if (d.status === 'PENDING') return { gsi1pk: GSI1.pendingAlert, gsi1sk: d.since };
  if (d.status === 'SENDING') return { gsi1pk: GSI1.sendingAlert, gsi1sk: d.leaseExpiresAt };
  return {};
}

export const alertItemCodec = itemCodec(
  'alert',
  schema,
  (v: OutboxAlert): Item =>
    compact({
      ...keys.alert(v.alert.id),
      alertId: v.alert.id,
      status: v.delivery.status,
      alert: JSON.stringify(v.alert),
      ownerPk: v.owner.pk,
      ownerSk: v.owner.sk,
      createdAt: v.createdAt,
      claimedAt: v.delivery.status === 'PENDING' ? undefined : v.delivery.claimedAt,
      leaseExpiresAt: v.delivery.status === 'SENDING' ? v.delivery.leaseExpiresAt : undefined,
      sentAt: v.delivery.status === 'SENT' ? v.delivery.sentAt : undefined,
      interruptedAt: v.interruptedAt,
      smsRoute: v.smsRoute,
      ...indexKeys(v.delivery),
      facts: alertFacts(v.alert),
      gsi2pk: GSI2.alerts(utcDay(v.createdAt)),
      gsi2sk: `${v.createdAt}#${keyPart(v.alert.id)}`,
      expiresAt: v.expiresAt,
    }),
  (item): OutboxAlert => {
    const key = { pk: item.pk, sk: item.sk };
    return compact({
      alert: body(item.alert, item.alertId, key),
      owner: { pk: item.ownerPk, sk: item.ownerSk },
      createdAt: item.createdAt,
      expiresAt: item.expiresAt,
      interruptedAt: item.interruptedAt,
      smsRoute: item.smsRoute,
      delivery: delivery(item, key),
    }) as unknown as OutboxAlert;
  },
);

/** What the sweeper needs from an index entry to deliver it: the alert and its owner (bodies are read later). */
export function outboxEntry(item: Item): { alertId: string; owner: ItemKey } | undefined {
  const { alertId, ownerPk, ownerSk } = item;
  return typeof alertId === 'string' && typeof ownerPk === 'string' && typeof ownerSk === 'string'
    ? { alertId, owner: { pk: ownerPk, sk: ownerSk } }
    : undefined;
}

const STATUS = { '#status': 'status' };

/** The item is still in the state it was read in: nobody claimed, settled or relabelled it since. */
function unchanged(read: OutboxAlert): Condition {
  const d = read.delivery;
  if (d.status === 'SENDING') {
    return { expression: '#status = :seenStatus AND claimedAt = :seenClaim', names: STATUS, values: { ':seenStatus': d.status, ':seenClaim': d.claimedAt } };
  }
  return read.interruptedAt === undefined
    ? { expression: '#status = :seenStatus AND attribute_not_exists(interruptedAt)', names: STATUS, values: { ':seenStatus': d.status } }
    : {
        expression: '#status = :seenStatus AND interruptedAt = :seenInterrupted',
        names: STATUS,
        values: { ':seenStatus': d.status, ':seenInterrupted': read.interruptedAt },
      };
}

/** Claimable now: PENDING, or SENDING past its lease (a delivery that died, or lost SNS's answer for good). */
export function claimable(read: OutboxAlert, now: Date): boolean {
  const d = read.delivery;
  return d.status === 'PENDING' || (d.status === 'SENDING' && Date.parse(d.leaseExpiresAt) <= now.getTime());
}

/**
 * PENDING (or expired SENDING) -> SENDING under a new lease, conditional on the item as read. Taking over an
 * expired claim records that claim's time in `interruptedAt`: its delivery may have reached SNS.
 */
export function claimWrite(read: OutboxAlert, claimedAt: string, leaseExpiresAt: string): { op: WriteOp; claimed: Claimed } {
  const interruptedAt = read.interruptedAt ?? (read.delivery.status === 'SENDING' ? read.delivery.claimedAt : undefined);
  const condition = unchanged(read);
  const op: WriteOp = {
    kind: 'update',
    key: keys.alert(read.alert.id),
    expression: `SET #status = :sending, claimedAt = :claimedAt, leaseExpiresAt = :lease, gsi1pk = :index, gsi1sk = :lease${interruptedAt !== undefined ? ', interruptedAt = :interruptedAt' : ''}`,
    names: STATUS,
    values: {
      ':sending': 'SENDING',
      ':claimedAt': claimedAt,
      ':lease': leaseExpiresAt,
      ':index': GSI1.sendingAlert,
      ...(interruptedAt !== undefined ? { ':interruptedAt': interruptedAt } : {}),
    },
    condition,
  };
  const claimed: Claimed = {
    alert: read.alert,
    owner: read.owner,
    claimedAt,
    ...(interruptedAt !== undefined ? { repeat: { interruptedAt } } : {}),
    ...(read.smsRoute !== undefined ? { smsRoute: read.smsRoute } : {}),
  };
  return { op, claimed };
}

/** The claim is still ours: nobody took it over after its lease ran out. */
function stillOurs(claim: Claimed): Condition {
  return { expression: '#status = :sending AND claimedAt = :ourClaim', names: STATUS, values: { ':sending': 'SENDING', ':ourClaim': claim.claimedAt } };
}

/** SENDING -> SENT once SNS has taken the alert. */
export function confirmWrite(claim: Claimed, sentAt: string): WriteOp {
  return {
    kind: 'update',
    key: keys.alert(claim.alert.id),
    expression: 'SET #status = :sent, sentAt = :sentAt REMOVE leaseExpiresAt, gsi1pk, gsi1sk',
    names: STATUS,
    values: { ':sent': 'SENT', ':sentAt': sentAt },
    condition: stillOurs(claim),
  };
}

/**
 * SENDING -> PENDING when SNS did not take the alert. `uncertain`: it may have (its answer never came), so
 * the alert keeps (or gets) `interruptedAt` and its next copy is labelled.
 */
export function releaseWrite(claim: Claimed, at: string, uncertain: boolean): WriteOp {
  const interruptedAt = uncertain && !claim.repeat ? claim.claimedAt : undefined;
  return {
    kind: 'update',
    key: keys.alert(claim.alert.id),
    expression: `SET #status = :pending, gsi1pk = :index, gsi1sk = :at${interruptedAt ? ', interruptedAt = :interruptedAt' : ''} REMOVE claimedAt, leaseExpiresAt`,
    names: STATUS,
    values: { ':pending': 'PENDING', ':index': GSI1.pendingAlert, ':at': at, ...(interruptedAt ? { ':interruptedAt': interruptedAt } : {}) },
    condition: stillOurs(claim),
  };
}
