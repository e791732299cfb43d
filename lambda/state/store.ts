import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { epochSeconds, type GSI1, TABLE_KEYS, type ItemKey } from './table';

export type Item = Record<string, unknown>;

export interface Condition {
  readonly expression: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
  /**
   * The condition holds on an item past its TTL too: the item as read was absent (every read treats an
   * expired item as absent, and DynamoDB deletes it only within days), so the write must take it as absent.
   * The store sends it with its own clock (conditionAsSent).
   */
  readonly orExpired?: true;
}

/**
 * One write of an atomic group: a whole-item put or an update expression, each optionally conditional, or a
 * condition on an item the group does not write (TransactWriteItems' ConditionCheck: it travels in a
 * transaction only, and costs no request of its own).
 */
export type WriteOp =
  | { readonly kind: 'put'; readonly item: Item; readonly condition?: Condition }
  | { readonly kind: 'condition-check'; readonly key: ItemKey; readonly condition: Condition }
  | {
      readonly kind: 'update';
      readonly key: ItemKey;
      readonly expression: string;
      readonly names?: Record<string, string>;
      readonly values?: Record<string, unknown>;
      readonly condition?: Condition;
    };

/** A conditional write lost (another invocation wrote first, or the item already exists). */
export class ConditionalWriteConflict extends Error {
  /**
   * @param failedIndexes the ops whose condition failed
   * @param contention true when a concurrent transaction, not a condition, cancelled the write (retry as is)
   */
  constructor(
    readonly failedIndexes: readonly number[],
    readonly contention = false,
  ) {
    super(contention ? 'write cancelled by a concurrent transaction' : `conditional write failed for operation(s) ${failedIndexes.join(', ')}`);
    this.name = 'ConditionalWriteConflict';
  }
}

/** The item is absent: not in the table, or past its TTL (read as absent, so written as absent too). */
export const notExists: Condition = { expression: 'attribute_not_exists(pk)', orExpired: true };

/**
 * The condition DynamoDB is sent at `now`: as written, or, for one that holds on an expired item too,
 * `(<condition>) OR expiresAt < :now` in epoch seconds, the test reads make (isExpired).
 */
export function conditionAsSent(condition: Condition, now: Date): Condition {
  if (!condition.orExpired) return condition;
  return {
    expression: `(${condition.expression}) OR #ttl < :now`,
    names: { ...condition.names, '#ttl': TABLE_KEYS.ttlAttribute },
    values: { ...condition.values, ':now': epochSeconds(now) },
  };
}

/** An item whose TTL (epoch seconds) has passed at `now`: absent for every read and every write condition. */
export function isExpired(item: Item, now: Date): boolean {
  const ttl = item[TABLE_KEYS.ttlAttribute];
  return typeof ttl === 'number' && ttl < epochSeconds(now);
}

/** The item must still be at the version we read (or still absent, expired included, when we read nothing). */
export function atVersion(version: number | undefined): Condition {
  return version === undefined
    ? notExists
    : { expression: '#version = :expectedVersion', names: { '#version': 'version' }, values: { ':expectedVersion': version } };
}

/**
 * The item is unchanged since we read it (absent items must still be absent or expired; versionless ones still
 * versionless). Takes the item as read, or its decoded state (both carry `version`).
 */
export function unchangedSince(read: { readonly version?: unknown } | undefined): Condition {
  if (read !== undefined && typeof read.version !== 'number') {
    return { expression: 'attribute_exists(pk) AND attribute_not_exists(#version)', names: { '#version': 'version' } };
  }
  return atVersion(read?.version as number | undefined);
}

const PRIMARY_KEY: ReadonlySet<string> = new Set([TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey]);

/**
 * The write that turns `before` (as read) into `after`: a put when nothing was read, else an update of only the
 * changed attributes, since the SDK serialises every byte it sends. Equality is strict: a doubt writes the attribute.
 */
export function writeChanges(after: Item, before: Item | undefined, condition?: Condition): WriteOp {
  if (!before) return { kind: 'put', item: after, ...(condition ? { condition } : {}) };
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const set: string[] = [];
  const remove: string[] = [];
  for (const [name, value] of Object.entries(after)) {
    if (value === undefined || PRIMARY_KEY.has(name) || isDeepStrictEqual(value, before[name])) continue;
    const n = set.length;
    names[`#s${n}`] = name;
    values[`:s${n}`] = value;
    set.push(`#s${n} = :s${n}`);
  }
  for (const name of Object.keys(before)) {
    if (after[name] !== undefined || PRIMARY_KEY.has(name)) continue;
    names[`#r${remove.length}`] = name;
    remove.push(`#r${remove.length}`);
  }
  const key = { pk: after.pk as string, sk: after.sk as string };
  if (set.length + remove.length === 0) return condition ? { kind: 'condition-check', key, condition } : { kind: 'put', item: after };
  const expression = [set.length > 0 ? `SET ${set.join(', ')}` : '', remove.length > 0 ? `REMOVE ${remove.join(', ')}` : ''].filter(Boolean).join(' ');
  return { kind: 'update', key, expression, names, values, ...(condition ? { condition } : {}) };
}

