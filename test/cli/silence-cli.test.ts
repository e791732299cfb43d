import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from '../support/aws-mock';
import 'aws-sdk-client-mock-jest';
import { listSilences } from '../../lambda/silences/silence-store';
import { StateStore } from '../../lambda/state/store';
import { main } from '../../src/cli/main';
import { parseDuration, silenceCommand, type SilenceEnv, type SilenceOptions } from '../../src/cli/silence';
import { parseArgs } from '../../src/cli/args';
import { createStateTable } from '../../src/local/dynamodb-local';
import { testDynamoClient } from '../support/dynamodb';

/**
 * `macie-alerts silence`: against DynamoDB Local (--table/--endpoint, in process and as a child process), and
 * through --stack with CloudFormation and STS from aws-sdk-client-mock.
 */
const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'macie-alerts-cli.js');
const NOW = new Date('2024-06-03T10:00:00.000Z');

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } } };
}

async function freshTable(): Promise<string> {
  const table = `silences-${randomUUID()}`;
  await createStateTable(testDynamoClient(), table);
  return table;
}

async function cli(argv: string[]): Promise<Out> {
  const { out, io } = capture();
  const code = await main(argv, io);
  return { code, ...out };
}

const cfn = mockClient(CloudFormationClient);
const sts = mockClient(STSClient);
beforeEach(() => {
  cfn.reset();
  sts.reset();
});

/** The stack path with CloudFormation and STS mocked, DynamoDB Local for the table, and a fixed clock. */
function stackEnv(now = NOW): SilenceEnv {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  return {
    cloudFormation: (region) => new CloudFormationClient({ region: region ?? 'eu-west-1', credentials }),
    sts: (region) => new STSClient({ region: region ?? 'eu-west-1', credentials }),
    dynamodb: () => testDynamoClient(),
    now: () => now,
    localUser: () => 'local-user',
  };
}

function parsed(argv: string[]): SilenceOptions {
  const command = parseArgs(['silence', ...argv]);
  if (command.kind !== 'silence') throw new Error('not a silence command');
  return command.options;
}

async function run(argv: string[], env: SilenceEnv): Promise<Out> {
  const { out, io } = capture();
  const code = await silenceCommand(parsed(argv), io, env);
  return { code, ...out };
}

