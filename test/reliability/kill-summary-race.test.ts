import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import type { StateStore } from '../../lambda/state/store';
import { keys } from '../../lambda/state/table';
import { minutesAfter, SENSITIVE_JOB_ID, sensitiveFinding, sqsBatch, testDeps } from '../findings/kit';
import { logEvent, logsPayload, subscriptionEvent } from '../support/cloudwatch';
import { freshStore } from '../support/dynamodb';
import { DynamoDbProxy } from '../support/dynamodb-proxy';
import { handlerEnv, HandlerProcesses, type HandlerName, type Invocation } from '../support/handler-process';
import { RecordingSnsEndpoint } from '../support/sns-endpoint';

/**
 * The run's summary and its findings, under crashes: every finding is told exactly once, by the summary or by
 * a "run summary updated", never by neither or both. A real handler process (the job-log handler saving the
 * run's summary, or the findings handler counting a finding of that run) is SIGKILLed at one of its external
 * calls, as the call arrives or after the service acted; the other pipeline then applies its batch; then
 * Lambda retries the killed one (the job log's asynchronous retry, SQS's redelivery), and the sweeper runs two
 * hours later. The completing job-log batch also carries 50 older runs, so its write is split over two
 * transactions, the run's summary in the second: a kill between the two is one of the points.
 */
const JOB = SENSITIVE_JOB_ID;
const RUN = '2024-04-14T17:09:30.000Z';
const TYPE = 'SensitiveData:S3Object/Financial';
const T0 = Date.now();
const HOUR = 3_600_000;

interface KillPoint {
  readonly call: number;
  readonly when: 'as it arrives' | 'after the service acted';
}

const jobEvent = (eventType: string, runDate: string, minute: number) => ({
  adminAccountId: '123456789012',
  jobId: JOB,
  eventType,
  occurredAt: minutesAfter(runDate, minute),
  description: eventType,
  jobName: 'Nightly',
  runDate,
});
/** 50 older runs (two writes each: the run and its applied events) and the run's completion. */
const OLDER = Array.from({ length: 50 }, (_, i) => new Date(Date.parse(RUN) - (i + 1) * 86_400_000).toISOString());
const completion = subscriptionEvent(
  logsPayload([...OLDER.map((d) => logEvent(jobEvent('BUCKET_MATCHED_THE_CRITERIA', d, 1))), logEvent(jobEvent('JOB_COMPLETED', RUN, 30))]),
);
const lateFinding = sqsBatch([sensitiveFinding(11)]);

let sns: RecordingSnsEndpoint;
let proxy: DynamoDbProxy;
let processes: HandlerProcesses;

/** One handler process at a time: numbers its DynamoDB and SNS calls and kills it at the armed point. */
class Driver {
  calls: string[] = [];
  private current?: Invocation;
  private kill?: KillPoint;
  private killed = false;
  private readonly numbers = new WeakMap<object, number>();

  constructor() {
    sns.hooks = {
      arrived: (call) => this.at(call, 'SNS PublishBatch', 'as it arrives', 'drop', 'take'),
      taken: (call) => this.at(call, undefined, 'after the service acted', 'drop', 'answer'),
    };
    proxy.hooks = {
      arrived: (request) => this.at(request, `DynamoDB ${request.operation}`, 'as it arrives', 'drop', 'forward'),
      applied: (request) => this.at(request, undefined, 'after the service acted', 'drop', 'answer'),
    };
  }

  private async at<T>(request: object, name: string | undefined, when: KillPoint['when'], drop: T, pass: T): Promise<T> {
    if (name !== undefined) {
      this.calls.push(name);
      this.numbers.set(request, this.calls.length);
    }
    if (this.kill && this.current && this.kill.when === when && this.kill.call === this.numbers.get(request)) {
      this.killed = true;
      await this.current.kill();
      return drop;
    }
    return pass;
  }

  async invoke(
    handler: HandlerName,
    event: unknown,
    store: StateStore,
    at: number,
    kill?: KillPoint,
  ): Promise<{ code: number | null; killed: boolean; stderr: string }> {
    this.calls = [];
    this.kill = kill;
    this.killed = false;
    this.current = processes.invoke(
      handler,
      event,
      handlerEnv(handler, { dynamodb: proxy.url, sns: sns.url, table: store.tableName }, new Date(at).toISOString()),
    );
    const exit = await this.current.exited;
    this.current = undefined;
    this.kill = undefined;
    return { code: exit.code, killed: this.killed, stderr: exit.stderr };
  }
}

