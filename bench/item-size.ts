import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** DynamoDB's item size: attribute names and values, as its documentation counts them (a few bytes over, never under). */
export function itemBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return 21;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + itemBytes(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + itemBytes(v), 0);
  return 3 + Object.entries(value as Record<string, unknown>).reduce((n, [k, v]) => n + Buffer.byteLength(k) + 1 + itemBytes(v), 0);
}

export interface LargestItem {
  /** "pk sk" of the largest item. */
  readonly key: string;
  readonly bytes: number;
  /** Items in the table. */
  readonly items: number;
}

/** Scans the whole table (after a pass, not measured) for its largest item: DynamoDB refuses items over 400 KB. */
export async function largestItem(client: DynamoDBClient, tableName: string): Promise<LargestItem> {
  let largest = { key: '-', bytes: 0 };
  let items = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const raw of page.Items ?? []) {
      items++;
      const item = unmarshall(raw);
      const bytes = itemBytes(item);
      if (bytes > largest.bytes) largest = { key: `${item.pk} ${item.sk}`, bytes };
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { ...largest, items };
}
