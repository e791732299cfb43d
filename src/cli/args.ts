import { isSeverity, type Severity } from '../../lambda/core/severity';
import { parseOptions, regionOption, stackOption, UsageError } from './options';
import { SELFTEST_USAGE, selfTestOptions, type SelfTestOptions } from './selftest';
import { SILENCE_USAGE, silenceOptions, type SilenceOptions } from './silence';
import { ACK_USAGE, ackOptions, type AckOptions } from './ack';

export type OutputFormat = 'text' | 'json';

export interface ReplayOptions {
  readonly inputs: readonly string[];
  readonly format: OutputFormat;
  readonly configFile?: string;
  readonly minSeverity: Severity;
  readonly region: string;
  readonly endpoint?: string;
  readonly table?: string;
}

export interface RedriveOptions {
  readonly stack: string;
  /** Default: the SDK's (AWS_REGION, the profile's region). */
  readonly region?: string;
  /** One queue by its name in the stack's FailureQueues output; default every queue. */
  readonly queue?: string;
  readonly dryRun: boolean;
}

export type Command =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  | { readonly kind: 'replay'; readonly options: ReplayOptions }
  | { readonly kind: 'redrive'; readonly options: RedriveOptions }
  | { readonly kind: 'silence'; readonly options: SilenceOptions }
  | { readonly kind: 'ack'; readonly options: AckOptions }
  | { readonly kind: 'selftest'; readonly options: SelfTestOptions };

export { UsageError };

export const REPLAY_USAGE = `Usage: macie-alerts replay [options] <file-or-directory>...

Runs recorded or sample Amazon Macie events through the alert pipeline on this machine, with an embedded
DynamoDB Local for the state, and prints the alerts it would publish. No AWS account is needed.

Inputs (auto-detected per JSON value; .json = one value, .jsonl / .ndjson = one value per line, gzipped or
not; directories are read recursively in name order; - reads standard input):
  CloudWatch Logs subscription Lambda events {"awslogs":{"data":...}}, decoded subscription payloads
  {"messageType","logEvents"}, bare Macie job log events (batched per job as a subscription would),
  \`aws logs filter-log-events\` output {"events":[...]}, EventBridge events ("Macie Finding", "AWS API Call
  via CloudTrail"), CloudTrail log files {"Records":[...]} (Macie's records are replayed, other services'
  counted and left out), \`aws cloudtrail lookup-events\` output, or arrays of any of these.

Options:
  --format text|json     text (default): each alert as a person reads it, then a summary.
                         json: one JSON object per line per published alert; the summary goes to stderr.
  --config FILE          JSON settings, as in the stack's cdk.json context: minFindingSeverity,
                         repeatIntervalMinutes, policyFindingRepeatHours, longRunningRunHours,
                         stateRetentionDays, severityOverrides, knownErrors, findingAlertsPer; findingsBatchSize and
                         apiCallsBatchSize set the SQS batches findings and API calls are replayed in;
                         "silences" tries silences on recorded events before you create them.
  --min-severity SEV     show only alerts at or above SEV (INFO, LOW, MEDIUM, HIGH), like a subscriber's
                         filter policy on the severityScore attribute. Default INFO (everything).
  --region REGION        the Region the pipeline pretends to run in (console links). Default us-east-1.
  --endpoint URL         use the DynamoDB Local at URL (on this machine) instead of an embedded one (needs --table).
  --table NAME           the existing state table to use with --endpoint.
  -h, --help             this help.
  --version              the package version.

Exit status: 0 when every input was understood, 2 when some input (or an option) was not, or nothing could
be read, 1 when the replay itself failed (for example no Java runtime for the embedded DynamoDB).
`;

export const REDRIVE_USAGE = `Usage: macie-alerts redrive --stack NAME [--region REGION] [--queue NAME] [--dry-run]

Puts the messages of a deployed stack's failure and dead-letter queues back through the pipeline, with your
AWS credentials (the standard chain: environment, AWS_PROFILE or ~/.aws, SSO, an instance role). The stack's
FailureQueues output says which queues there are and what each holds:
  Lambda on-failure queues (job-log, sweeper): each message is an invocation record; the
    function is invoked again (synchronously) with the record's original requestPayload, and the message is
    deleted only once the function succeeded.
  EventBridge dead-letter queues (finding-rule, api-call-rule, health-rule, sweeper-schedule): each message is an event the
    rule could not deliver; the target function is invoked with it (or, for a queue target, it is sent to that
    queue), and the message deleted once that succeeded.
  SQS dead-letter queues (findings-queue, api-call-queue, health-queue): SQS's own message move task moves
    them back to their source queue.
The pipeline applies every event once, so a message redriven twice changes nothing the second time.

Options:
  --stack NAME        the stack, as \`cdk deploy\` named it (e.g. MacieAlerts-eu-west-1).
  --region REGION     its Region. Default: AWS_REGION or your profile's Region.
  --queue NAME        only this queue (a name from the FailureQueues output, e.g. job-log). Default: every queue.
  --dry-run           print what would be done; receive, invoke, delete and move nothing.
  -h, --help          this help.

Exit status: 0 when every message was redriven (or there was none), 1 when a message failed again (it stays
in its queue, and the reason is printed) or AWS refused a call, 2 when an option, the stack or the queue name
was not understood, or no Region was given or configured.
`;

