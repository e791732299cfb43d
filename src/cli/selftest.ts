import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { MACIE_JOB_LOG_GROUP } from '../../lambda/core/links';
import {
  deniedActionOf,
  SELF_TEST_MARKER,
  type FunctionName,
  type SelfTestReport,
  type SelfTestRequest,
  type SelfTestResult,
} from '../../lambda/handlers/self-test';
import { eventMessages, sqsEvent } from '../local/sqs-queue';
import { awsErrorText } from './aws-errors';
import { EXIT, parseOptions, regionOption, stackOption, UsageError } from './options';
import { FUNCTIONS_OUTPUT, parseStackFunctions } from '../../lib/functions-output';
import { RegionMissing, RegionUnknown } from './aws-region';
import { findOutput, StackLookupFailed, StackNotFound, stackOutputs } from './stack-outputs';

/**
 * `macie-alerts selftest --stack NAME`: after a deploy, invokes each function with a marked test event, which
 * exercises its state table calls and publishes one TEST alert; the answer names what failed and the action refused.
 */
export const SELFTEST_USAGE = `Usage: macie-alerts selftest --stack NAME [--region REGION]

Checks a deployed stack end to end: invokes each of its functions (job-log, findings, api-calls, sweeper)
with a test event, and waits for each to answer. Each one reads and writes the state table the way it does for
Macie's events, and publishes one alert of category TEST ("Test alert: ...") to the alert topic: every
subscriber receives one test alert per function, whatever its filter. One line per function says whether it
worked, or what failed and why (a permission the function's role lacks is named, e.g. dynamodb:PutItem).
The test leaves no state that changes what the pipeline reports; its items expire within the hour.

Options:
  --stack NAME        the stack, as \`cdk deploy\` named it (e.g. MacieAlerts-eu-west-1).
  --region REGION     its Region. Default: AWS_REGION or your profile's Region.
  -h, --help          this help.

AWS credentials come from the standard chain (environment, AWS_PROFILE or ~/.aws, SSO, an instance or
container role); the calls need cloudformation:DescribeStacks and lambda:InvokeFunction.

Exit status: 0 when every function passed, 1 when one failed (or AWS refused a call), 2 when an option or the
stack was not understood.
`;

export interface SelfTestOptions {
  readonly stack: string;
  readonly region?: string;
}

export function selfTestOptions(rest: readonly string[]): SelfTestOptions {
  const { values, positionals } = parseOptions(rest, new Set(['--stack', '--region']), new Set());
  if (positionals.length > 0) throw new UsageError(`selftest takes no arguments, only options (got "${positionals[0]}")`);
  const stack = stackOption(values.get('--stack'));
  if (stack === undefined) throw new UsageError('selftest needs --stack NAME: the stack `cdk deploy` made (e.g. MacieAlerts-eu-west-1)');
  return { stack, region: regionOption(values.get('--region')) };
}

export interface SelfTestClients {
  readonly cloudFormation: CloudFormationClient;
  readonly lambda: LambdaClient;
}

export function defaultSelfTestClients(region: string | undefined): SelfTestClients {
  const config = region ? { region } : {};
  return { cloudFormation: new CloudFormationClient(config), lambda: new LambdaClient(config) };
}

export interface SelfTestOutput {
  line(text: string): void;
  problem(text: string): void;
}

/** Test paths in the order they are printed: the order events flow. */
const FUNCTIONS: readonly FunctionName[] = ['job-log', 'findings', 'api-calls', 'health', 'sweeper'];

export interface SelfTestContext {
  readonly now: () => Date;
  /** Chooses the test id (random by default). */
  readonly newId?: () => string;
}

export async function selfTest(
  options: SelfTestOptions,
  clients: SelfTestClients,
  out: SelfTestOutput,
  context: SelfTestContext = { now: () => new Date() },
): Promise<number> {
  let functions: Partial<Record<FunctionName, string>>;
  try {
    const output = findOutput(await stackOutputs(clients.cloudFormation, options.stack), FUNCTIONS_OUTPUT);
    if (!output?.OutputValue) {
      out.problem(`stack "${options.stack}" has no ${FUNCTIONS_OUTPUT} output: is it a macie-alerts stack, deployed with this version (npx cdk deploy)?`);
      return EXIT.notUnderstood;
    }
    functions = parseStackFunctions(output.OutputValue);
  } catch (error) {
    if (error instanceof StackNotFound || error instanceof RegionMissing) {
      out.problem(error.message);
      return EXIT.notUnderstood;
    }
    out.problem(error instanceof StackLookupFailed || error instanceof RegionUnknown ? error.message : `stack "${options.stack}": ${(error as Error).message}`);
    return EXIT.failed;
  }

  const now = context.now();
  const request: SelfTestRequest = {
    id: (context.newId ?? randomTestId)(),
    requestedAt: now.toISOString(),
    ...accountOf(Object.values(functions)),
  };
  const tested = FUNCTIONS.filter((fn) => functions[fn] !== undefined);
  out.line(`selftest: stack ${options.stack}, test ${request.id}: invoking ${tested.join(', ')}`);
  const results = await Promise.all(tested.map((fn) => invoke(fn, functions[fn]!, request, clients.lambda)));
  for (const line of results) out.line(line.text);
  const failed = results.filter((r) => !r.ok).length;
  out.line(
    failed === 0
      ? `selftest: all ${results.length} functions work: each published a TEST alert (subscribers receive ${results.length})`
      : `selftest: ${failed} of ${results.length} functions failed${results.some((r) => r.denied) ? ': a denied action is missing from the function’s role (deploy this version of the stack)' : ''}`,
  );
  return failed === 0 ? EXIT.ok : EXIT.failed;
}

