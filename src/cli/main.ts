import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { resolveBatching, resolveSettings } from '../../lambda/core/settings';
import { atLeast } from '../../lambda/core/severity';
import { StateStore } from '../../lambda/state/store';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { createStateTable, JavaMissingError, localDynamoClient, startDynamoDbLocal, type LocalDynamoDb } from '../local/dynamodb-local';
import { listSilences } from '../../lambda/silences/silence-store';
import { parseArgs, usageHint, UsageError, type RedriveOptions, type ReplayOptions } from './args';
import { EXIT } from './options';
import { ConfigError, loadConfig, type ReplayConfig } from './config';
import { nothingReadReason, readInputs } from './inputs';
import { jsonLine, summaryText, textBlock, type PublishedAlert } from './output';
import { replayPipelines } from './pipelines';
import { defaultAwsClients, redrive, type AwsClients } from './redrive';
import { replayProgress } from './progress';
import { problemLine, replayUnits } from './replay';
import { defaultSelfTestClients, selfTest, type SelfTestClients } from './selftest';
import { silenceCommand } from './silence';
import { ackCommand } from './ack';

export { EXIT };

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stdin?: () => string;
}

/** Resources to release however the process ends (normal exit, error, Ctrl-C). */
const cleanups = new Set<() => Promise<void>>();
/** DynamoDB Locals that are up: on a sudden exit, stop() still sends the signal synchronously. */
const running = new Set<LocalDynamoDb>();

/**
 * @param awsClients how redrive reaches AWS: by default the SDK's standard credential chain and Region
 *   resolution (tests pass clients aimed at local stand-ins).
 * @param selfTestClients the same for selftest.
 */
export async function main(
  argv: readonly string[],
  io: CliIo,
  awsClients: (region: string | undefined) => AwsClients = defaultAwsClients,
  selfTestClients: (region: string | undefined) => SelfTestClients = defaultSelfTestClients,
): Promise<number> {
  let command: ReturnType<typeof parseArgs>;
  try {
    command = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(usageHint(error, argv));
    return EXIT.notUnderstood;
  }
  if (command.kind === 'help') {
    io.stdout.write(command.text);
    return EXIT.ok;
  }
  if (command.kind === 'version') {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    io.stdout.write(`${pkg.version}\n`);
    return EXIT.ok;
  }
  if (command.kind === 'redrive') return redriveCommand(command.options, io, awsClients(command.options.region));
  if (command.kind === 'silence') return silenceCommand(command.options, io);
  if (command.kind === 'ack') return ackCommand(command.options, io);
  if (command.kind === 'selftest') return selfTestCommand(command.options, io, selfTestClients(command.options.region));
  return replayCommand(command.options, io);
}

