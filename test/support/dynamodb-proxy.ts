import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP proxy in front of DynamoDB Local, for crash tests: a handler process pointed at it
 * (AWS_ENDPOINT_URL_DYNAMODB) talks to the real DynamoDB Local through it, and hooks see each request as it
 * arrives (before DynamoDB acts) and once DynamoDB has acted (before its answer goes back), where a test can
 * kill the process and drop the connection.
 */
export interface DynamoRequest {
  /** The operation, from X-Amz-Target: TransactWriteItems, UpdateItem, BatchGetItem, ... */
  readonly operation: string;
  /** The request's JSON body (DynamoDB's wire format). */
  readonly body: Record<string, unknown>;
}

export interface ProxyHooks {
  /** `drop`: close the connection; DynamoDB never sees the request. */
  arrived?(request: DynamoRequest): Promise<'forward' | 'drop'> | 'forward' | 'drop';
  /** DynamoDB has applied the request. `drop`: close the connection; its answer is never delivered. */
  applied?(request: DynamoRequest): Promise<'answer' | 'drop'> | 'answer' | 'drop';
}

export const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/** Alert ids a write confirmed (SENDING -> SENT), from the request as DynamoDB received it. */
export function confirmedIds(request: DynamoRequest): string[] {
  if (!WRITE_OPERATIONS.has(request.operation)) return [];
  const updates =
    request.operation === 'TransactWriteItems'
      ? ((request.body.TransactItems as { Update?: Record<string, unknown> }[]) ?? []).map((t) => t.Update)
      : [request.body];
  return updates.flatMap((u) => {
    const values = u?.ExpressionAttributeValues as Record<string, { S?: string }> | undefined;
    const pk = (u?.Key as { pk?: { S?: string } } | undefined)?.pk?.S;
    return values?.[':sent']?.S === 'SENT' && pk?.startsWith('ALERT#') ? [pk.slice('ALERT#'.length)] : [];
  });
}

export class DynamoDbProxy {
  hooks: ProxyHooks = {};
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => void this.handle(req, res));
  }

  static async start(targetEndpoint: string): Promise<DynamoDbProxy> {
    const proxy = new DynamoDbProxy(createServer(), new URL(targetEndpoint));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const dynamoRequest: DynamoRequest = { operation: target.replace(/^DynamoDB_\d+\./, ''), body: body.length > 0 ? JSON.parse(body.toString('utf8')) : {} };
    if ((await this.hooks.arrived?.(dynamoRequest)) === 'drop') return void req.socket.destroy();
    const answer = await this.forward(req, body);
    if ((await this.hooks.applied?.(dynamoRequest)) === 'drop') return void req.socket.destroy();
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: this.target.host };
      const upstream = request({ hostname: this.target.hostname, port: this.target.port, path: req.url, method: req.method, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const out: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(response.headers)) if (v !== undefined) out[k] = v;
          resolve({ status: response.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
        });
        response.on('error', reject);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
