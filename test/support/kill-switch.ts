import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

/**
 * A crash is a kill: a handler runs in a child process whose DynamoDB and SNS endpoints point at this
 * process, and the child is SIGKILLed at a chosen external call, `before` the call reaches the service (the
 * service never sees it) or `after` the service acted (DynamoDB applied the request, SNS took the messages),
 * with the answer never returned. DynamoDB calls are forwarded to DynamoDB Local; SNS is a recording stand-in
 * that accepts every PublishBatch entry (what it accepted is `delivered`: the ground truth for exactly once).
 */
export interface KillPoint {
  /** 1-based, counting every DynamoDB and SNS request of the invocation. */
  readonly call: number;
  readonly when: 'before' | 'after';
}

export interface ExternalCall {
  readonly service: 'dynamodb' | 'sns';
  /** BatchGetItem, TransactWriteItems, PublishBatch... */
  readonly operation: string;
}

export interface RunResult {
  /** The handler's answer, or undefined when the child was killed. */
  readonly response?: unknown;
  readonly killed: boolean;
  readonly calls: readonly ExternalCall[];
}

export class KillSwitch {
  /** PublishBatch entry ids SNS accepted, in order, over every run. */
  readonly delivered: string[] = [];
  private calls: ExternalCall[] = [];
  private point?: KillPoint;
  private child?: ChildProcess;
  private servers: Server[] = [];
  private dynamoUrl = '';
  private snsUrl = '';

  constructor(private readonly dynamoTarget: string) {}

  /** The SNS stand-in, for an SNSClient in this process (its calls are recorded, never killed). */
  get snsEndpoint(): string {
    return this.snsUrl;
  }

  async start(): Promise<void> {
    this.dynamoUrl = await this.listen((req, res, body) => this.dynamo(req, res, body));
    this.snsUrl = await this.listen((req, res, body) => this.sns(req, res, body));
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise((done) => s.close(done))));
  }

  /**
   * Runs `script` (TypeScript, through tsx) in a child with the event written to a file (argv[2]); the script
   * writes its answer to argv[3]. Killed at `point`, if given.
   */
  async run(script: string, event: unknown, env: NodeJS.ProcessEnv, point?: KillPoint): Promise<RunResult> {
    this.calls = [];
    this.point = point;
    const eventFile = join(tmpdir(), `kill-switch-${randomUUID()}.json`);
    const resultFile = `${eventFile}.result`;
    writeFileSync(eventFile, JSON.stringify(event));
    const child = spawn(process.execPath, ['--import', 'tsx', script, eventFile, resultFile], {
      env: { ...env, AWS_ENDPOINT_URL_DYNAMODB: this.dynamoUrl, AWS_ENDPOINT_URL_SNS: this.snsUrl },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
    this.child = undefined;
    if (exit.signal === 'SIGKILL') return { killed: true, calls: this.calls };
    if (exit.code !== 0) throw new Error(`child exited ${exit.code}: ${stderr.slice(-2000)}`);
    return { killed: false, response: JSON.parse(readFileSync(resultFile, 'utf8')) as unknown, calls: this.calls };
  }

  private async listen(handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void handle(req, res, Buffer.concat(chunks)));
    });
    this.servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Counts a call as it arrives; its number, since calls may be in flight side by side. */
  private arrive(call: ExternalCall): number {
    this.calls.push(call);
    return this.calls.length;
  }

  /** Whether the child dies at call `number`, at this moment of it. */
  private dies(number: number, moment: KillPoint['when']): boolean {
    return this.point !== undefined && this.point.call === number && this.point.when === moment && this.child !== undefined;
  }

  /** Kill before closing the socket: a closed socket alone is a network error the SDK would retry. */
  private kill(res: ServerResponse): void {
    this.child?.kill('SIGKILL');
    res.socket?.destroy();
  }

  private async dynamo(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const number = this.arrive({ service: 'dynamodb', operation: String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '' });
    if (this.dies(number, 'before')) return this.kill(res);
    const target = new URL(this.dynamoTarget);
    const answer = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((done, fail) => {
      const forward = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done({ status: r.statusCode ?? 500, headers: r.headers, body: Buffer.concat(chunks) }));
      });
      forward.on('error', fail);
      forward.end(body);
    });
    if (this.dies(number, 'after')) return this.kill(res);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  private async sns(_req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const form = new URLSearchParams(body.toString('utf8'));
    const number = this.arrive({ service: 'sns', operation: form.get('Action') ?? '' });
    if (this.dies(number, 'before')) return this.kill(res);
    const ids: string[] = [];
    for (let i = 1; form.has(`PublishBatchRequestEntries.member.${i}.Id`); i++) ids.push(form.get(`PublishBatchRequestEntries.member.${i}.Id`)!);
    this.delivered.push(...ids);
    if (this.dies(number, 'after')) return this.kill(res);
    const members = ids.map((id) => `<member><Id>${id}</Id><MessageId>${randomUUID()}</MessageId></member>`).join('');
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${members}</Successful><Failed/></PublishBatchResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishBatchResponse>`,
    );
  }
}
