import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StateStore } from '../../lambda/state/store';
import { awsErrorText } from './aws-errors';
import { RegionMissing, RegionUnknown, resolvedRegion } from './aws-region';
import { EXIT } from './options';
import type { SilenceEnv, SilenceIo, SilenceTarget } from './silence';
import { findOutput, StackLookupFailed, StackNotFound, stackOutputs } from './stack-outputs';

/** A failure already worded for the user, with its exit status. */
export class CommandFailed extends Error {
  constructor(
    message: string,
    readonly exit: number,
  ) {
    super(message);
  }
}

/** Keeps an AWS client for the command to destroy when it ends. */
export type TrackClient = <T extends { destroy(): void }>(client: T) => T;

/** What a command on the state table works with. */
export interface StateTableSession {
  readonly store: StateStore;
  readonly table: string;
  /** The stack or the table, as a message names it. */
  readonly where: string;
  readonly track: TrackClient;
}

/** The command's exit status: 0, or a CommandFailed's, printed; any other error is a bug and is thrown. */
export async function commandStatus(io: SilenceIo, command: () => Promise<void>): Promise<number> {
  try {
    await command();
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof CommandFailed)) throw error;
    io.stderr.write(`macie-alerts: ${error.message}\n`);
    return error.exit;
  }
}

/**
 * Runs `command` on the state table of a stack (its StateTableName output) or of a table named directly: the
 * table and its Region are found first, an AWS failure becomes a CommandFailed that says what was being done,
 * and every client made is destroyed at the end (`silence` and `ack` share it).
 */
export async function onStateTable(target: SilenceTarget, env: SilenceEnv, command: (session: StateTableSession) => Promise<void>): Promise<void> {
  const clients: { destroy(): void }[] = [];
  const track: TrackClient = (client) => {
    clients.push(client);
    return client;
  };
  try {
    const table = await tableOf(target, env, track);
    const dynamodb = track(env.dynamodb(target));
    await regionOf(dynamodb);
    const store = StateStore.fromDefaults(table, dynamodb, env.now);
    const where = target.kind === 'stack' ? `stack ${target.stack}` : `table ${table}`;
    try {
      await command({ store, table, where, track });
    } catch (error) {
      if (error instanceof CommandFailed) throw error;
      throw new CommandFailed(awsErrorText(error, `use the state table ${table}`), EXIT.failed);
    }
  } finally {
    for (const client of clients) client.destroy();
  }
}

async function tableOf(target: SilenceTarget, env: SilenceEnv, track: TrackClient): Promise<string> {
  if (target.kind === 'table') return target.table;
  try {
    const output = findOutput(await stackOutputs(track(env.cloudFormation(target.region)), target.stack), 'StateTableName');
    if (!output?.OutputValue) throw new CommandFailed(`stack "${target.stack}" has no StateTableName output: is it a macie-alerts stack?`, EXIT.notUnderstood);
    return output.OutputValue;
  } catch (error) {
    if (error instanceof StackNotFound || error instanceof RegionMissing) throw new CommandFailed(error.message, EXIT.notUnderstood);
    if (error instanceof StackLookupFailed || error instanceof RegionUnknown) throw new CommandFailed(error.message, EXIT.failed);
    throw error;
  }
}

/** The state table's Region (a table named with a remote --endpoint needs one too), before the first call. */
async function regionOf(dynamodb: DynamoDBClient): Promise<void> {
  try {
    await resolvedRegion(dynamodb);
  } catch (error) {
    if (error instanceof RegionMissing) throw new CommandFailed(error.message, EXIT.notUnderstood);
    if (error instanceof RegionUnknown) throw new CommandFailed(error.message, EXIT.failed);
    throw error;
  }
}