describe('macie-alerts silence against DynamoDB Local (--table --endpoint)', () => {
  test('add, list, list --all, expire', async () => {
    const table = await freshTable();
    const at = ['--table', table, '--endpoint', process.env.TEST_DYNAMODB_ENDPOINT!];
    const added = await cli([
      'silence',
      'add',
      ...at,
      '--bucket',
      'legacy-*',
      '--account',
      '111122223333',
      '--for',
      '7d',
      '--reason',
      'bucket migration',
      '--author',
      'alice',
    ]);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const id = /^Silence (S-[0-9A-Z]{4}) added: buckets legacy-\* in account 111122223333, until \S+, by alice \(bucket migration\)\.$/m.exec(
      added.stdout,
    )?.[1];
    expect(id).toBeDefined();
    expect(added.stdout).toContain(
      `It takes effect within 1 minute: the pipelines read silences at most that often. To end it: macie-alerts silence expire ${id}`,
    );
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const other = await cli(['silence', 'add', ...at, '--job', 'job-1', '--type', 'BUCKET_DOES_NOT_EXIST', '--until', until, '--reason', 'deleted on purpose']);
    expect(other.code).toBe(0);
    // Without --author and without --stack, the author is the local user.
    const store = StateStore.fromDefaults(table, testDynamoClient());
    const stored = await listSilences(store);
    expect(stored.map((s) => s.match)).toEqual(
      expect.arrayContaining([
        { bucket: 'legacy-*', accountId: '111122223333' },
        { jobId: 'job-1', type: 'BUCKET_DOES_NOT_EXIST' },
      ]),
    );
    expect(stored.find((s) => s.match.jobId)).toMatchObject({ endsAt: `${until}T00:00:00.000Z`, author: expect.any(String), reason: 'deleted on purpose' });
    expect(Date.parse(stored.find((s) => s.id === id)!.endsAt) - Date.parse(stored.find((s) => s.id === id)!.startsAt)).toBe(7 * 86_400_000);

    const listed = await cli(['silence', 'list', ...at]);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID {6}STATE {3}MATCHES +ENDS +AUTHOR +REASON$/);
    expect(lines.filter((l) => /^S-\S+ {2}active {2}/.test(l))).toHaveLength(2);
    expect(lines[lines.length - 1]).toBe('2 active');

    const expired = await cli(['silence', 'expire', ...at, id!.toLowerCase()]);
    expect(expired).toMatchObject({
      code: 0,
      stdout: `Silence ${id} expired (buckets legacy-* in account 111122223333): what it silenced alerts again within a minute.\n`,
    });
    const again = await cli(['silence', 'expire', ...at, id!]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^Silence ${id} had already ended at \\S+: nothing to do\\.\\n$`));

    const active = await cli(['silence', 'list', ...at]);
    expect(active.stdout).not.toContain(id!);
    expect(active.stdout.trimEnd().split('\n').pop()).toBe('1 active; 1 ended (--all shows them)');
    const all = await cli(['silence', 'list', ...at, '--all']);
    expect(all.stdout).toMatch(new RegExp(`^${id}  ended `, 'm'));

    const empty = await cli(['silence', 'list', '--table', await freshTable(), '--endpoint', process.env.TEST_DYNAMODB_ENDPOINT!]);
    expect(empty.stdout).toMatch(/^No active silences in table silences-/);
  });

  test('add --every: a recurring silence, stored with its window; list shows the next window', async () => {
    // NOW is Monday 2024-06-03 10:00 UTC.
    const table = await freshTable();
    const at = ['--table', table, '--endpoint', process.env.TEST_DYNAMODB_ENDPOINT!];
    const added = await run(
      ['add', ...at, '--bucket', 'backups-*', '--for', '4w', '--every', 'sat,sun 00:00-06:00', '--reason', 'weekend backups', '--author', 'alice'],
      stackEnv(),
    );
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(
      /^Silence S-\S+ added: buckets backups-\*, until 2024-07-01T10:00:00\.000Z, every Sat, Sun 00:00-06:00 UTC \(next window 2024-06-08T00:00:00\.000Z to 2024-06-08T06:00:00\.000Z\), by alice \(weekend backups\)\.$/m,
    );
    const [stored] = await listSilences(StateStore.fromDefaults(table, testDynamoClient(), () => NOW));
    expect(stored).toMatchObject({ every: { days: ['sat', 'sun'], from: '00:00', to: '06:00' }, startsAt: NOW.toISOString() });
    await run(['add', ...at, '--job', 'job-1', '--for', '1d', '--reason', 'plain', '--author', 'bob'], stackEnv());

    const inside = await run(['list', ...at], stackEnv(new Date('2024-06-09T05:00:00.000Z')));
    const lines = inside.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +STATE +MATCHES +ENDS +WINDOW +AUTHOR +REASON$/);
    expect(lines.find((l) => l.includes('backups-*'))).toContain('every Sat, Sun 00:00-06:00 UTC; window open now, until 2024-06-09T06:00:00.000Z');
    const later = await run(['list', ...at], stackEnv(new Date('2024-06-09T06:00:00.000Z')));
    expect(later.stdout).toContain('next window 2024-06-15T00:00:00.000Z to 2024-06-15T06:00:00.000Z');
  });

  test.each<[string, string[], string]>([
    ['not a window', ['--every', 'weekends'], '--every: "weekends" is not a weekly window'],
    ['a bad day', ['--every', 'sat,sunday 00:00-06:00'], '--every: "sunday" is not a weekday'],
    ['an empty window', ['--every', 'sat 06:00-06:00'], 'is empty'],
    [
      'a window that never opens before the end',
      ['--every', 'sat 00:00-06:00', '--for', '2d'],
      '--every every Sat 00:00-06:00 UTC never opens between now (2024-06-03T10:00:00.000Z) and 2024-06-05T10:00:00.000Z',
    ],
  ])('add --every with %s: exit 2, nothing written', async (_name, args, message) => {
    const table = await freshTable();
    const argv = ['add', '--table', table, '--endpoint', process.env.TEST_DYNAMODB_ENDPOINT!, '--bucket', 'b', '--reason', 'r', '--author', 'a', ...args];
    const r = await (async () => {
      try {
        return await run(args.includes('--for') ? argv : [...argv, '--for', '7d'], stackEnv());
      } catch (error) {
        return { code: 2, stdout: '', stderr: `macie-alerts: ${(error as Error).message}` };
      }
    })();
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain(message);
    expect(await listSilences(StateStore.fromDefaults(table, testDynamoClient()))).toEqual([]);
  });

  test.each<[string, string[], string]>([
    ['a bad duration', ['--bucket', 'b', '--for', '7 days', '--reason', 'r'], '--for "7 days" is not a duration: use minutes, hours, days or weeks'],
    ['a zero duration', ['--bucket', 'b', '--for', '0d', '--reason', 'r'], '--for "0d" is not a duration'],
    [
      'a duration over a year',
      ['--bucket', 'b', '--for', '53w', '--reason', 'r'],
      '--for 53w is longer than 365 days: a silence must end (make a new one then)',
    ],
    ['no matcher', ['--for', '7d', '--reason', 'r'], 'a silence needs at least one matcher'],
    ['no end', ['--bucket', 'b', '--reason', 'r'], 'how long? Give --for DURATION (e.g. 7d) or --until TIME'],
    ['both ends', ['--bucket', 'b', '--for', '1d', '--until', '2099-01-01', '--reason', 'r'], 'give --for or --until, not both'],
    ['a time that is not one', ['--bucket', 'b', '--until', 'next friday', '--reason', 'r'], '--until "next friday" is not a time'],
    ['no reason', ['--bucket', 'b', '--for', '1d'], 'silence add needs --reason TEXT'],
    ['a bad account', ['--account', '12345', '--for', '1d', '--reason', 'r'], 'account "12345" is not a 12-digit AWS account id'],
    [
      'a bad bucket pattern',
      ['--bucket', 'logs*old', '--for', '1d', '--reason', 'r'],
      'bucket "logs*old" is not a bucket name or a prefix ending with * (e.g. logs-*)',
    ],
    ['a type that is never silenced', ['--type', 'DisableMacie', '--for', '1d', '--reason', 'r'], 'DisableMacie alerts cannot be silenced'],
    ['an unknown option', ['--bucket', 'b', '--for', '1d', '--reason', 'r', '--force'], 'unknown option --force'],
    ['an option of another command', ['--bucket', 'b', '--for', '1d', '--reason', 'r', '--all'], 'unknown option --all'],
    ['an option given twice', ['--bucket', 'b', '--bucket', 'c', '--for', '1d', '--reason', 'r'], '--bucket given twice'],
  ])('add with %s: exit 2, the reason, nothing written', async (_name, args, message) => {
    const table = await freshTable();
    const r = await cli(['silence', 'add', '--table', table, '--endpoint', process.env.TEST_DYNAMODB_ENDPOINT!, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`macie-alerts: ${message}`);
    expect(r.stderr).toContain('Run `macie-alerts silence --help` for usage.');
    expect(await listSilences(StateStore.fromDefaults(table, testDynamoClient()))).toEqual([]);
  });

  test.each<[string, string[], string]>([
    ['no target', ['silence', 'list'], 'which stack? Give --stack NAME'],
    ['--table without --endpoint', ['silence', 'list', '--table', 't'], '--table and --endpoint go together'],
    [
      '--stack and --table',
      ['silence', 'list', '--stack', 'S', '--table', 't', '--endpoint', 'http://localhost:1'],
      'give either --stack NAME or --table NAME --endpoint URL, not both',
    ],
    ['a bad Region', ['silence', 'list', '--stack', 'S', '--region', 'mars'], '--region "mars" is not a Region name'],
    ['a bad id', ['silence', 'expire', '--stack', 'S', '7KQ2'], '"7KQ2" is not a silence id'],
    ['no id', ['silence', 'expire', '--stack', 'S'], 'silence expire needs one silence id'],
    ['an unknown silence command', ['silence', 'mute', '--stack', 'S'], 'unknown command "silence mute": expected add, list or expire'],
  ])('%s: exit 2 and the reason', async (_name, argv, message) => {
    const r = await cli(argv);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain(`macie-alerts: ${message}`);
  });

  test('an end in the past and an unknown id: exit 2 and the reason', async () => {
    const table = await freshTable();
    const at = ['--table', table, '--endpoint', process.env.TEST_DYNAMODB_ENDPOINT!];
    const past = await cli(['silence', 'add', ...at, '--bucket', 'b', '--until', '2020-01-01T00:00:00Z', '--reason', 'r']);
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/^macie-alerts: --until 2020-01-01T00:00:00.000Z is in the past \(it is \S+\): a silence must end later than now\n$/);
    const unknown = await cli(['silence', 'expire', ...at, 'S-ZZZZ']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `macie-alerts: no silence S-ZZZZ in table ${table} (\`macie-alerts silence list --all\` shows them; ended ones are kept 7 days)\n`,
    );
  });

  test('durations', () => {
    expect([parseDuration('90m'), parseDuration('12h'), parseDuration('7d'), parseDuration('2w'), parseDuration('1d12h')]).toEqual([
      5_400_000, 43_200_000, 604_800_000, 1_209_600_000, 129_600_000,
    ]);
    expect([parseDuration(''), parseDuration('d'), parseDuration('7'), parseDuration('1h1d'), parseDuration('-1d')]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('macie-alerts silence --stack (CloudFormation and STS mocked, DynamoDB Local)', () => {
  const outputs = (table: string) => ({
    Stacks: [
      {
        StackName: 'MacieAlerts-eu-west-1',
        StackStatus: 'CREATE_COMPLETE' as const,
        CreationTime: new Date(),
        Outputs: [
          { OutputKey: 'MacieAlertsAlertTopicArnB3F8C1A2', OutputValue: 'arn:aws:sns:eu-west-1:123456789012:alerts' },
          { OutputKey: 'MacieAlertsStateTableNameDAAD2577', OutputValue: table },
        ],
      },
    ],
  });

  test('finds the table from the stack output (hashed name), names the author from the caller identity', async () => {
    const table = await freshTable();
    cfn.on(DescribeStacksCommand).resolves(outputs(table));
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com', Account: '123456789012' });
    const r = await run(
      [
        'add',
        '--stack',
        'MacieAlerts-eu-west-1',
        '--region',
        'eu-west-1',
        '--bucket',
        'amzn-s3-demo-locked',
        '--for',
        '30d',
        '--reason',
        'locked down on purpose',
      ],
      stackEnv(),
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'MacieAlerts-eu-west-1' });
    const [s] = await listSilences(StateStore.fromDefaults(table, testDynamoClient(), () => NOW));
    expect(s).toMatchObject({
      match: { bucket: 'amzn-s3-demo-locked' },
      author: 'alice@example.com',
      startsAt: NOW.toISOString(),
      endsAt: '2024-07-03T10:00:00.000Z',
      createdAt: NOW.toISOString(),
    });

    const listed = await run(['list', '--stack', 'MacieAlerts-eu-west-1'], stackEnv());
    expect(listed.stdout).toContain(`${s.id}  active  bucket amzn-s3-demo-locked  2024-07-03T10:00:00.000Z  alice@example.com  locked down on purpose`);
    const expired = await run(['expire', '--stack', 'MacieAlerts-eu-west-1', s.id], stackEnv(new Date('2024-06-04T00:00:00.000Z')));
    expect(expired.code).toBe(0);
  });

  test('an end in the past: exit 2 before CloudFormation or STS is asked anything', async () => {
    const r = await run(['add', '--stack', 'MacieAlerts-eu-west-1', '--bucket', 'b', '--until', '2024-06-01', '--reason', 'r'], stackEnv());
    expect(r).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'macie-alerts: --until 2024-06-01T00:00:00.000Z is in the past (it is 2024-06-03T10:00:00.000Z): a silence must end later than now\n',
    });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 0);
  });

  test('an IAM user is named by its user name; --author skips the identity look-up', async () => {
    const table = await freshTable();
    cfn.on(DescribeStacksCommand).resolves(outputs(table));
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:iam::123456789012:user/ops/bob' });
    await run(['add', '--stack', 'S', '--job', 'job-1', '--for', '1d', '--reason', 'r'], stackEnv());
    await run(['add', '--stack', 'S', '--job', 'job-2', '--for', '1d', '--reason', 'r', '--author', 'carol'], stackEnv());
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    const silences = await listSilences(StateStore.fromDefaults(table, testDynamoClient(), () => NOW));
    expect(Object.fromEntries(silences.map((s) => [s.match.jobId, s.author]))).toEqual({ 'job-1': 'bob', 'job-2': 'carol' });
  });

  test('an unknown stack, a stack without the output, missing credentials, an identity that cannot be looked up: plain errors', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'Nope' }).rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    const unknown = await run(['list', '--stack', 'Nope', '--region', 'eu-west-1'], stackEnv());
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toBe(
      'macie-alerts: stack "Nope" was not found in eu-west-1: check --stack (the name `cdk deploy` printed, e.g. MacieAlerts-eu-west-1) and --region\n',
    );

    cfn
      .on(DescribeStacksCommand, { StackName: 'Other' })
      .resolves({ Stacks: [{ StackName: 'Other', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: [] }] });
    const other = await run(['list', '--stack', 'Other'], stackEnv());
    expect(other).toMatchObject({ code: 2, stderr: 'macie-alerts: stack "Other" has no StateTableName output: is it a macie-alerts stack?\n' });

    cfn
      .on(DescribeStacksCommand, { StackName: 'NoCreds' })
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const noCreds = await run(['list', '--stack', 'NoCreds'], stackEnv());
    expect(noCreds.code).toBe(1);
    expect(noCreds.stderr).toContain(
      'macie-alerts: no AWS credentials found (the standard chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws, SSO',
    );

    const table = await freshTable();
    cfn.on(DescribeStacksCommand, { StackName: 'S' }).resolves(outputs(table));
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('not authorized to perform sts:GetCallerIdentity'), { name: 'AccessDenied' }));
    const anonymous = await run(['add', '--stack', 'S', '--job', 'j', '--for', '1d', '--reason', 'r'], stackEnv());
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toBe(
      'macie-alerts: not allowed to look up your identity (sts:GetCallerIdentity): not authorized to perform sts:GetCallerIdentity; or name the author with --author NAME\n',
    );
    expect(await listSilences(StateStore.fromDefaults(table, testDynamoClient(), () => NOW))).toEqual([]);
  });
});