async function redriveCommand(options: RedriveOptions, io: CliIo, clients: AwsClients): Promise<number> {
  try {
    const status = await redrive(options, clients, {
      line: (text) => io.stdout.write(`${text}\n`),
      problem: (text) => io.stderr.write(`macie-alerts: ${text}\n`),
    });
    return EXIT[status];
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}

async function selfTestCommand(options: Parameters<typeof selfTest>[0], io: CliIo, clients: SelfTestClients): Promise<number> {
  try {
    return await selfTest(options, clients, { line: (text) => io.stdout.write(`${text}\n`), problem: (text) => io.stderr.write(`macie-alerts: ${text}\n`) });
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}

async function replayCommand(options: ReplayOptions, io: CliIo): Promise<number> {
  let config: ReplayConfig;
  try {
    config = options.configFile ? loadConfig(options.configFile) : { settings: resolveSettings({}), batching: resolveBatching({}), silences: [] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`macie-alerts: ${error.message}\n`);
    return EXIT.notUnderstood;
  }

  // The config file may sit in a directory being replayed (samples/ does): it is not an input.
  const read = readInputs(options.inputs, { stdin: io.stdin, skip: options.configFile });
  for (const problem of read.problems) io.stderr.write(`macie-alerts: skipped ${problemLine(problem)}\n`);
  const nothingRead = nothingReadReason(read);
  if (nothingRead) {
    io.stderr.write(`macie-alerts: nothing to replay: ${nothingRead}\n`);
    return EXIT.notUnderstood;
  }

  let state: { store: StateStore; close: () => Promise<void> };
  // Starting Java takes seconds: say so on a terminal (the progress line replaces it).
  const needsState = read.units.length > 0;
  if (needsState && io.stderr.isTTY && !options.endpoint) io.stderr.write('\r\x1b[Kstarting the embedded DynamoDB Local...');
  try {
    // Nothing to replay (every input was bad): no reason to start Java just to print the summary.
    state = needsState ? await openState(options) : { store: undefined as unknown as StateStore, close: async () => undefined };
  } catch (error) {
    io.stderr.write(`${io.stderr.isTTY ? '\r\x1b[K' : ''}macie-alerts: ${(error as Error).message}\n`);
    return EXIT.failed;
  }

  try {
    const telemetry = new RecordingTelemetry();
    const publisher = new RecordingPublisher();
    // The config's silences and those in the table (--endpoint/--table), read once: the replay takes no minute.
    const ids = new Set(config.silences.map((s) => s.id));
    const silences = needsState ? [...config.silences, ...(await listSilences(state.store)).filter((s) => !ids.has(s.id))] : config.silences;
    const deps: PipelineDeps & { telemetry: RecordingTelemetry } = {
      store: state.store,
      publisher,
      settings: config.settings,
      telemetry,
      region: options.region,
      // Only TTLs read the wall clock; grouping follows event time, so the output does not depend on it.
      now: () => new Date(),
      silences: { list: async () => silences },
    };
    const progress = replayProgress({ stderr: io.stderr, alerts: () => publisher.records.length });
    const tally = await replayUnits(read.units, deps, replayPipelines, config.batching, progress);
    for (const problem of [...tally.rejected, ...tally.failures]) io.stderr.write(`macie-alerts: ${problemLine(problem)}\n`);

    const published: PublishedAlert[] = publisher.records.map((r) => ({ alert: r.alert, message: r.message }));
    const shown = published.filter((p) => atLeast(p.alert.severity, options.minSeverity));
    const summary = summaryText({
      files: read.files.length,
      values: read.values,
      valuesNotUnderstood: read.valuesNotUnderstood,
      pathsSkipped: read.problems.length - read.valuesNotUnderstood,
      otherServiceRecords: read.otherServiceRecords,
      tally,
      published,
      minSeverity: options.minSeverity,
    });
    if (options.format === 'json') {
      io.stdout.write(shown.map((p) => `${jsonLine(p)}\n`).join(''));
      io.stderr.write(summary);
    } else {
      io.stdout.write(shown.length > 0 ? `${shown.map((p, i) => textBlock(p, i + 1)).join('\n')}\n` : 'No alerts to show.\n');
      io.stdout.write(summary);
    }
    if (tally.failures.length > 0) return EXIT.failed;
    return read.problems.length > 0 || tally.rejected.length > 0 ? EXIT.notUnderstood : EXIT.ok;
  } finally {
    await state.close();
  }
}

/** The state table: a fresh one in an embedded DynamoDB Local, or the one named by --endpoint/--table. */
async function openState(options: ReplayOptions): Promise<{ store: StateStore; close: () => Promise<void> }> {
  if (options.endpoint && options.table) {
    const client = endpointClient(options.endpoint, options.region);
    try {
      await client.send(new DescribeTableCommand({ TableName: options.table }));
    } catch (error) {
      client.destroy();
      const name = (error as { name?: string }).name;
      throw new Error(
        name === 'ResourceNotFoundException'
          ? `table "${options.table}" does not exist at ${options.endpoint} (create it with the state table layout, or omit --endpoint/--table for an embedded DynamoDB)`
          : `cannot reach DynamoDB at ${options.endpoint}: ${(error as Error).message}`,
      );
    }
    return { store: StateStore.fromDefaults(options.table, client), close: async () => client.destroy() };
  }

  // Registered before it is ready: a signal during the (seconds long) start must still stop the Java process.
  const starting = startDynamoDbLocal();
  const stop = () =>
    starting.then(
      (l) => l.stop(),
      () => undefined,
    );
  cleanups.add(stop);
  let local: LocalDynamoDb;
  try {
    local = await starting;
  } catch (error) {
    cleanups.delete(stop);
    if (error instanceof JavaMissingError) throw error;
    throw new Error(`the embedded DynamoDB Local did not start: ${(error as Error).message}`);
  }
  running.add(local);
  const client = localDynamoClient(local.endpoint);
  const close = async () => {
    client.destroy();
    cleanups.delete(stop);
    await local.stop();
    running.delete(local);
  };
  try {
    await createStateTable(client, 'macie-alerts-replay');
  } catch (error) {
    await close();
    throw new Error(`could not create the state table in the embedded DynamoDB Local: ${(error as Error).message}`);
  }
  return { store: StateStore.fromDefaults('macie-alerts-replay', client), close };
}

/** Loopback endpoints (another DynamoDB Local) take any credentials; real ones use the SDK's default chain. */
function endpointClient(endpoint: string, region: string): DynamoDBClient {
  const host = new URL(endpoint).hostname;
  if (host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1') return localDynamoClient(endpoint);
  return new DynamoDBClient({ endpoint, region });
}

/** Entry point for bin/macie-alerts-cli.js: runs main, releases DynamoDB Local on every way out. */
export function run(argv: readonly string[]): void {
  const releaseAll = () => Promise.allSettled([...cleanups].map((c) => c()));
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    process.stderr.write(`\nmacie-alerts: ${signal}: stopping the embedded DynamoDB\n`);
    void releaseAll().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  // Last resort (an exit nobody planned): stop() signals the child synchronously, before the process is gone.
  process.once('exit', () => running.forEach((local) => void local.stop()));

  main(argv, { stdout: process.stdout, stderr: process.stderr })
    .catch(async (error: unknown) => {
      process.stderr.write(`macie-alerts: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
      await releaseAll();
      return EXIT.failed;
    })
    .then((code) => {
      process.exitCode = code;
      // Pending SDK sockets must not keep the process alive once the output is written.
      process.stdout.write('', () => process.exit(code));
    });
}
