import { ackSubject, ALERT_ID, normalizeAckId } from '../../lambda/silences/ack';
import { addAck, expireAck, listAcks } from '../../lambda/silences/ack-store';
import { SILENCE_CACHE_MS } from '../../lambda/silences/cache';
import { EXIT, parseOptions, UsageError } from './options';
import { callerName, defaultSilenceEnv, parseDuration, targetOf, type SilenceEnv, type SilenceIo, type SilenceTarget } from './silence';
import { CommandFailed, commandStatus, onStateTable } from './state-table-command';

/**
 * `macie-alerts ack ALERT_ID|list|expire`: acknowledgements in a deployed stack's state table (or a table
 * named directly), with the same targets, credentials and clock as `silence`.
 */
export const ACK_USAGE = `Usage: macie-alerts ack ALERT_ID --stack NAME [--region REGION] --for DURATION --reason TEXT [--author NAME]
       macie-alerts ack list   --stack NAME [--region REGION] [--all]
       macie-alerts ack expire --stack NAME [--region REGION] ID

An acknowledgement says "I am on it": it stops the repeats and reminders of one alert for a while, with a
reason. ALERT_ID is the alert's \`alertId\` message attribute (in the email footer, the JSON form's "id", and
every SNS message's attributes). While it lasts: that alert's "still occurring" repeats (a job's error group,
a findings group) are held; for an alert about a job run, the sweeper's reminders about that run (still
running, still paused by the quota) are held; for a missed-run alert, the job's next missed-run alerts.
Anything new still alerts. When it ends (or is expired) and the problem persists, the reminders resume. The
pipelines read acknowledgements with the silences, at most every minute.

Options:
  --for DURATION         how long, from now: 90m, 12h, 7d, 1d12h (at most 30d).
  --reason TEXT          why (required).
  --author NAME          who: by default your AWS identity (sts:GetCallerIdentity), or your user name with --endpoint.
  --all                  list: also the acknowledgements that ended (kept for 7 days after their end).
  --stack NAME           the stack \`cdk deploy\` made: its StateTableName output names the table.
  --region REGION        the stack's Region. Default: AWS_REGION or your profile's Region.
  --table NAME           the state table itself, instead of --stack (needs --endpoint).
  --endpoint URL         the DynamoDB endpoint of --table, e.g. a DynamoDB Local: http://localhost:8000.
  -h, --help             this help.

Permissions: cloudformation:DescribeStacks, and dynamodb:Query, BatchGetItem and PutItem on the state table
(docs/cli.md, "Permissions"). Exit status: 0 done, 2 when an option, the duration, the stack or an id was not
right, 1 when AWS (or DynamoDB) refused or could not be reached.
`;

export const MAX_ACK_MS = 30 * 86_400_000;

export type AckOptions =
  | {
      readonly action: 'add';
      readonly target: SilenceTarget;
      readonly alertId: string;
      readonly forMs: number;
      readonly reason: string;
      readonly author?: string;
    }
  | { readonly action: 'list'; readonly target: SilenceTarget; readonly all: boolean }
  | { readonly action: 'expire'; readonly target: SilenceTarget; readonly id: string };

const TARGET = ['--stack', '--region', '--table', '--endpoint'];

