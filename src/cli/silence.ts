import { userInfo } from 'node:os';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  activeSilences,
  checkMatchers,
  describeMatchers,
  nextSilenceWindow,
  normalizeSilenceId,
  SilenceError,
  type Silence,
  type SilenceMatchers,
} from '../../lambda/silences/silence';
import { describeWeeklyWindow, parseWeeklyWindow, WeeklyWindowError, type WeeklyWindowSpec } from '../../lambda/silences/weekly-window';
import { addSilence, expireSilence, listSilences } from '../../lambda/silences/silence-store';
import { SILENCE_CACHE_MS } from '../../lambda/silences/cache';
import type { StateStore } from '../../lambda/state/store';
import { localDynamoClient } from '../local/dynamodb-local';
import { awsErrorText } from './aws-errors';
import { EXIT, parseOptions, regionOption, stackOption, UsageError } from './options';
import { CommandFailed, commandStatus, onStateTable, type TrackClient } from './state-table-command';

/**
 * `macie-alerts silence add|list|expire`: silences in a deployed stack's state table, with the caller's AWS
 * credentials (the standard chain), or in a table named directly (--table/--endpoint, e.g. DynamoDB Local).
 * The pipelines read them within a minute (lambda/silences/cache.ts).
 */
export const SILENCE_USAGE = `Usage: macie-alerts silence add  --stack NAME [--region REGION] MATCHERS (--for DURATION | --until TIME) [--every WINDOW] --reason TEXT [--author NAME]
       macie-alerts silence list   --stack NAME [--region REGION] [--all]
       macie-alerts silence expire --stack NAME [--region REGION] ID

Silences stop alerts about what you already know (a bucket locked down on purpose, an account being moved)
for a while. A silenced event is still counted, and the run summary says what was silenced, by which
silence, until when and why. The pipelines read silences at most every minute: a new silence (or an expired
one) takes effect within a minute. Alerts about Macie being disabled or suspended, and about findings filters
(Macie's own suppression rules), are never silenced.

Matchers (at least one; every one given must match):
  --job ID               a Macie job id.
  --bucket NAME          a bucket name, or a prefix ending with * (quote it: 'logs-*').
  --account ID           a 12-digit account id (the affected member account).
  --type TYPE            a job event type (BUCKET_ACCESS_DENIED), finding type or API call name.

Options:
  --for DURATION         how long, from now: 90m, 12h, 7d, 2w, 1d12h (at most 365d).
  --until TIME           until when: an ISO 8601 time (2024-06-10T18:00:00Z) or a date (2024-06-10, midnight UTC).
  --every WINDOW         recurring: only inside a weekly UTC window until then, e.g. 'sat,sun 00:00-06:00',
                         'mon-fri 22:00-02:00' (crosses midnight: ends the next day), 'daily 01:00-03:00'.
  --reason TEXT          why (required): shown in every summary that counts a silenced event.
  --author NAME          who: by default your AWS identity (sts:GetCallerIdentity), or your user name with --endpoint.
  --all                  list: also the silences that ended (kept for 7 days after their end).
  --stack NAME           the stack \`cdk deploy\` made (e.g. MacieAlerts-eu-west-1): its StateTableName output names the table.
  --region REGION        the stack's Region. Default: AWS_REGION or your profile's Region.
  --table NAME           the state table itself, instead of --stack (needs --endpoint).
  --endpoint URL         the DynamoDB endpoint of --table, e.g. a DynamoDB Local: http://localhost:8000.
  -h, --help             this help.

AWS credentials come from the standard chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws,
SSO (\`aws sso login\`), or a container or instance role. The permissions: cloudformation:DescribeStacks,
and dynamodb:Query, BatchGetItem and PutItem on the state table (docs/cli.md, "Permissions").

Exit status: 0 done, 2 when an option, a duration, a time, the stack or the silence id was not right, or no
Region was given or configured, 1 when AWS (or DynamoDB) refused or could not be reached.
`;

export type SilenceTarget =
  | { readonly kind: 'stack'; readonly stack: string; readonly region?: string }
  | { readonly kind: 'table'; readonly table: string; readonly endpoint: string; readonly region?: string };

export type SilenceEnd = { readonly forMs: number } | { readonly until: string };

export type SilenceOptions =
  | {
      readonly action: 'add';
      readonly target: SilenceTarget;
      readonly match: SilenceMatchers;
      readonly end: SilenceEnd;
      readonly every?: WeeklyWindowSpec;
      readonly reason: string;
      readonly author?: string;
    }
  | { readonly action: 'list'; readonly target: SilenceTarget; readonly all: boolean }
  | { readonly action: 'expire'; readonly target: SilenceTarget; readonly id: string };