/** One item key as a string, for maps and sets of keys (NUL cannot occur in a key part). */
export const keyString = (k: ItemKey): string => `${k.pk}\u0000${k.sk}`;

/**
 * The only code that talks to DynamoDB. Reads are strongly consistent (state decisions depend on them);
 * items past their TTL are treated as absent because DynamoDB deletes them only eventually, by every read
 * and by every write condition that expects an absent item (notExists, Condition.orExpired).
 */
export class StateStore {
  /** Requests made, by kind: the bench and the cost tests read these. */
  readonly requests = { reads: 0, writes: 0 };

  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * A client with the SDK's default configuration, so AWS_ENDPOINT_URL_DYNAMODB can point it elsewhere.
   * convertClassInstanceToMap: the marshaller tells a map from a class instance by its `constructor`
   * property, so a map keyed by an event type named "constructor" would otherwise fail the whole write.
   */
  static fromDefaults(tableName: string, client = new DynamoDBClient({}), now?: () => Date): StateStore {
    const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: true };
    return new StateStore(DynamoDBDocumentClient.from(client, { marshallOptions }), tableName, now);
  }

  private live(item: Item | undefined): Item | undefined {
    return !item || isExpired(item, this.now()) ? undefined : item;
  }

  async get(key: ItemKey): Promise<Item | undefined> {
    return (await this.getMany([key])).get(keyString(key));
  }

  /** Reads up to 100 items in one request (more in several), retrying unprocessed keys. */
  async getMany(itemKeys: readonly ItemKey[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const unique = [...new Map(itemKeys.map((k) => [keyString(k), { pk: k.pk, sk: k.sk }])).values()];
    for (let i = 0; i < unique.length; i += 100) {
      let pending: Item[] | undefined = unique.slice(i, i + 100);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
        this.requests.reads++;
        const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const liveItem = this.live(item);
          if (liveItem) found.set(keyString(item as ItemKey), liveItem);
        }
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys as Item[] | undefined;
      }
    }
    return found;
  }

  lookup(found: Map<string, Item>, key: ItemKey): Item | undefined {
    return found.get(keyString(key));
  }

  /** Items of the sparse index gsi1 under one partition (OPEN_RUN, PENDING_ALERT, PERIODIC_JOB). */
  async listIndex(partition: (typeof GSI1)[keyof typeof GSI1], sortKeyBefore?: string): Promise<Item[]> {
    const { gsi1 } = TABLE_KEYS;
    return this.queryAll({
      IndexName: gsi1.indexName,
      KeyConditionExpression: sortKeyBefore === undefined ? '#p = :p' : '#p = :p AND #s < :s',
      ExpressionAttributeNames: sortKeyBefore === undefined ? { '#p': gsi1.partitionKey } : { '#p': gsi1.partitionKey, '#s': gsi1.sortKey },
      ExpressionAttributeValues: sortKeyBefore === undefined ? { ':p': partition } : { ':p': partition, ':s': sortKeyBefore },
    });
  }

  /**
   * Digest index (gsi2) entries of one partition with a sort key in [from, to], eventually consistent. No TTL is
   * projected: the digest reads only entries younger than the retention it requires (DIGEST_MIN_RETENTION_DAYS).
   */
  async listDigestIndex(partition: string, from: string, to: string): Promise<Item[]> {
    const { gsi2 } = TABLE_KEYS;
    return this.queryAll({
      IndexName: gsi2.indexName,
      KeyConditionExpression: '#p = :p AND #s BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#p': gsi2.partitionKey, '#s': gsi2.sortKey },
      ExpressionAttributeValues: { ':p': partition, ':from': from, ':to': to },
    });
  }

  /** Every item of one partition (the silences and acknowledgements: one Query for both). */
  async listPartition(pk: string): Promise<Item[]> {
    return this.queryAll({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true });
  }

  /** Items of one partition whose sort key starts with a prefix (e.g. a run's findings groups). */
  async listPrefix(pk: string, skPrefix: string): Promise<Item[]> {
    return this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
      ConsistentRead: true,
    });
  }

  /**
   * The same items newest first (descending sort key), read page by page while `wanted` asks for more: given
   * the items read so far, how many more the next page may hold (0 stops). Reads no more than it needs.
   */
  async listPrefixNewestFirst(pk: string, skPrefix: string, wanted: (items: readonly Item[]) => number): Promise<Item[]> {
    return this.queryAll(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
        ConsistentRead: true,
        ScanIndexForward: false,
      },
      wanted,
    );
  }

  /** Pages of one query, live items only: every page, or as many as `wanted` asks for (see listPrefixNewestFirst). */
  private async queryAll(
    query: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Limit'>,
    wanted?: (items: readonly Item[]) => number,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const limit = wanted?.(items);
      if (limit !== undefined && limit <= 0) break;
      this.requests.reads++;
      const out = await this.doc.send(new QueryCommand({ TableName: this.tableName, ...query, ExclusiveStartKey: start, Limit: limit }));
      for (const item of out.Items ?? []) {
        const liveItem = this.live(item);
        if (liveItem) items.push(liveItem);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * Applies the writes atomically: one plain write when there is one put or update (half the cost of a
   * transaction), else one TransactWriteItems. A lost condition becomes ConditionalWriteConflict naming the
   * ops; so does a conflict with a concurrent transaction (with `contention`), which is retried the same way.
   */
  async write(ops: readonly WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (ops.length > 100) throw new Error(`one atomic write holds at most 100 operations, got ${ops.length}`);
    this.requests.writes++;
    const now = this.now();
    try {
      if (ops.length === 1 && ops[0].kind !== 'condition-check') await this.writeOne(ops[0], now);
      else await this.doc.send(new TransactWriteCommand({ TransactItems: ops.map((op) => this.transactItem(op, now)) }));
    } catch (error) {
      throw translateWriteError(error, ops.length);
    }
  }

  /** A single op as a plain write: the same request a transaction would carry for it. */
  private async writeOne(op: Exclude<WriteOp, { kind: 'condition-check' }>, now: Date): Promise<void> {
    const { Put, Update } = this.transactItem(op, now);
    // Two sends, not one: the SDK's typed send() does not take a union of commands.
    if (Put) await this.doc.send(new PutCommand(Put));
    else if (Update) await this.doc.send(new UpdateCommand(Update));
  }

  private transactItem(op: WriteOp, now: Date): NonNullable<TransactWriteCommandInput['TransactItems']>[number] {
    const condition = op.condition && conditionAsSent(op.condition, now);
    if (op.kind === 'put') {
      return {
        Put: {
          TableName: this.tableName,
          Item: op.item,
          ConditionExpression: condition?.expression,
          ExpressionAttributeNames: condition?.names,
          ExpressionAttributeValues: condition?.values,
        },
      };
    }
    if (op.kind === 'condition-check') {
      const check = conditionAsSent(op.condition, now);
      return {
        ConditionCheck: {
          TableName: this.tableName,
          Key: { pk: op.key.pk, sk: op.key.sk },
          ConditionExpression: check.expression,
          ExpressionAttributeNames: check.names,
          ExpressionAttributeValues: check.values,
        },
      };
    }
    return {
      Update: {
        TableName: this.tableName,
        Key: { pk: op.key.pk, sk: op.key.sk },
        UpdateExpression: op.expression,
        ConditionExpression: condition?.expression,
        ...mergeExpressionParts(op, condition),
      },
    };
  }
}

function mergeExpressionParts(op: Extract<WriteOp, { kind: 'update' }>, condition: Condition | undefined) {
  const names = { ...op.names, ...condition?.names };
  const values = { ...op.values, ...condition?.values };
  return {
    ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
    ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
  };
}

function translateWriteError(error: unknown, opCount: number): unknown {
  const name = (error as { name?: string })?.name;
  if (name === 'ConditionalCheckFailedException') return new ConditionalWriteConflict([0]);
  // A plain write to an item a transaction in flight holds (the SDK does not retry this one).
  if (name === 'TransactionConflictException') return new ConditionalWriteConflict([0], true);
  if (name === 'TransactionCanceledException') {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    const failed = reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
    // A transaction also cancels on a conflict with a concurrent transaction: retrying is right for both.
    if (failed.length > 0) return new ConditionalWriteConflict(failed);
    if (reasons.some((r) => r.Code === 'TransactionConflict')) return new ConditionalWriteConflict([...Array(opCount).keys()], true);
  }
  return error;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs read-compute-write until the write wins: the optimistic concurrency that lets two invocations for
 * the same run proceed without losing an update. Gives up (throws) after `attempts`, so Lambda retries.
 */
export async function withOptimisticRetry<T>(attempt: () => Promise<T>, attempts = 12): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConditionalWriteConflict) || i >= attempts) throw error;
      await sleep(Math.random() * Math.min(500, 10 * 2 ** i));
    }
  }
}
