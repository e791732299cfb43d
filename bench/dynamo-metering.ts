import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts DynamoDB requests and the capacity DynamoDB reports for them. A middleware asks for
 * ReturnConsumedCapacity TOTAL on every command and sums what comes back; commands that cannot return it
 * (table management) are counted as "other". Reads / writes follow the operation, not its name prefix:
 * TransactWriteItems is a write, Query and BatchGetItem are reads.
 */
export interface DynamoCounts {
  reads: number;
  writes: number;
  other: number;
  readCapacity: number;
  writeCapacity: number;
  /** Requests whose response carried no ConsumedCapacity (should stay 0 with DynamoDB Local). */
  unmetered: number;
  /**
   * Of `writes`, those that move alerts through the outbox (claims and settles: updates of ALERT items).
   * Divided by the PublishBatch calls, the conditional writes per published chunk.
   */
  deliveryWrites: number;
  /**
   * Process CPU spent while at least one request was in flight (SDK serialisation, SigV4 signing, HTTP,
   * response parsing): where the handler's CPU goes beyond the decode floor. Only meaningful when nothing
   * else runs in the process meanwhile, which holds for the bench's sequential invocations.
   */
  clientCpuMs: number;
}

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

export function emptyDynamoCounts(): DynamoCounts {
  return { reads: 0, writes: 0, other: 0, readCapacity: 0, writeCapacity: 0, unmetered: 0, deliveryWrites: 0, clientCpuMs: 0 };
}

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/** Installs the meter on a client (the document client shares its middleware stack); one meter per client. */
export function meterDynamoDb(client: DynamoDBClient, counts: DynamoCounts = emptyDynamoCounts()): DynamoCounts {
  let inFlight = 0;
  let cpuStart = 0;
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  client.middlewareStack.add(
    (next) => async (args) => {
      if (inFlight++ === 0) cpuStart = cpuMs();
      try {
        return await next(args);
      } finally {
        if (--inFlight === 0) counts.clientCpuMs += cpuMs() - cpuStart;
      }
    },
    { step: 'initialize', priority: 'high', name: 'benchClientCpu', override: true },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? '');
      const isRead = READS.has(command);
      const isWrite = WRITES.has(command);
      if (!isRead && !isWrite) {
        counts.other++;
        return next(args);
      }
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      if (isRead) counts.reads++;
      else counts.writes++;
      if (isWrite && updatesAlerts(command, args.input)) counts.deliveryWrites++;
      const result = await next(args);
      const reported = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      const list = reported === undefined ? [] : Array.isArray(reported) ? reported : [reported];
      if (list.length === 0) counts.unmetered++;
      for (const c of list) {
        const units = c.CapacityUnits ?? (c.ReadCapacityUnits ?? 0) + (c.WriteCapacityUnits ?? 0);
        if (isRead) counts.readCapacity += units;
        else counts.writeCapacity += units;
      }
      return result;
    },
    { step: 'initialize', name: 'benchCapacityMeter', override: true },
  );
  return counts;
}

/** Whether a write updates an ALERT item (outbox puts are puts; claims and settles are updates). */
function updatesAlerts(command: string, input: unknown): boolean {
  const i = input as { TransactItems?: { Update?: { Key?: Record<string, unknown> } }[]; Key?: Record<string, unknown> };
  const keys = command === 'TransactWriteItemsCommand' ? (i.TransactItems ?? []).map((t) => t.Update?.Key) : command === 'UpdateItemCommand' ? [i.Key] : [];
  return keys.some((key) => {
    const pk = key?.pk as string | { S?: string } | undefined;
    return (typeof pk === 'string' ? pk : pk?.S)?.startsWith('ALERT#') === true;
  });
}