/** A test id: the time and a few random characters, so two runs never share one. */
function randomTestId(): string {
  return `st-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

function accountOf(arns: readonly (string | undefined)[]): { accountId?: string } {
  const account = arns.map((a) => /^arn:[^:]+:lambda:[^:]+:(\d{12}):/.exec(a ?? '')?.[1]).find((a) => a !== undefined);
  return account ? { accountId: account } : {};
}

/** The event of each function's trigger, marked as a test; what is under the marker does nothing to a handler that predates it. */
export function selfTestEvent(fn: FunctionName, request: SelfTestRequest): Record<string, unknown> {
  const marker = { [SELF_TEST_MARKER]: request };
  switch (fn) {
    case 'job-log': {
      const payload = {
        messageType: 'CONTROL_MESSAGE',
        owner: 'CloudwatchLogs',
        logGroup: MACIE_JOB_LOG_GROUP,
        logStream: 'macie-alerts-selftest',
        subscriptionFilters: ['macie-alerts-selftest'],
        logEvents: [{ id: request.id, timestamp: Date.parse(request.requestedAt), message: `CWL CONTROL MESSAGE: macie-alerts selftest ${request.id}` }],
      };
      return { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') }, ...marker };
    }
    case 'findings':
    case 'api-calls':
    case 'health': {
      const event = {
        version: '0',
        id: request.id,
        'detail-type': 'macie-alerts selftest',
        source: 'macie-alerts.selftest',
        time: request.requestedAt,
        resources: [],
        detail: {},
      };
      return { ...sqsEvent(eventMessages([event])), ...marker };
    }
    case 'sweeper':
      return {
        version: '0',
        id: request.id,
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        time: request.requestedAt,
        resources: [],
        detail: {},
        ...marker,
      };
  }
}

interface PathResult {
  readonly ok: boolean;
  readonly denied: boolean;
  readonly text: string;
}

async function invoke(fn: FunctionName, functionArn: string, request: SelfTestRequest, lambda: LambdaClient): Promise<PathResult> {
  const startedAt = performance.now();
  const label = fn.padEnd(9);
  const failed = (reason: string, deniedAction?: string): PathResult => ({
    ok: false,
    denied: deniedAction !== undefined,
    text: `FAILED  ${label} ${deniedAction ? `${deniedAction} denied: ` : ''}${reason}`,
  });
  let response: InvokeCommandOutput;
  try {
    response = await lambda.send(
      new InvokeCommand({ FunctionName: functionArn, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(selfTestEvent(fn, request))) }),
    );
  } catch (error) {
    return failed(awsErrorText(error, `invoke ${functionArn} (lambda:InvokeFunction)`));
  }
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  if (response.FunctionError) {
    const thrown = parseJson(text) as { errorType?: string; errorMessage?: string } | undefined;
    const reason = `the function threw (${response.FunctionError}): ${thrown?.errorType ?? 'Error'}: ${thrown?.errorMessage ?? text}`;
    return failed(reason, deniedActionOf(reason));
  }
  const result = (parseJson(text) as Partial<SelfTestReport> | undefined)?.selfTest;
  if (!isResult(result, fn))
    return failed(`the function did not run the self-test (is the stack deployed with this version?): it answered ${text.slice(0, 200) || 'nothing'}`);
  if (result.failure) return failed(`${result.failure.reason} (step ${result.failure.step})`, result.failure.deniedAction);
  if (!result.published) return failed('the TEST alert was not published');
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  return { ok: true, denied: false, text: `ok      ${label} read, wrote and published TEST alert ${result.alertId} (${seconds} s)` };
}

function isResult(value: unknown, fn: FunctionName): value is SelfTestResult {
  return typeof value === 'object' && value !== null && (value as SelfTestResult).function === fn && Array.isArray((value as SelfTestResult).steps);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