describe('macie-alerts silence as a user runs it (child process)', () => {
  function child(args: string[], env: NodeJS.ProcessEnv): Promise<Out> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env }, (error, stdout, stderr) => {
        const code = error ? (error as { code?: number }).code : 0;
        resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
      });
    });
  }

  test('with no AWS credentials anywhere, --stack says what is missing and exits 1', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const r = await child(['silence', 'list', '--stack', 'MacieAlerts-eu-west-1', '--region', 'eu-west-1'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'macie-alerts: no AWS credentials found (the standard chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws, SSO, an instance or container role): configure some',
    );
  });

  test('an end in the past is reported before any AWS call: not hidden behind missing credentials', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const r = await child(
      ['silence', 'add', '--stack', 'MacieAlerts-eu-west-1', '--region', 'eu-west-1', '--bucket', 'b', '--until', '2020-01-01', '--reason', 'r'],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^macie-alerts: --until 2020-01-01T00:00:00.000Z is in the past \(it is \S+\): a silence must end later than now\n$/);
  });

  test.each<[string, string[]]>([
    ['--stack', ['silence', 'list', '--stack', 'MacieAlerts-eu-west-1']],
    ['a remote --endpoint', ['silence', 'list', '--table', 'MacieAlerts-State', '--endpoint', 'https://dynamodb.example.com']],
  ])('no Region anywhere, with %s: exit 2 and what to set, before any call', async (_name, argv) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const r = await child(argv, env);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('macie-alerts: no AWS Region: pass --region REGION, or set AWS_REGION (or a region in your AWS profile)\n');
  });

  test('add then list against DynamoDB Local', async () => {
    const table = await freshTable();
    const at = ['--table', table, '--endpoint', process.env.TEST_DYNAMODB_ENDPOINT!];
    const added = await child(
      ['silence', 'add', ...at, '--account', '444455556666', '--for', '12h', '--reason', 'moving to another organization'],
      process.env,
    );
    expect(added.code).toBe(0);
    const listed = await child(['silence', 'list', ...at], process.env);
    expect(listed.stdout).toContain('account 444455556666');
    expect(listed.stdout).toContain('moving to another organization');
  });
});