/** Parses what follows `macie-alerts ack`. Pure. */
export function ackOptions(argv: readonly string[]): AckOptions {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('missing alert id: `macie-alerts ack ALERT_ID --for DURATION --reason TEXT`, or `ack list`, `ack expire ID`');
  if (first === 'list') {
    const { values, flags, positionals } = parseOptions(rest, new Set(TARGET), new Set(['--all']));
    if (positionals.length > 0) throw new UsageError(`ack list takes no arguments (got "${positionals[0]}")`);
    return { action: 'list', target: targetOf(values), all: flags.has('--all') };
  }
  if (first === 'expire') {
    const { values, positionals } = parseOptions(rest, new Set(TARGET), new Set());
    if (positionals.length !== 1) throw new UsageError('ack expire needs one acknowledgement id, e.g. `macie-alerts ack expire A-7KQ2 --stack NAME`');
    const id = normalizeAckId(positionals[0]);
    if (!id) throw new UsageError(`"${positionals[0]}" is not an acknowledgement id (A- and letters or digits; \`macie-alerts ack list\` shows them)`);
    return { action: 'expire', target: targetOf(values), id };
  }
  if (first.startsWith('-')) throw new UsageError('the alert id comes first: `macie-alerts ack ALERT_ID --for DURATION --reason TEXT ...`');
  if (!ALERT_ID.test(first))
    throw new UsageError(`"${first}" is not an alert id: copy the alert's alertId attribute (e.g. run:<job>:<runDate>:BUCKET_ACCESS_DENIED:first)`);
  const { values, positionals } = parseOptions(rest, new Set([...TARGET, '--for', '--reason', '--author']), new Set());
  if (positionals.length > 0) throw new UsageError(`ack takes one alert id (got "${positionals[0]}" too; quote a reason with spaces)`);
  const target = targetOf(values);
  const forText = values.get('--for');
  if (forText === undefined) throw new UsageError('how long? Give --for DURATION (e.g. 24h)');
  const forMs = parseDuration(forText);
  if (forMs === undefined) throw new UsageError(`--for "${forText}" is not a duration: use minutes, hours, days or weeks, e.g. 90m, 12h, 1d12h`);
  if (forMs > MAX_ACK_MS) throw new UsageError(`--for ${forText} is longer than 30 days: for longer, make a silence (macie-alerts silence add)`);
  const reason = values.get('--reason')?.trim();
  if (!reason) throw new UsageError('ack needs --reason TEXT: why (whoever gets the next alert reads it)');
  if (reason.length > 1000) throw new UsageError('--reason is longer than 1,000 characters');
  const author = values.get('--author')?.trim();
  if (values.has('--author') && (!author || author.length > 200)) throw new UsageError('--author must be a name of 1 to 200 characters');
  return { action: 'add', target, alertId: first, forMs, reason, author };
}

export async function ackCommand(options: AckOptions, io: SilenceIo, env: SilenceEnv = defaultSilenceEnv): Promise<number> {
  return commandStatus(io, async () => {
    const now = env.now();
    await onStateTable(options.target, env, async ({ store, where, track }) => {
      if (options.action === 'add') {
        const author = options.author ?? (options.target.kind === 'stack' ? await callerName(track(env.sts(options.target.region))) : env.localUser());
        const endsAt = new Date(now.getTime() + options.forMs).toISOString();
        const ack = await addAck(store, {
          alertId: options.alertId,
          startsAt: now.toISOString(),
          endsAt,
          author,
          reason: options.reason,
          createdAt: now.toISOString(),
        });
        io.stdout.write(
          `Acknowledgement ${ack.id} added: the repeats and reminders of ${ackSubject(ack.alertId)} are held until ${ack.endsAt}, by ${ack.author} (${ack.reason}).\n` +
            `It takes effect within ${SILENCE_CACHE_MS / 60_000} minute. To end it: macie-alerts ack expire ${ack.id}\n`,
        );
      } else if (options.action === 'list') {
        const acks = await listAcks(store, (error) => io.stderr.write(`macie-alerts: skipped an unreadable item: ${error.message}\n`));
        const shown = options.all ? acks : acks.filter((a) => Date.parse(a.endsAt) > now.getTime());
        if (shown.length === 0) {
          io.stdout.write(`No ${options.all ? '' : 'active '}acknowledgements in ${where}.\n`);
        } else {
          const state = (endsAt: string) => (Date.parse(endsAt) > now.getTime() ? 'active' : 'ended');
          const rows = [
            ['ID', 'STATE', 'ALERT', 'ENDS', 'AUTHOR', 'REASON'],
            ...shown.map((a) => [a.id, state(a.endsAt), a.alertId, a.endsAt, a.author, a.reason]),
          ];
          const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
          io.stdout.write(`${rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n')}\n`);
        }
      } else {
        const result = await expireAck(store, options.id, now);
        if (!result)
          throw new CommandFailed(
            `no acknowledgement ${options.id} in ${where} (\`macie-alerts ack list --all\` shows them; ended ones are kept 7 days)`,
            EXIT.notUnderstood,
          );
        io.stdout.write(
          result.alreadyEnded
            ? `Acknowledgement ${options.id} had already ended at ${result.ack.endsAt}: nothing to do.\n`
            : `Acknowledgement ${options.id} expired: the reminders of ${ackSubject(result.ack.alertId)} resume within a minute if the problem persists.\n`,
        );
      }
    });
  });
}
