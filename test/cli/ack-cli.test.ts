import { randomUUID } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from '../support/aws-mock';
import 'aws-sdk-client-mock-jest';
import { listAcks } from '../../lambda/silences/ack-store';
import { listSilences } from '../../lambda/silences/silence-store';
import { StateStore } from '../../lambda/state/store';
import { ackCommand, type AckOptions } from '../../src/cli/ack';
import { parseArgs } from '../../src/cli/args';
import { main } from '../../src/cli/main';
import type { SilenceEnv } from '../../src/cli/silence';
import { createStateTable } from '../../src/local/dynamodb-local';
import { testDynamoClient } from '../support/dynamodb';

/** `macie-alerts ack`: against DynamoDB Local (--table/--endpoint), and through --stack with CloudFormation and STS mocked. */
const NOW = new Date('2024-06-03T10:00:00.000Z');
const ALERT = 'run:job-1:2024-06-03T02:00:00.000Z:BUCKET_ACCESS_DENIED:first';

async function freshTable(): Promise<string> {
  const table = `acks-${randomUUID()}`;
  await createStateTable(testDynamoClient(), table);
  return table;
}

const cfn = mockClient(CloudFormationClient);
const sts = mockClient(STSClient);
beforeEach(() => {
  cfn.reset();
  sts.reset();
});

function env(now = NOW): SilenceEnv {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  return {
    cloudFormation: (region) => new CloudFormationClient({ region: region ?? 'eu-west-1', credentials }),
    sts: (region) => new STSClient({ region: region ?? 'eu-west-1', credentials }),
    dynamodb: () => testDynamoClient(),
    now: () => now,
    localUser: () => 'local-user',
  };
}

function parsed(argv: string[]): AckOptions {
  const command = parseArgs(['ack', ...argv]);
  if (command.kind !== 'ack') throw new Error('not an ack command');
  return command.options;
}

async function run(argv: string[], at = NOW) {
  const out = { stdout: '', stderr: '' };
  const io = { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } };
  const code = await ackCommand(parsed(argv), io, env(at));
  return { code, ...out };
}

describe('macie-alerts ack against DynamoDB Local', () => {
  test('ack ALERT_ID, list, list --all, expire; stored beside the silences, which stay as they are', async () => {
    const table = await freshTable();
    const at = ['--table', table, '--endpoint', process.env.TEST_DYNAMODB_ENDPOINT!];
    const added = await run([ALERT, ...at, '--for', '24h', '--reason', 'restoring the bucket policy', '--author', 'alice']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const id =
      /^Acknowledgement (A-[0-9A-Z]{4}) added: the repeats and reminders of run:job-1:2024-06-03T02:00:00.000Z:BUCKET_ACCESS_DENIED are held until 2024-06-04T10:00:00.000Z, by alice \(restoring the bucket policy\)\.$/m.exec(
        added.stdout,
      )?.[1];
    expect(id).toBeDefined();
    const store = StateStore.fromDefaults(table, testDynamoClient(), () => NOW);
    expect(await listAcks(store)).toEqual([
      {
        id,
        alertId: ALERT,
        startsAt: NOW.toISOString(),
        endsAt: '2024-06-04T10:00:00.000Z',
        author: 'alice',
        reason: 'restoring the bucket policy',
        createdAt: NOW.toISOString(),
        version: 1,
      },
    ]);
    expect(await listSilences(store)).toEqual([]);

    const listed = await run(['list', ...at]);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID +STATE +ALERT +ENDS +AUTHOR +REASON$/);
    expect(listed.stdout).toContain(`${id}  active  ${ALERT}  2024-06-04T10:00:00.000Z  alice   restoring the bucket policy`);

    const expired = await run(['expire', ...at, id!.toLowerCase()], new Date('2024-06-03T12:00:00.000Z'));
    expect(expired.stdout).toBe(
      `Acknowledgement ${id} expired: the reminders of run:job-1:2024-06-03T02:00:00.000Z:BUCKET_ACCESS_DENIED resume within a minute if the problem persists.\n`,
    );
    expect((await run(['expire', ...at, id!], new Date('2024-06-03T13:00:00.000Z'))).stdout).toContain('had already ended at 2024-06-03T12:00:00.000Z');
    expect((await run(['list', ...at], new Date('2024-06-03T13:00:00.000Z'))).stdout).toMatch(/^No active acknowledgements in table acks-/);
    expect((await run(['list', ...at, '--all'], new Date('2024-06-03T13:00:00.000Z'))).stdout).toContain(`${id}  ended `);
    expect((await run(['expire', ...at, 'A-ZZZZ'])).code).toBe(2);
  });

  test.each<[string, string[], string]>([
    ['no alert id', [], 'the alert id comes first'],
    ['an option first', ['--for', '1d'], 'the alert id comes first'],
    ['no duration', [ALERT, '--reason', 'r'], 'how long? Give --for DURATION'],
    ['a bad duration', [ALERT, '--for', 'tomorrow', '--reason', 'r'], '--for "tomorrow" is not a duration'],
    ['too long', [ALERT, '--for', '31d', '--reason', 'r'], '--for 31d is longer than 30 days'],
    ['no reason', [ALERT, '--for', '1d'], 'ack needs --reason TEXT'],
    ['two ids', [ALERT, 'other', '--for', '1d', '--reason', 'r'], 'ack takes one alert id'],
    ['a bad ack id', ['expire', '7KQ2'], '"7KQ2" is not an acknowledgement id'],
  ])('%s: exit 2 and the reason, nothing written', async (_name, args, message) => {
    const table = await freshTable();
    const out = { stdout: '', stderr: '' };
    const io = { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } };
    const code = await main(['ack', ...args, '--table', table, '--endpoint', process.env.TEST_DYNAMODB_ENDPOINT!], io);
    expect(code).toBe(2);
    expect(out.stderr).toContain(`macie-alerts: ${message}`);
    expect(await listAcks(StateStore.fromDefaults(table, testDynamoClient()))).toEqual([]);
  });
});

describe('macie-alerts ack --stack (CloudFormation and STS mocked, DynamoDB Local)', () => {
  test('finds the table from the stack output, names the author from the caller identity', async () => {
    const table = await freshTable();
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'MacieAlerts-eu-west-1',
          StackStatus: 'CREATE_COMPLETE' as const,
          CreationTime: new Date(),
          Outputs: [{ OutputKey: 'MacieAlertsStateTableNameDAAD2577', OutputValue: table }],
        },
      ],
    });
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com', Account: '123456789012' });
    const r = await run([ALERT, '--stack', 'MacieAlerts-eu-west-1', '--region', 'eu-west-1', '--for', '12h', '--reason', 'on it']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'MacieAlerts-eu-west-1' });
    const [ack] = await listAcks(StateStore.fromDefaults(table, testDynamoClient(), () => NOW));
    expect(ack).toMatchObject({ alertId: ALERT, author: 'alice@example.com', endsAt: '2024-06-03T22:00:00.000Z' });
    expect((await run(['list', '--stack', 'MacieAlerts-eu-west-1'])).stdout).toContain(ack.id);
    expect((await run(['expire', '--stack', 'MacieAlerts-eu-west-1', ack.id], new Date('2024-06-03T11:00:00.000Z'))).code).toBe(0);
  });
});
