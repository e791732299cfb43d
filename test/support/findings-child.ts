import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Runs the deployed findings handler on one SQS event, as the Lambda runtime would, in a process of its own
 * (test/support/kill-switch.ts kills it at a chosen call): argv[2] is the event, argv[3] gets the answer.
 */
async function main(): Promise<void> {
  const [eventFile, resultFile] = process.argv.slice(2);
  const { handler } = await import('../../lambda/handlers/findings');
  const response = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), { getRemainingTimeInMillis: () => 60_000 });
  writeFileSync(resultFile, JSON.stringify(response));
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
});
