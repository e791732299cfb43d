import { isSeverity, type Severity } from '../../lambda/core/severity';
import { REGION_NAME } from '../local/region-name';
import { parseSilenceArgs, SILENCE_USAGE, type SilenceOptions } from './silence';

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

export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'replay'; readonly options: ReplayOptions }
  | { readonly kind: 'silence'; readonly options: SilenceOptions };

/** A mistake on the command line: printed with a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const REPLAY_USAGE = `Usage: macie-alerts replay [options] <file-or-directory>...

Runs recorded or sample Amazon Macie events through the alert pipeline on this machine, with an embedded
DynamoDB Local for the state, and prints the alerts it would publish. No AWS account is needed.

Inputs (auto-detected per JSON value; .json = one value, .jsonl / .ndjson = one value per line; directories
are read recursively in name order; - reads standard input):
  CloudWatch Logs subscription Lambda events {"awslogs":{"data":...}}, decoded subscription payloads
  {"messageType","logEvents"}, bare Macie job log events, \`aws logs filter-log-events\` output {"events":[...]},
  EventBridge events ("Macie Finding", "AWS API Call via CloudTrail"), or arrays of any of these.

Options:
  --format text|json     text (default): each alert as a person reads it, then a summary.
                         json: one JSON object per line per published alert; the summary goes to stderr.
  --config FILE          JSON settings, as in the stack's cdk.json context: minFindingSeverity,
                         repeatIntervalMinutes, policyFindingRepeatHours, longRunningRunHours,
                         stateRetentionDays, severityOverrides, knownErrors; and "silences", to try
                         silences on recorded events before creating them (docs/cli.md).
  --min-severity SEV     show only alerts at or above SEV (INFO, LOW, MEDIUM, HIGH), like a subscriber's
                         filter policy on the severityScore attribute. Default INFO (everything).
  --region REGION        the Region the pipeline pretends to run in (console links). Default us-east-1.
  --endpoint URL         use the DynamoDB Local at URL (on this machine) instead of an embedded one (needs --table).
  --table NAME           the existing state table to use with --endpoint.
  -h, --help             this help.
  --version              the package version.

Exit status: 0 when every input was understood, 2 when some input (or an option) was not, 1 when the replay
itself failed (for example no Java runtime for the embedded DynamoDB).
`;

export const USAGE = `${REPLAY_USAGE}\n${SILENCE_USAGE}`;

const LOCAL_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/;

const VALUE_OPTIONS = new Set(['--format', '--config', '--min-severity', '--region', '--endpoint', '--table']);

export function parseArgs(argv: readonly string[]): Command {
  const args = [...argv];
  if (args.length === 0) throw new UsageError('missing command: expected `replay` or `silence`');
  if (args.some((a) => a === '-h' || a === '--help') || args[0] === 'help') return { kind: 'help' };
  if (args[0] === '--version' || args[0] === 'version') return { kind: 'version' };
  const [command, ...rest] = args;
  if (command === 'silence') {
    const silence = parseSilenceArgs(rest);
    if (!silence.ok) throw new UsageError(silence.message);
    return { kind: 'silence', options: silence.options };
  }
  if (command !== 'replay') throw new UsageError(`unknown command "${command}": expected \`replay\` or \`silence\``);

  const values = new Map<string, string>();
  const inputs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--') {
      inputs.push(...rest.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(0, eq) : arg;
      if (!VALUE_OPTIONS.has(name)) throw new UsageError(`unknown option ${name}`);
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        value = rest[i + 1];
        i++;
      }
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
      if (values.has(name)) throw new UsageError(`${name} given twice`);
      values.set(name, value);
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
    inputs.push(arg);
  }

  if (inputs.length === 0) throw new UsageError('no input: give at least one file or directory (e.g. samples/)');

  const format = values.get('--format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got "${format}"`);

  const minSeverity = (values.get('--min-severity') ?? 'INFO').toUpperCase();
  if (!isSeverity(minSeverity)) throw new UsageError(`--min-severity must be one of INFO, LOW, MEDIUM, HIGH, got "${values.get('--min-severity')}"`);

  const region = values.get('--region') ?? 'us-east-1';
  if (!REGION_NAME.test(region)) throw new UsageError(`--region "${region}" is not a Region name (e.g. us-east-1)`);

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
      throw new UsageError(`--endpoint "${endpoint}" is not on this machine: replay only uses a local DynamoDB (DynamoDB Local), never a deployed stack's table`);
    }
  }

  return {
    kind: 'replay',
    options: { inputs, format, configFile: values.get('--config'), minSeverity, region, endpoint, table },
  };
}
