import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../../lambda/core/settings';
import { SELF_TEST_MARKER, SELF_TEST_TTL_HOURS, type SelfTestReport } from '../../lambda/handlers/self-test';
import type { FunctionName } from '../../lambda/handlers/state-access';
import type { StateStore } from '../../lambda/state/store';
import { keys } from '../../lambda/state/table';
import { main } from '../../src/cli/main';
import { selfTestEvent } from '../../src/cli/selftest';
import { buildStack } from '../cdk/stack-fixture';
import { mockClient } from '../support/aws-mock';
import { freshStore } from '../support/dynamodb';
import { enforceRoles } from '../support/iam-stand-in';
import { startLambdaEndpoint, type LambdaEndpoint } from '../support/lambda-endpoint';
import { functionRoles, type FunctionRole, type TemplateJson } from '../support/role-conformance';
import { RecordingSnsEndpoint } from '../support/sns-endpoint';

/**
 * `macie-alerts selftest` end to end on the local stand-ins, through the code it runs against AWS: the CLI
 * reads the stack's Functions output (CloudFormation mocked), invokes each function through the Lambda Invoke
 * API (a local endpoint running the real handlers in this process, their clients pointed at DynamoDB Local
 * and the recording SNS endpoint by AWS_ENDPOINT_URL_*), and every AWS call a function makes goes through
 * an IAM stand-in holding the roles of the synthesized template.
 */