export const MAX_SILENCE_MS = 365 * 86_400_000;

const UNITS: Record<string, number> = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000 };

/** "7d", "12h", "1d12h", "90m", "2w" -> milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  const ms = ['w', 'd', 'h', 'm'].reduce((sum, unit, i) => sum + Number(m[i + 1] ?? 0) * UNITS[unit], 0);
  return ms > 0 ? ms : undefined;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO 8601 time with its offset, or a date (midnight UTC), as an ISO string; undefined otherwise. */
export function parseTime(text: string): string | undefined {
  if (!ISO_TIME.test(text)) return undefined;
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

const TARGET = ['--stack', '--region', '--table', '--endpoint'];
const VALUES: Record<SilenceOptions['action'], ReadonlySet<string>> = {
  add: new Set([...TARGET, '--job', '--bucket', '--account', '--type', '--for', '--until', '--every', '--reason', '--author']),
  list: new Set(TARGET),
  expire: new Set(TARGET),
};
const FLAGS: Record<SilenceOptions['action'], ReadonlySet<string>> = { add: new Set(), list: new Set(['--all']), expire: new Set() };

/** Parses what follows `macie-alerts silence`. Pure: no clock, no AWS (the end is checked against now later). */
export function silenceOptions(argv: readonly string[]): SilenceOptions {
  const [action, ...rest] = argv;
  if (action !== 'add' && action !== 'list' && action !== 'expire') {
    throw new UsageError(
      action === undefined ? 'missing silence command: expected add, list or expire' : `unknown command "silence ${action}": expected add, list or expire`,
    );
  }
  const { values, flags, positionals } = parseOptions(rest, VALUES[action], FLAGS[action]);
  const target = targetOf(values);
  if (action === 'list') {
    if (positionals.length > 0) throw new UsageError(`silence list takes no arguments (got "${positionals[0]}")`);
    return { action, target, all: flags.has('--all') };
  }
  if (action === 'expire') {
    if (positionals.length !== 1) throw new UsageError('silence expire needs one silence id, e.g. `macie-alerts silence expire S-7KQ2 --stack NAME`');
    const id = normalizeSilenceId(positionals[0]);
    if (!id) throw new UsageError(`"${positionals[0]}" is not a silence id (S- and letters or digits; \`macie-alerts silence list\` shows them)`);
    return { action, target, id };
  }
  if (positionals.length > 0) throw new UsageError(`silence add takes only options (got "${positionals[0]}"; quote a reason with spaces)`);
  let match: SilenceMatchers;
  try {
    match = checkMatchers({ jobId: values.get('--job'), bucket: values.get('--bucket'), accountId: values.get('--account'), type: values.get('--type') });
  } catch (error) {
    if (error instanceof SilenceError) throw new UsageError(error.message);
    throw error;
  }
  const reason = values.get('--reason')?.trim();
  if (!reason) throw new UsageError('silence add needs --reason TEXT: why these alerts are silenced (every summary that counts them shows it)');
  if (reason.length > 1000) throw new UsageError('--reason is longer than 1,000 characters');
  const author = values.get('--author')?.trim();
  if (values.has('--author') && (!author || author.length > 200)) throw new UsageError('--author must be a name of 1 to 200 characters');
  return { action, target, match, end: endOf(values), every: everyOf(values.get('--every')), reason, author };
}

function everyOf(text: string | undefined): WeeklyWindowSpec | undefined {
  if (text === undefined) return undefined;
  try {
    return parseWeeklyWindow(text);
  } catch (error) {
    if (error instanceof WeeklyWindowError) throw new UsageError(`--every: ${error.message}`);
    throw error;
  }
}

export function targetOf(values: ReadonlyMap<string, string>): SilenceTarget {
  const region = regionOption(values.get('--region'));
  const [stack, table, endpoint] = [stackOption(values.get('--stack')), values.get('--table'), values.get('--endpoint')];
  if (stack !== undefined && (table !== undefined || endpoint !== undefined))
    throw new UsageError('give either --stack NAME or --table NAME --endpoint URL, not both');
  if (stack !== undefined) return { kind: 'stack', stack, region };
  if (table === undefined && endpoint === undefined)
    throw new UsageError('which stack? Give --stack NAME (the stack `cdk deploy` made), or --table NAME --endpoint URL');
  if (table === undefined || endpoint === undefined) throw new UsageError('--table and --endpoint go together: the state table and the DynamoDB that holds it');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint "${endpoint}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--endpoint "${endpoint}" is not an http(s) URL`);
  return { kind: 'table', table, endpoint, region };
}

function endOf(values: ReadonlyMap<string, string>): SilenceEnd {
  const forText = values.get('--for');
  const untilText = values.get('--until');
  if (forText !== undefined && untilText !== undefined) throw new UsageError('give --for or --until, not both');
  if (forText !== undefined) {
    const forMs = parseDuration(forText);
    if (forMs === undefined) throw new UsageError(`--for "${forText}" is not a duration: use minutes, hours, days or weeks, e.g. 90m, 12h, 7d, 2w, 1d12h`);
    if (forMs > MAX_SILENCE_MS) throw new UsageError(`--for ${forText} is longer than 365 days: a silence must end (make a new one then)`);
    return { forMs };
  }
  if (untilText !== undefined) {
    const until = parseTime(untilText);
    if (!until) throw new UsageError(`--until "${untilText}" is not a time: use ISO 8601 with an offset (2024-06-10T18:00:00Z) or a date (2024-06-10)`);
    return { until };
  }
  throw new UsageError('how long? Give --for DURATION (e.g. 7d) or --until TIME');
}

// ---------------------------------------------------------------------------------------------------------
// Running the command.

export interface SilenceIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** How the command reaches AWS and the clock: the SDK's defaults, or stand-ins in tests. */
export interface SilenceEnv {
  cloudFormation(region: string | undefined): CloudFormationClient;
  sts(region: string | undefined): STSClient;
  dynamodb(target: SilenceTarget): DynamoDBClient;
  now(): Date;
  /** The local user name: the author of a silence written with --endpoint. */
  localUser(): string;
}

const LOCAL_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/;

export const defaultSilenceEnv: SilenceEnv = {
  cloudFormation: (region) => new CloudFormationClient({ region }),
  sts: (region) => new STSClient({ region }),
  // A local endpoint takes any credentials (localDynamoClient); anything else uses the standard chain.
  dynamodb: (target) =>
    target.kind === 'table' && LOCAL_HOSTS.test(new URL(target.endpoint).hostname)
      ? localDynamoClient(target.endpoint)
      : new DynamoDBClient({ region: target.region, ...(target.kind === 'table' ? { endpoint: target.endpoint } : {}) }),
  now: () => new Date(),
  localUser: () => userInfo().username,
};

export async function silenceCommand(options: SilenceOptions, io: SilenceIo, env: SilenceEnv = defaultSilenceEnv): Promise<number> {
  return commandStatus(io, async () => {
    // Every argument is checked before the first AWS call: a bad end is not hidden behind missing credentials.
    const now = env.now();
    const endsAt = options.action === 'add' ? silenceEnd(options.end, now) : undefined;
    if (options.action === 'add' && options.every) firstWindow(options.every, now, endsAt as string);
    await onStateTable(options.target, env, async ({ store, where, track }) => {
      if (options.action === 'add') await add(options, { now, endsAt: endsAt as string }, store, env, track, io);
      else if (options.action === 'list') await list(options.all, store, env, io, where);
      else await expire(options.id, store, env, io, where);
    });
  });
}

/** When a silence added now ends: later than now, and within a year. */
function silenceEnd(end: SilenceEnd, now: Date): string {
  const endsAt = 'forMs' in end ? new Date(now.getTime() + end.forMs).toISOString() : end.until;
  if (Date.parse(endsAt) <= now.getTime())
    throw new CommandFailed(`--until ${endsAt} is in the past (it is ${now.toISOString()}): a silence must end later than now`, EXIT.notUnderstood);
  if (Date.parse(endsAt) - now.getTime() > MAX_SILENCE_MS)
    throw new CommandFailed(`--until ${endsAt} is more than 365 days away: a silence must end (make a new one then)`, EXIT.notUnderstood);
  return endsAt;
}

/** A recurring silence must open at least once before it ends. */
function firstWindow(every: WeeklyWindowSpec, now: Date, endsAt: string): void {
  const probe: Silence = { id: 'S-NEW', match: {}, startsAt: now.toISOString(), endsAt, every, author: '', reason: '', createdAt: now.toISOString() };
  if (!nextSilenceWindow(probe, now)) {
    throw new CommandFailed(
      `--every ${describeWeeklyWindow(every)} never opens between now (${now.toISOString()}) and ${endsAt}: the silence would hide nothing`,
      EXIT.notUnderstood,
    );
  }
}

async function add(
  options: Extract<SilenceOptions, { action: 'add' }>,
  { now, endsAt }: { now: Date; endsAt: string },
  store: StateStore,
  env: SilenceEnv,
  track: TrackClient,
  io: SilenceIo,
): Promise<void> {
  const author = options.author ?? (options.target.kind === 'stack' ? await callerName(track(env.sts(options.target.region))) : env.localUser());
  const silence = await addSilence(store, {
    match: options.match,
    startsAt: now.toISOString(),
    endsAt,
    every: options.every,
    author,
    reason: options.reason,
    createdAt: now.toISOString(),
  });
  io.stdout.write(
    `Silence ${silence.id} added: ${describeMatchers(silence.match)}, until ${silence.endsAt}${recurrence(silence, now)}, by ${silence.author} (${silence.reason}).\n` +
      `It takes effect within ${SILENCE_CACHE_MS / 60_000} minute: the pipelines read silences at most that often. To end it: macie-alerts silence expire ${silence.id}\n`,
  );
}

/** A readable name for the caller: the IAM user, the role session (an SSO user's email), or the ARN. */
export async function callerName(sts: STSClient): Promise<string> {
  let arn: string | undefined;
  try {
    arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } catch (error) {
    throw new CommandFailed(`${awsErrorText(error, 'look up your identity (sts:GetCallerIdentity)')}; or name the author with --author NAME`, EXIT.failed);
  }
  if (!arn) throw new CommandFailed('sts:GetCallerIdentity named no identity: name the author with --author NAME', EXIT.failed);
  const resource = arn.split(':').slice(5).join(':');
  const [kind, ...path] = resource.split('/');
  if (kind === 'user' && path.length > 0) return path[path.length - 1];
  if (kind === 'assumed-role' && path.length >= 2) return path[path.length - 1];
  if (resource === 'root') return `root (account ${arn.split(':')[4]})`;
  return arn;
}

/** ", every Sat, Sun 00:00-06:00 UTC (next window 2024-06-01T00:00:00.000Z to ...)" for a recurring silence. */
function recurrence(s: Silence, now: Date): string {
  return s.every ? `, ${describeWeeklyWindow(s.every)} (${nextWindowText(s, now)})` : '';
}

function nextWindowText(s: Silence, now: Date): string {
  const next = nextSilenceWindow(s, now);
  if (!next) return 'no window left';
  const span = `${new Date(next.from).toISOString()} to ${new Date(next.to).toISOString()}`;
  return next.from <= now.getTime() ? `window open now, until ${new Date(next.to).toISOString()}` : `next window ${span}`;
}

function stateOf(s: Silence, now: Date): string {
  if (Date.parse(s.endsAt) <= now.getTime()) return 'ended';
  return Date.parse(s.startsAt) > now.getTime() ? 'pending' : 'active';
}

async function list(all: boolean, store: StateStore, env: SilenceEnv, io: SilenceIo, where: string): Promise<void> {
  const now = env.now();
  const silences = await listSilences(store, (error) => io.stderr.write(`macie-alerts: skipped an unreadable item: ${error.message}\n`));
  const shown = all ? silences : silences.filter((s) => Date.parse(s.endsAt) > now.getTime());
  if (shown.length === 0) {
    io.stdout.write(all ? `No silences in ${where}.\n` : `No active silences in ${where}.${silences.length > 0 ? ' (--all shows the ones that ended)' : ''}\n`);
    return;
  }
  // The WINDOW column only when a silence recurs, so plain listings stay as they were.
  const windows = shown.some((s) => s.every);
  const windowCell = (s: Silence) => (windows ? [s.every ? `${describeWeeklyWindow(s.every)}; ${nextWindowText(s, now)}` : '-'] : []);
  const rows = [
    ['ID', 'STATE', 'MATCHES', 'ENDS', ...(windows ? ['WINDOW'] : []), 'AUTHOR', 'REASON'],
    ...shown.map((s) => [s.id, stateOf(s, now), describeMatchers(s.match), s.endsAt, ...windowCell(s), s.author, s.reason]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  io.stdout.write(`${rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n')}\n`);
  const active = activeSilences(silences, now).length;
  if (!all) io.stdout.write(`${active} active${silences.length > shown.length ? `; ${silences.length - shown.length} ended (--all shows them)` : ''}\n`);
}

async function expire(id: string, store: StateStore, env: SilenceEnv, io: SilenceIo, where: string): Promise<void> {
  const result = await expireSilence(store, id, env.now());
  if (!result)
    throw new CommandFailed(`no silence ${id} in ${where} (\`macie-alerts silence list --all\` shows them; ended ones are kept 7 days)`, EXIT.notUnderstood);
  const { silence, alreadyEnded } = result;
  io.stdout.write(
    alreadyEnded
      ? `Silence ${id} had already ended at ${silence.endsAt}: nothing to do.\n`
      : `Silence ${id} expired (${describeMatchers(silence.match)}): what it silenced alerts again within a minute.\n`,
  );
}
