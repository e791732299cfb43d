import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * One invocation of a bundled handler, run the way the Lambda runtime runs it, in a process of its own:
 * `node lambda-runner.js <handler bundle> <event file>`. Exits 0 when the handler returned and 1 when it
 * threw (Lambda would retry the event); a test that kills the process sees the signal instead.
 */
const [handlerFile, eventFile] = process.argv.slice(2);
const { handler } = createRequire(__filename)(handlerFile) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
const deadline = Date.now() + 5 * 60_000;
const context = { getRemainingTimeInMillis: () => deadline - Date.now() };
handler(JSON.parse(readFileSync(eventFile, 'utf8')), context).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`handler threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    process.exit(1);
  },
);