/** The run started and 10 findings of one group counted, in process (no kill). */
async function runWithTenFindings(): Promise<StateStore> {
  const store = await freshStore();
  const deps = await testDeps({}, { store });
  await processLogsPayload(logsPayload([logEvent(jobEvent('ONE_TIME_JOB_STARTED', RUN, 0))]), deps);
  await processFindingBatch(sqsBatch(Array.from({ length: 10 }, (_, n) => sensitiveFinding(n + 1))), deps);
  return store;
}

/** What the alerts told of the run's findings: the summary's count and each update's "N more". */
async function told(store: StateStore): Promise<{ summary?: number; more: number[] }> {
  const alertOf = async (id: string) => {
    const item = await store.get(keys.alert(id));
    return item ? (JSON.parse(item.alert as string) as { details: { label: string; value: string }[]; whatHappened: string }) : undefined;
  };
  const summary = await alertOf(`run:${JOB}:${RUN}:summary`);
  const more: number[] = [];
  for (let n = 1; ; n++) {
    const update = await alertOf(`run:${JOB}:${RUN}:findings-update:${n}`);
    if (!update) break;
    more.push(Number(/Sensitive data findings: (\d+) more/.exec(update.whatHappened)?.[1] ?? NaN));
  }
  const count = summary?.details.find((d) => d.label === 'Findings')?.value;
  return { summary: count === undefined ? undefined : Number(count), more };
}

async function check(name: string, store: StateStore): Promise<string[]> {
  const failures: string[] = [];
  const group = await store.get(keys.findingGroup(JOB, RUN, 'bucket-a', TYPE));
  if (group?.count !== 11) failures.push(`${name}: the group counts ${String(group?.count)}`);
  const { summary, more } = await told(store);
  const total = (summary ?? 0) + more.reduce((a, b) => a + b, 0);
  if (summary === undefined || total !== 11)
    failures.push(`${name}: the summary told ${String(summary)} and the updates ${JSON.stringify(more)} more: ${total} of 11`);
  return failures;
}

beforeAll(async () => {
  sns = await RecordingSnsEndpoint.start();
  proxy = await DynamoDbProxy.start(process.env.TEST_DYNAMODB_ENDPOINT!);
  processes = await HandlerProcesses.build();
}, 180_000);

afterAll(async () => {
  await sns?.close();
  await proxy?.close();
  processes?.dispose();
});

/** The killed handler's fault-free calls, each point of them, and the other pipeline's batch in between. */
async function matrix(killed: 'job-log' | 'findings'): Promise<{ calls: string[]; failures: string[] }> {
  const event = killed === 'job-log' ? completion : lateFinding;
  const other = (deps: Awaited<ReturnType<typeof testDeps>>) =>
    killed === 'job-log'
      ? processFindingBatch(lateFinding, deps)
      : processLogsPayload(
          logsPayload([...OLDER.map((d) => logEvent(jobEvent('BUCKET_MATCHED_THE_CRITERIA', d, 1))), logEvent(jobEvent('JOB_COMPLETED', RUN, 30))]),
          deps,
        );
  const driver = new Driver();
  const clean = await driver.invoke(killed, event, await runWithTenFindings(), T0);
  expect(clean).toMatchObject({ code: 0, killed: false });
  const calls = [...driver.calls];
  const failures: string[] = [];
  for (const [i, call] of calls.entries()) {
    for (const when of ['as it arrives', 'after the service acted'] as const) {
      const name = `${killed} call ${i + 1} (${call}), killed ${when}`;
      const store = await runWithTenFindings();
      const first = await driver.invoke(killed, event, store, T0, { call: i + 1, when });
      if (!first.killed) failures.push(`${name}: the process was not killed`);
      await other(await testDeps({}, { store }));
      const retry = await driver.invoke(killed, event, store, T0 + 15 * 60_000);
      if (retry.code !== 0) failures.push(`${name}: the retry exited ${retry.code}: ${retry.stderr.slice(-300)}`);
      const sweep = await driver.invoke('sweeper', {}, store, T0 + 2 * HOUR);
      if (sweep.code !== 0) failures.push(`${name}: the sweep exited ${sweep.code}: ${sweep.stderr.slice(-300)}`);
      failures.push(...(await check(name, store)));
    }
  }
  return { calls, failures };
}

test('the job-log handler killed at each call of the completing batch (its write split in two), a finding counted meanwhile: told exactly once', async () => {
  const { calls, failures } = await matrix('job-log');
  // The job and the older runs, then the run with its summary and the findings ledger's mark.
  expect(calls.filter((c) => c === 'DynamoDB TransactWriteItems').length).toBeGreaterThanOrEqual(2);
  expect(failures).toEqual([]);
}, 1_200_000);

test('the findings handler killed at each call, the run completed meanwhile: the finding told exactly once', async () => {
  const { calls, failures } = await matrix('findings');
  expect(calls).toContain('DynamoDB TransactWriteItems');
  expect(failures).toEqual([]);
}, 1_200_000);