/** What bare `macie-alerts` prints, and what --help starts with. */
export const COMMAND_LIST = `Usage: macie-alerts <command> [options]

Commands:
  replay    run recorded or sample Macie events through the alert pipeline on this machine (no AWS account)
  redrive   put the messages of a deployed stack's failure queues back through the pipeline
  silence   add, list and expire silences in a deployed stack
  ack       acknowledge an alert for a while (its repeats and reminders stop), list and expire acknowledgements
  selftest  have each function of a deployed stack prove it can read, write and publish (one TEST alert)

\`macie-alerts <command> --help\` shows a command's options, \`macie-alerts --help\` every command's, and
\`macie-alerts --version\` the package version.
`;

export const USAGE = `${COMMAND_LIST}\n${REPLAY_USAGE}\n${REDRIVE_USAGE}\n${SILENCE_USAGE}\n${ACK_USAGE}\n${SELFTEST_USAGE}`;

const COMMANDS = 'expected `replay`, `redrive`, `silence`, `ack` or `selftest`';
const COMMAND_USAGE: Readonly<Record<string, string>> = {
  replay: REPLAY_USAGE,
  redrive: REDRIVE_USAGE,
  silence: SILENCE_USAGE,
  ack: ACK_USAGE,
  selftest: SELFTEST_USAGE,
};
const COMMAND_NAMES: readonly string[] = Object.keys(COMMAND_USAGE);

/** No command given: nothing to say but what there is. */
class MissingCommand extends UsageError {}

/** What follows a usage mistake on stderr: the command's --help, or the command list when the command is not known. */
export function usageHint(error: UsageError, argv: readonly string[]): string {
  if (error instanceof MissingCommand) return COMMAND_LIST;
  const command = argv[0];
  return `macie-alerts: ${error.message}\n${COMMAND_NAMES.includes(command) ? `Run \`macie-alerts ${command} --help\` for usage.\n` : COMMAND_LIST}`;
}

export function parseArgs(argv: readonly string[]): Command {
  const args = [...argv];
  if (args.length === 0) throw new MissingCommand(`missing command: ${COMMANDS}`);
  const [command, ...rest] = args;
  const help = args.some((a) => a === '-h' || a === '--help') || command === 'help';
  if (help) return { kind: 'help', text: COMMAND_USAGE[command] ?? USAGE };
  // Like --help, --version is understood after a command too (the command's usage lists it).
  if (command === 'version' || args.includes('--version')) return { kind: 'version' };
  if (command === 'replay') return { kind: 'replay', options: replayOptions(rest) };
  if (command === 'redrive') return { kind: 'redrive', options: redriveOptions(rest) };
  if (command === 'silence') return { kind: 'silence', options: silenceOptions(rest) };
  if (command === 'ack') return { kind: 'ack', options: ackOptions(rest) };
  if (command === 'selftest') return { kind: 'selftest', options: selfTestOptions(rest) };
  throw new UsageError(`unknown command "${command}": ${COMMANDS}`);
}

const LOCAL_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/;

const REPLAY_OPTIONS = new Set(['--format', '--config', '--min-severity', '--region', '--endpoint', '--table']);

function replayOptions(rest: readonly string[]): ReplayOptions {
  const { values, positionals: inputs } = parseOptions(rest, REPLAY_OPTIONS, new Set());
  if (inputs.length === 0) throw new UsageError('no input: give at least one file or directory (e.g. samples/)');

  const format = values.get('--format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got "${format}"`);

  const minSeverity = (values.get('--min-severity') ?? 'INFO').toUpperCase();
  if (!isSeverity(minSeverity)) throw new UsageError(`--min-severity must be one of INFO, LOW, MEDIUM, HIGH, got "${values.get('--min-severity')}"`);

  const region = regionOption(values.get('--region')) ?? 'us-east-1';

  const endpoint = values.get('--endpoint');
  const table = values.get('--table');
  if ((endpoint === undefined) !== (table === undefined)) {
    throw new UsageError('--endpoint and --table go together: the DynamoDB to use and its state table');
  }
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new UsageError(`--endpoint "${endpoint}" is not an http(s) URL`);
    }
    // Replay runs the real delivery code with a publisher that sends nothing: against a deployed stack's table
    // it would claim that stack's pending alerts (never sent) and change its grouping state.
    if (!LOCAL_HOSTS.test(url.hostname)) {
      throw new UsageError(
        `--endpoint "${endpoint}" is not on this machine: replay only uses a local DynamoDB (DynamoDB Local), never a deployed stack's table`,
      );
    }
  }

  return { inputs, format, configFile: values.get('--config'), minSeverity, region, endpoint, table };
}

const REDRIVE_OPTIONS = new Set(['--stack', '--region', '--queue']);

function redriveOptions(rest: readonly string[]): RedriveOptions {
  const { values, flags, positionals } = parseOptions(rest, REDRIVE_OPTIONS, new Set(['--dry-run']));
  if (positionals.length > 0) throw new UsageError(`redrive takes no arguments, only options (got "${positionals[0]}")`);
  const stack = stackOption(values.get('--stack'));
  if (stack === undefined) throw new UsageError('redrive needs --stack NAME: the stack `cdk deploy` made (e.g. MacieAlerts-eu-west-1)');
  const queue = values.get('--queue');
  if (queue !== undefined && !/^[a-z0-9-]+$/.test(queue))
    throw new UsageError(`--queue "${queue}" is not a queue name (e.g. job-log; the stack's FailureQueues output lists them)`);
  return { stack, region: regionOption(values.get('--region')), queue, dryRun: flags.has('--dry-run') };
}