const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const FUNCTIONS: readonly FunctionName[] = ['job-log', 'findings', 'api-calls', 'health', 'sweeper'];
const arnOf = (fn: FunctionName) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:MacieAlerts-${fn}`;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const context = { getRemainingTimeInMillis: () => 120_000 };

const cfn = mockClient(CloudFormationClient);
const roles = functionRoles(buildStack({}).template.toJSON() as TemplateJson);
let store: StateStore;
let sns: RecordingSnsEndpoint;
let lambda: LambdaEndpoint;
let handlers: Record<FunctionName, (event: unknown, context: unknown) => Promise<unknown>>;
const saved = { ...process.env };

beforeAll(async () => {
  store = await freshStore();
  sns = await RecordingSnsEndpoint.start();
  Object.assign(process.env, {
    [ENV.tableName]: store.tableName,
    [ENV.topicArn]: `arn:aws:sns:${REGION}:${ACCOUNT}:macie-alerts`,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_DYNAMODB: process.env.TEST_DYNAMODB_ENDPOINT,
    AWS_ENDPOINT_URL_SNS: sns.url,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  // Loaded after the environment is set: each runtime is built at module load, as in Lambda.
  handlers = {
    'job-log': (await import('../../lambda/handlers/job-log')).handler as never,
    findings: (await import('../../lambda/handlers/findings')).handler as never,
    'api-calls': (await import('../../lambda/handlers/api-calls')).handler as never,
    health: (await import('../../lambda/handlers/health')).handler as never,
    sweeper: (await import('../../lambda/handlers/sweeper')).handler as never,
  };
  lambda = await startLambdaEndpoint(Object.fromEntries(FUNCTIONS.map((fn) => [arnOf(fn), (event: unknown) => handlers[fn](event, context)])));
});

afterAll(async () => {
  process.env = saved;
  await Promise.all([sns.close(), lambda.close()]);
});

beforeEach(() => {
  cfn.reset();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'MacieAlerts-eu-west-1',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [{ OutputKey: 'MacieAlertsFunctions5A1B2C3D', OutputValue: JSON.stringify(Object.fromEntries(FUNCTIONS.map((fn) => [fn, arnOf(fn)]))) }],
      },
    ],
  });
});

/** `macie-alerts selftest --stack ...` against the stand-ins, with the functions' roles as given. */
async function runSelfTest(withRoles: readonly FunctionRole[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const release = enforceRoles(withRoles);
  let stdout = '';
  let stderr = '';
  try {
    const code = await main(
      ['selftest', '--stack', 'MacieAlerts-eu-west-1', '--region', REGION],
      { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } },
      undefined,
      () => ({
        cloudFormation: new CloudFormationClient({ region: REGION, credentials }),
        lambda: new LambdaClient({ region: REGION, credentials, endpoint: lambda.url }),
      }),
    );
    return { code, stdout, stderr };
  } finally {
    release();
  }
}

function without(fn: FunctionName, action: string): FunctionRole[] {
  return roles.map((r) => (r.actor === fn ? { ...r, grants: r.grants.filter((g) => g.action !== action) } : r));
}

async function items(): Promise<Record<string, unknown>[]> {
  return (await store.doc.send(new ScanCommand({ TableName: store.tableName, ConsistentRead: true }))).Items ?? [];
}

test('with the stack’s roles, every function reads, writes and publishes one TEST alert that says it is a test; nothing else is left', async () => {
  const before = sns.taken.length;
  const { code, stdout, stderr } = await runSelfTest(roles);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const lines = stdout.trim().split('\n');
  expect(lines.slice(1, 6).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['ok job-log', 'ok findings', 'ok api-calls', 'ok health', 'ok sweeper']);
  expect(lines[6]).toBe('selftest: all 5 functions work: each published a TEST alert (subscribers receive 5)');

  const taken = sns.taken.slice(before);
  expect(taken.map((e) => e.attributes.category)).toEqual(['TEST', 'TEST', 'TEST', 'TEST', 'TEST']);
  expect(taken.map((e) => e.attributes.severity)).toEqual(['INFO', 'INFO', 'INFO', 'INFO', 'INFO']);
  for (const entry of taken) {
    expect(entry.subject).toMatch(/^\[INFO\] Test alert: the (job-log|findings|api-calls|health|sweeper) function can read, write and publish$/);
    expect(entry.messages.email).toContain('This is a test, not a Macie event.');
    expect(entry.messages.sms).toContain('Test alert');
    expect(JSON.parse(entry.messages.default)).toMatchObject({ category: 'TEST', eventType: 'SELF_TEST', accountId: ACCOUNT });
  }
  // The only state: the self-tests' items and their alerts' outbox items, gone within the hour.
  const left = await items();
  expect(left.every((i) => i.pk === 'SELFTEST' || String(i.pk).startsWith('ALERT#selftest:'))).toBe(true);
  const latest = Math.floor(Date.now() / 1000) + SELF_TEST_TTL_HOURS * 3600;
  expect(left.every((i) => typeof i.expiresAt === 'number' && i.expiresAt <= latest)).toBe(true);
});

test('a grant missing from a role (job-log without dynamodb:ConditionCheckItem): its line says so, the others pass', async () => {
  const { code, stdout } = await runSelfTest(without('job-log', 'dynamodb:ConditionCheckItem'));
  expect(code).toBe(1);
  expect(stdout).toMatch(
    /^FAILED\s+job-log\s+dynamodb:ConditionCheckItem denied: AccessDeniedException: User: .* is not authorized to perform: dynamodb:ConditionCheckItem .* \(step transact-write\)$/m,
  );
  expect(stdout.match(/^ok\s/gm)).toHaveLength(4);
  expect(stdout).toMatch(/1 of 5 functions failed: a denied action is missing from the function’s role/);
});

test('a role that may not publish: the line names sns:Publish, and the sweeper’s missing index permission is named too', async () => {
  const roles1 = without('api-calls', 'sns:Publish');
  const roles2 = roles1.map((r) => (r.actor === 'sweeper' ? { ...r, grants: r.grants.filter((g) => g.resource !== 'table/index/gsi2') } : r));
  const { code, stdout } = await runSelfTest(roles2);
  expect(code).toBe(1);
  expect(stdout).toMatch(/^FAILED\s+api-calls\s+sns:Publish denied: PublishBatch failed: AuthorizationErrorException: .*SNS:Publish.* \(step publish\)$/m);
  expect(stdout).toMatch(/^FAILED\s+sweeper\s+dynamodb:Query denied: .* on resource: table\/index\/gsi2 .* \(step query-indexes\)$/m);
});

test('the same test delivered twice publishes its alert once', async () => {
  const request = { id: 'st-twice-1', requestedAt: new Date().toISOString() };
  const before = sns.taken.length;
  const release = enforceRoles(roles);
  try {
    const first = (await handlers.findings(selfTestEvent('findings', request), context)) as SelfTestReport;
    const second = (await handlers.findings(selfTestEvent('findings', request), context)) as SelfTestReport;
    expect([first.selfTest.published, second.selfTest.published]).toEqual([true, true]);
    expect(second.selfTest.steps).toEqual(['read', 'query', 'publish']);
  } finally {
    release();
  }
  expect(sns.taken.slice(before).map((e) => e.attributes.alertId)).toEqual(['selftest:findings:st-twice-1']);
});

test('a retry after an attempt that stopped after its first write finishes it, and publishes once', async () => {
  const request = { id: 'st-retry-1', requestedAt: new Date().toISOString() };
  // What an attempt killed between its two writes leaves: the test's item, no alert.
  await store.write([
    {
      kind: 'put',
      item: { ...keys.selfTest('sweeper', request.id), requestedAt: request.requestedAt, version: 1, expiresAt: Math.floor(Date.now() / 1000) + 3600 },
    },
  ]);
  const before = sns.taken.length;
  const release = enforceRoles(roles);
  try {
    const report = (await handlers.sweeper(selfTestEvent('sweeper', request), context)) as SelfTestReport;
    expect(report.selfTest).toMatchObject({ published: true, steps: ['read', 'query', 'query-indexes', 'transact-write', 'publish'] });
  } finally {
    release();
  }
  expect(sns.taken.slice(before).map((e) => e.attributes.alertId)).toEqual(['selftest:sweeper:st-retry-1']);
});

test('a malformed marker: reported, nothing written or published', async () => {
  const before = { taken: sns.taken.length, items: (await items()).length };
  const report = (await handlers['job-log'](
    { ...selfTestEvent('job-log', { id: 'x', requestedAt: new Date().toISOString() }), [SELF_TEST_MARKER]: { id: 'not an id!' } },
    context,
  )) as SelfTestReport;
  expect(report.selfTest).toMatchObject({ published: false, failure: { step: 'request' } });
  expect({ taken: sns.taken.length, items: (await items()).length }).toEqual(before);
});

test('a stack without the Functions output: exit 2, and why', async () => {
  cfn.reset();
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Other', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });
  const { code, stderr } = await runSelfTest(roles);
  expect(code).toBe(2);
  expect(stderr).toMatch(/has no Functions output: is it a macie-alerts stack, deployed with this version/);
});

test('no Region anywhere (the real default chain, in a child process): exit 2 and what to set, before any call', async () => {
  const env = { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'no-aws-')), AWS_EC2_METADATA_DISABLED: 'true' };
  const bin = join(__dirname, '..', '..', 'bin', 'macie-alerts-cli.js');
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, 'selftest', '--stack', 'MacieAlerts-eu-west-1'], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
  expect(run).toEqual({
    code: 2,
    stdout: '',
    stderr: 'macie-alerts: no AWS Region: pass --region REGION, or set AWS_REGION (or a region in your AWS profile)\n',
  });
});
