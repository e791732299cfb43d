import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface InvokeRecord {
  readonly functionName: string;
  readonly invocationType: string | undefined;
  readonly payload: unknown;
  /** The error the function threw, if it did. */
  readonly error?: string;
}

export type LocalFunction = (event: unknown) => Promise<unknown>;

export interface LambdaEndpoint {
  /** For LambdaClient({ endpoint }). */
  readonly url: string;
  readonly invocations: InvokeRecord[];
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * The Lambda Invoke API on a local port, answered by functions run in this process: what the SDK's
 * LambdaClient sends (POST /2015-03-31/functions/NAME/invocations) and gets back (200 with the result; 200 with
 * X-Amz-Function-Error when the function threw; 404 ResourceNotFoundException for an unknown function).
 * Records every invocation.
 */
export async function startLambdaEndpoint(functions: Readonly<Record<string, LocalFunction>>): Promise<LambdaEndpoint> {
  const invocations: InvokeRecord[] = [];
  const server = createServer((req, res) => {
    void answer(req, res);
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const match = INVOKE_PATH.exec(new URL(req.url ?? '/', 'http://local').pathname);
    const name = match ? decodeURIComponent(match[1]) : '';
    const fn = functions[name];
    if (req.method !== 'POST' || !fn) {
      res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
      res.end(JSON.stringify({ Type: 'User', Message: `Function not found: ${name}` }));
      return;
    }
    const invocationType = req.headers['x-amz-invocation-type'] as string | undefined;
    const text = Buffer.concat(chunks).toString('utf8');
    const payload = text === '' ? null : (JSON.parse(text) as unknown);
    try {
      const result = await fn(payload);
      invocations.push({ functionName: name, invocationType, payload });
      res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
      res.end(JSON.stringify(result ?? null));
    } catch (error) {
      const e = error as Error;
      invocations.push({ functionName: name, invocationType, payload, error: `${e.name}: ${e.message}` });
      res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST', 'x-amz-function-error': 'Unhandled' });
      res.end(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    invocations,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
