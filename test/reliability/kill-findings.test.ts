import { ENV } from '../../lambda/core/settings';
import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import type { StateStore } from '../../lambda/state/store';
import { GSI1, keys } from '../../lambda/state/table';
import { addSilence } from '../../lambda/silences/silence-store';
import { DIGEST_SETTLE_MS, latestDigestEnd } from '../../lambda/sweeper/digest';
import { PENDING_ALERT_GRACE_MINUTES } from '../../lambda/sweeper/sweep';
import { QUEUE_HANDLER_TIMEOUT, VISIBILITY_TIMEOUT_FACTOR } from '../../lib/queued-event-source';
import { cloudTrailEvent, findingEvent, fixture, SENSITIVE_JOB_ID, sensitiveFinding, setCurrentRun, sqsBatch, testDeps } from '../findings/kit';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { freshStore } from '../support/dynamodb';
import { confirmedIds, DynamoDbProxy } from '../support/dynamodb-proxy';
import { handlerEnv, HandlerProcesses, type HandlerName, type Invocation } from '../support/handler-process';
import { isLabelled, RecordingSnsEndpoint } from '../support/sns-endpoint';

/**
 * A crash is a kill. The real findings handler runs in a process of its own, against DynamoDB Local through
 * a proxy and an SNS stand-in on the wire, and is SIGKILLed at one of its external calls, as the call arrives
 * (the service never sees it) or after the service acted (its answer never arrives). Then what AWS does next:
 * the invocation never answered, so once the queue's visibility timeout has passed SQS delivers the whole
 * batch again (the killed process's lease on its claimed alerts is over by then), and the sweeper runs two
 * hours later. At every kill point: each finding is counted once, nothing is left pending or being sent,
 * every alert reached SNS, and one reached it twice only if SNS took it in the killed process before its
 * settle landed, the second copy labelled as a possible repeat.
 */
const RUN = '2024-04-14T17:09:30.000Z';
const TYPE = 'SensitiveData:S3Object/Financial';
const T0 = Date.now();
const REDELIVERY_AFTER_MS = VISIBILITY_TIMEOUT_FACTOR * QUEUE_HANDLER_TIMEOUT.toMilliseconds() + 10_000;
// 120 findings of two groups and a new policy finding: two state transactions, three alerts in two publish calls.
const policy = findingEvent(fixture('findings/policy-S3BucketPublic.json'), { eventId: 'policy-1' });
const batch = sqsBatch([...Array.from({ length: 120 }, (_, n) => sensitiveFinding(n, { bucket: n % 2 ? 'bucket-b' : 'bucket-a' })), policy]);
/** The batch's alerts: bucket-a is the first of its type in the run, bucket-b is rolled up (named by the sweeper). */
const ALERTS = [`sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-a:${TYPE}:first`, `policy:${policy.detail.id}:1`].sort();
const AFTER_SWEEP = [...ALERTS, `sd:${SENSITIVE_JOB_ID}:${RUN}:${TYPE}:rollup:1`].sort();

interface KillPoint {
  readonly call: number;
  readonly when: 'as it arrives' | 'after the service acted';
}

let sns: RecordingSnsEndpoint;
let proxy: DynamoDbProxy;
let processes: HandlerProcesses;
let baselineCalls: string[] = [];

/** One handler process at a time; numbers its external calls and kills it at the armed point. */
class Driver {
  calls: string[] = [];
  /** Each call's request as sent, to tell an SDK retry (the same request again) from a call of its own. */
  requests: string[] = [];
  takenInKilled = new Set<string>();
  settledInKilled = new Set<string>();
  private current?: Invocation;
  private kill?: KillPoint;
  private killed = false;
  private readonly numbers = new WeakMap<object, number>();

  constructor() {
    sns.hooks = {
      arrived: (call) => this.at(call, 'SNS PublishBatch', 'as it arrives', 'drop', 'take'),
      taken: (call) => {
        if (this.kill) for (const e of call.entries) this.takenInKilled.add(e.attributes.alertId);
        return this.at(call, undefined, 'after the service acted', 'drop', 'answer');
      },
    };
    proxy.hooks = {
      arrived: (request) => {
        this.requests[this.calls.length] = `${request.operation} ${JSON.stringify(request.body)}`;
        return this.at(request, `DynamoDB ${request.operation}`, 'as it arrives', 'drop', 'forward');
      },
      applied: (request) => {
        if (this.kill) for (const id of confirmedIds(request)) this.settledInKilled.add(id);
        return this.at(request, undefined, 'after the service acted', 'drop', 'answer');
      },
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
    env: Record<string, string> = {},
  ): Promise<{ code: number | null; killed: boolean; stderr: string }> {
    this.calls = [];
    this.requests = [];
    this.kill = kill;
    this.killed = false;
    this.current = processes.invoke(handler, event, {
      ...handlerEnv(handler, { dynamodb: proxy.url, sns: sns.url, table: store.tableName }, new Date(at).toISOString()),
      ...env,
    });
    const exit = await this.current.exited;
    this.current = undefined;
    this.kill = undefined;
    return { code: exit.code, killed: this.killed, stderr: exit.stderr };
  }
}

async function freshRun(): Promise<StateStore> {
  const store = await freshStore();
  await setCurrentRun(store, RUN);
  return store;
}

beforeAll(async () => {
  sns = await RecordingSnsEndpoint.start();
  proxy = await DynamoDbProxy.start(process.env.TEST_DYNAMODB_ENDPOINT!);
  processes = await HandlerProcesses.build();
  const driver = new Driver();
  // A baseline in which the SDK sent a request again (DynamoDB Local slower than the client's request
  // timeout on a busy machine) counts one call twice: taken again, on a fresh table, up to three times.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const clean = await driver.invoke('findings', batch, await freshRun(), T0);
    expect(clean).toMatchObject({ code: 0, killed: false });
    baselineCalls = [...driver.calls];
    if (!driver.requests.some((r, i) => r !== undefined && r === driver.requests[i - 1])) break;
  }
}, 540_000);

afterAll(async () => {
  await sns?.close();
  await proxy?.close();
  processes?.dispose();
});

test('the fault-free invocation: the reads, two state transactions, and the two alerts claimed, published and settled once', () => {
  const read = 'DynamoDB BatchGetItem';
  const write = 'DynamoDB TransactWriteItems';
  const publish = 'SNS PublishBatch';
  // The silences (a fresh container's first batch), the job (its run is not known yet), then the groups and
  // the policy finding, with the run's roll-up of the type; two transactions side by side; then one delivery of the two alerts in the order of
  // their findings: read, claim, publish, settle.
  expect(baselineCalls).toEqual(['DynamoDB Query', read, read, write, write, read, write, publish, write]);
  expect(sns.alertIds().sort()).toEqual(ALERTS);
  expect(sns.taken.some(isLabelled)).toBe(false);
});

test('killed at every external call, as it arrives and after the service acted: the redelivered batch and the sweeper give the fault-free result', async () => {
  const failures: string[] = [];
  const points: KillPoint[] = baselineCalls.flatMap((_, i) => (['as it arrives', 'after the service acted'] as const).map((when) => ({ call: i + 1, when })));
  for (const point of points) {
    const name = `call ${point.call} (${baselineCalls[point.call - 1]}), killed ${point.when}`;
    sns.taken.length = 0;
    const store = await freshRun();
    const driver = new Driver();
    const first = await driver.invoke('findings', batch, store, T0, point);
    if (!first.killed) failures.push(`${name}: the process was not killed`);
    const again = await driver.invoke('findings', batch, store, T0 + REDELIVERY_AFTER_MS);
    if (again.code !== 0) failures.push(`${name}: the redelivery exited ${again.code}: ${again.stderr.slice(-300)}`);
    const sweep = await driver.invoke('sweeper', {}, store, T0 + 2 * 3_600_000);
    if (sweep.code !== 0) failures.push(`${name}: the sweep exited ${sweep.code}: ${sweep.stderr.slice(-300)}`);

    const counts = await Promise.all(['bucket-a', 'bucket-b'].map(async (b) => (await store.get(keys.findingGroup(SENSITIVE_JOB_ID, RUN, b, TYPE)))?.count));
    if (JSON.stringify(counts) !== '[60,60]') failures.push(`${name}: group counts ${JSON.stringify(counts)}`);
    if ((await store.get(keys.policyFinding(policy.detail.id)))?.alerts !== 1) failures.push(`${name}: the policy finding is not counted once`);
    if ((await store.listIndex(GSI1.pendingAlert)).length > 0) failures.push(`${name}: alerts still pending`);
    for (const id of AFTER_SWEEP) {
      const item = await store.get(keys.alert(id));
      if (item?.status !== 'SENT') failures.push(`${name}: ${id} is ${String(item?.status)}`);
    }

    const delivered = sns.alertIds();
    if (JSON.stringify([...new Set(delivered)].sort()) !== JSON.stringify(AFTER_SWEEP))
      failures.push(`${name}: SNS took ${JSON.stringify([...new Set(delivered)].sort())}`);
    const repeated = AFTER_SWEEP.filter((id) => delivered.filter((d) => d === id).length > 1);
    const mayRepeat = AFTER_SWEEP.filter((id) => driver.takenInKilled.has(id) && !driver.settledInKilled.has(id));
    if (JSON.stringify(repeated) !== JSON.stringify(mayRepeat))
      failures.push(`${name}: repeated ${JSON.stringify(repeated)}, expected ${JSON.stringify(mayRepeat)}`);
    const seen = new Set<string>();
    for (const entry of sns.taken) {
      const id = entry.attributes.alertId;
      if (seen.has(id) && !isLabelled(entry)) failures.push(`${name}: a second copy of ${id} is not labelled`);
      seen.add(id);
    }
  }
  expect(failures).toEqual([]);
}, 1_200_000);

/**
 * The sweeper killed while it raises and sends the daily digest: at every external call of a sweep that
 * raises it, as the call arrives and after the service acted. The next sweep (past the outbox's grace period
 * and the claim's lease) finds the day's mark or raises the digest afresh, and delivers what the killed one
 * left: the day's digest reaches SNS, as INFO category DIGEST, and a second copy only labelled.
 */
describe('the daily digest, the sweeper killed', () => {
  // The digest of the hour the sweep at T0 finds due: the one DIGEST_SETTLE_MS or more before it (whatever the time of day).
  const due = new Date(T0 - DIGEST_SETTLE_MS);
  const hour = due.getUTCHours();
  const DIGEST_ENV = { [ENV.digestHourUtc]: String(hour) };
  const DIGEST_ID = `digest:${latestDigestEnd(due, hour).toISOString()}`;
  const NEXT_SWEEP_MS = (PENDING_ALERT_GRACE_MINUTES + 5) * 60_000;
  let digestCalls: string[] = [];

  beforeAll(async () => {
    sns.taken.length = 0;
    const driver = new Driver();
    expect(await driver.invoke('sweeper', {}, await freshStore(), T0, undefined, DIGEST_ENV)).toMatchObject({ code: 0, killed: false });
    digestCalls = [...driver.calls];
  }, 120_000);

  test('the fault-free sweep: its reads, mark and alert in one transaction, then claim, publish, settle', () => {
    const query = 'DynamoDB Query';
    const read = 'DynamoDB BatchGetItem';
    const write = 'DynamoDB TransactWriteItems';
    // The sweep's open runs and periodic jobs, the four held-count partitions and the silences (to announce
    // any made or ended); the digest's marks; its
    // index: the alerts of each UTC day the window touches (one, when it starts at midnight), the runs ended
    // yesterday and today; the open runs, the silences; mark and alert in one transaction; the safety net's
    // two lists; then the delivery: read, claim, publish, settle.
    const alertDays = hour === 0 ? [query] : [query, query];
    expect(digestCalls).toEqual([
      query,
      query,
      query,
      query,
      query,
      query,
      query,
      read,
      ...alertDays,
      query,
      query,
      query,
      query,
      write,
      query,
      query,
      read,
      'DynamoDB UpdateItem',
      'SNS PublishBatch',
      write,
    ]);
    expect(sns.alertIds()).toEqual([DIGEST_ID]);
    expect(sns.taken[0].attributes).toMatchObject({ category: 'DIGEST', severity: 'INFO' });
  });

  test("killed at every external call: the next sweep sends the day's digest, once unless SNS took it before the kill, a repeat labelled", async () => {
    const failures: string[] = [];
    let repeats = 0;
    const points: KillPoint[] = digestCalls.flatMap((_, i) => (['as it arrives', 'after the service acted'] as const).map((when) => ({ call: i + 1, when })));
    for (const point of points) {
      const name = `sweep call ${point.call} (${digestCalls[point.call - 1]}), killed ${point.when}`;
      sns.taken.length = 0;
      const store = await freshStore();
      const driver = new Driver();
      const first = await driver.invoke('sweeper', {}, store, T0, point, DIGEST_ENV);
      if (!first.killed) failures.push(`${name}: the process was not killed`);
      const next = await driver.invoke('sweeper', {}, store, T0 + NEXT_SWEEP_MS, undefined, DIGEST_ENV);
      if (next.code !== 0) failures.push(`${name}: the next sweep exited ${next.code}: ${next.stderr.slice(-300)}`);

      if ((await store.get(keys.alert(DIGEST_ID)))?.status !== 'SENT') failures.push(`${name}: the digest is not SENT`);
      const mark = await store.get(keys.digest(DIGEST_ID.slice('digest:'.length)));
      if (mark?.alertId !== DIGEST_ID || (Array.isArray(mark.pendingAlerts) && mark.pendingAlerts.length > 0))
        failures.push(`${name}: mark ${JSON.stringify(mark)}`);
      if ((await store.listIndex(GSI1.pendingAlert)).length > 0) failures.push(`${name}: alerts still pending`);
      const delivered = sns.alertIds();
      if ([...new Set(delivered)].join() !== DIGEST_ID) failures.push(`${name}: SNS took ${JSON.stringify(delivered)}`);
      const mayRepeat = driver.takenInKilled.has(DIGEST_ID) && !driver.settledInKilled.has(DIGEST_ID);
      if (delivered.length > 1) repeats++;
      if (delivered.length > 1 !== mayRepeat || delivered.length > 2) failures.push(`${name}: ${delivered.length} copies, a repeat expected: ${mayRepeat}`);
      if (sns.taken.slice(1).some((entry) => !isLabelled(entry))) failures.push(`${name}: a second copy is not labelled`);
      if (sns.taken.some((entry) => entry.attributes.category !== 'DIGEST' || entry.attributes.severity !== 'INFO')) failures.push(`${name}: not INFO DIGEST`);
    }
    expect(failures).toEqual([]);
    // Killed after SNS took it and before its settle landed (the publish's answer lost, the settle unsent).
    expect(repeats).toBe(2);
  }, 1_200_000);
});

/**
 * The sweeper is killed too: at each external call of a sweep that reports four held counts (a policy
 * finding's recurrence, a principal's reveals, findings counted after their run's summary, a bucket rolled up
 * into its type's alert: closed, named, unmarked), as the call arrives and after the service acted. The next
 * sweep, 20 minutes later (past the outbox's 15-minute grace and the lease of whatever the killed one
 * claimed), must give the fault-free result: each of the four alerts
 * SENT and at SNS, a second copy only where SNS took it in the killed process before its settle landed (and
 * labelled), every held count reported once and nothing left listed.
 */
describe('the sweeper killed while it reports held counts', () => {
  const HOUR = 3_600_000;
  const now = Date.now();
  const hoursAgo = (h: number) => new Date(now - h * HOUR).toISOString();
  const FLUSH_RUN = hoursAgo(10);
  const reveal = fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json');
  const ARN = reveal.userIdentity.arn as string;
  const revealAt = (iso: string, n: number) =>
    cloudTrailEvent({ ...reveal, eventID: `reveal-${n}`, eventTime: iso, requestParameters: { findingId: `finding-${n}` } });
  const occurrence = (count: number, at: string) =>
    findingEvent(policy, { eventId: `count-${count}`, detail: { count, createdAt: hoursAgo(30), updatedAt: at } });
  const jobEvent = (eventType: string, at: string) => ({
    adminAccountId: '123456789012',
    jobId: SENSITIVE_JOB_ID,
    eventType,
    occurredAt: at,
    description: eventType,
    jobName: 'Nightly',
    runDate: FLUSH_RUN,
  });
  const ROLLUP = `sd:${SENSITIVE_JOB_ID}:${FLUSH_RUN}:${TYPE}:rollup:1`;
  const HELD = [
    `api:reveals:${ARN}:${hoursAgo(3)}:2`,
    `policy:${policy.detail.id}:2:held`,
    `run:${SENSITIVE_JOB_ID}:${FLUSH_RUN}:findings-update:1`,
    ROLLUP,
  ].sort();
  let sweepCalls: string[] = [];

  /**
   * The state the pipelines leave: a recurrence held 30 h ago, reveals 3 h ago, and two findings after the run's
   * summary, 2 h ago: the first bucket of their type, and a second one rolled up.
   */
  async function heldState(): Promise<StateStore> {
    const deps = await testDeps({}, { store: await freshStore(), now: () => new Date(now - 2 * HOUR) });
    await processFindingBatch(sqsBatch([occurrence(1, hoursAgo(30)), occurrence(2, hoursAgo(29))]), deps);
    await processApiCallBatch(sqsBatch([revealAt(hoursAgo(3), 1), revealAt(new Date(now - 3 * HOUR + 60_000).toISOString(), 2)]), deps);
    await processLogsPayload(logsPayload([logEvent(jobEvent('ONE_TIME_JOB_STARTED', FLUSH_RUN)), logEvent(jobEvent('JOB_COMPLETED', hoursAgo(9)))]), deps);
    await processFindingBatch(sqsBatch([sensitiveFinding(1000, { at: hoursAgo(9) }), sensitiveFinding(1001, { at: hoursAgo(9), bucket: 'bucket-b' })]), deps);
    expect(
      (await Promise.all([GSI1.heldRecurrence, GSI1.heldReveals, GSI1.lateFindings, GSI1.heldRollup].map((p) => deps.store.listIndex(p)))).map((l) => l.length),
    ).toEqual([1, 1, 1, 1]);
    return deps.store;
  }

  async function check(store: StateStore, driver: Driver): Promise<string[]> {
    const failures: string[] = [];
    for (const partition of [GSI1.heldRecurrence, GSI1.heldReveals, GSI1.lateFindings, GSI1.heldRollup, GSI1.pendingAlert, GSI1.sendingAlert]) {
      const left = await store.listIndex(partition);
      if (left.length > 0) failures.push(`${partition} still lists ${left.length}`);
    }
    for (const id of HELD) if ((await store.get(keys.alert(id)))?.status !== 'SENT') failures.push(`${id} is not SENT`);
    const finding = await store.get(keys.policyFinding(policy.detail.id));
    if (finding?.lastAlertCount !== 2 || finding?.alerts !== 2)
      failures.push(`policy finding ${JSON.stringify({ lastAlertCount: finding?.lastAlertCount, alerts: finding?.alerts })}`);
    const window = await store.get(keys.principalReveals(ARN));
    if (window?.reported !== 2 || window?.alerts !== 2)
      failures.push(`reveal window ${JSON.stringify({ reported: window?.reported, alerts: window?.alerts })}`);
    const run = await store.get(keys.run(SENSITIVE_JOB_ID, FLUSH_RUN));
    if ((run?.sweeper as { lateFindings?: { reported?: { total?: number } } })?.lateFindings?.reported?.total !== 2)
      failures.push('the run does not record the update');
    const rollup = await store.get(keys.findingRollup(SENSITIVE_JOB_ID, FLUSH_RUN, TYPE));
    if (rollup?.alerts !== 1 || rollup?.bucketsNamed !== 1 || rollup?.flushing !== undefined)
      failures.push(`roll-up ${JSON.stringify({ alerts: rollup?.alerts, named: rollup?.bucketsNamed, flushing: rollup?.flushing })}`);
    const delivered = sns.alertIds();
    if (JSON.stringify([...new Set(delivered)].sort()) !== JSON.stringify(HELD)) failures.push(`SNS took ${JSON.stringify([...new Set(delivered)].sort())}`);
    const repeated = HELD.filter((id) => delivered.filter((d) => d === id).length > 1);
    const mayRepeat = HELD.filter((id) => driver.takenInKilled.has(id) && !driver.settledInKilled.has(id));
    if (JSON.stringify(repeated) !== JSON.stringify(mayRepeat)) failures.push(`repeated ${JSON.stringify(repeated)}, expected ${JSON.stringify(mayRepeat)}`);
    const seen = new Set<string>();
    for (const entry of sns.taken) {
      if (seen.has(entry.attributes.alertId) && !isLabelled(entry)) failures.push(`a second copy of ${entry.attributes.alertId} is not labelled`);
      seen.add(entry.attributes.alertId);
    }
    return failures;
  }

  test('the fault-free sweep: the four held counts reported once, over the calls each kill point is taken from', async () => {
    sns.taken.length = 0;
    const store = await heldState();
    const driver = new Driver();
    const clean = await driver.invoke('sweeper', {}, store, now);
    expect(clean).toMatchObject({ code: 0, killed: false });
    sweepCalls = [...driver.calls];
    const [query, read, write, claim, publish] = [
      'DynamoDB Query',
      'DynamoDB BatchGetItem',
      'DynamoDB TransactWriteItems',
      'DynamoDB UpdateItem',
      'SNS PublishBatch',
    ];
    const delivery = [read, claim, publish, write];
    expect(sweepCalls).toEqual([
      query, // open runs
      query, // periodic jobs
      query, // HELD_ROLLUP
      read, // the roll-up
      'DynamoDB PutItem', // the roll-up closed
      query, // the run's findings groups
      query, // the silences
      write, // the roll-up's bookkeeping, its alert and the group's unmarking
      query, // LATE_FINDINGS
      read, // the run and its job
      query, // the run's findings groups
      write, // the run's bookkeeping, the update and the groups' unmarking
      query, // HELD_RECURRENCE
      write, // the policy finding flushed, and its alert
      query, // HELD_REVEALS
      write, // the reveal window flushed, and its alert
      query, // the silences, none to announce
      query, // pending alerts
      query, // alerts left sending
      ...delivery, // one delivery per owner
      ...delivery,
      ...delivery,
      ...delivery,
    ]);
    expect(await check(store, driver)).toEqual([]);
    expect(sns.alertIds().sort()).toEqual(HELD);
    expect(sns.taken.some(isLabelled)).toBe(false);
  }, 60_000);

  test('killed at every external call, as it arrives and after the service acted: the next sweep gives the fault-free result', async () => {
    expect(sweepCalls.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const call of sweepCalls.keys()) {
      for (const when of ['as it arrives', 'after the service acted'] as const) {
        const name = `call ${call + 1} (${sweepCalls[call]}), killed ${when}`;
        sns.taken.length = 0;
        const store = await heldState();
        const driver = new Driver();
        const killed = await driver.invoke('sweeper', {}, store, now, { call: call + 1, when });
        if (!killed.killed) failures.push(`${name}: the process was not killed`);
        const next = await driver.invoke('sweeper', {}, store, now + 20 * 60_000);
        if (next.code !== 0) failures.push(`${name}: the next sweep exited ${next.code}: ${next.stderr.slice(-300)}`);
        failures.push(...(await check(store, driver)).map((f) => `${name}: ${f}`));
      }
    }
    expect(failures).toEqual([]);
  }, 1_200_000);
});

/**
 * The sweeper killed while it announces silences: one just made, one that ended an hour ago. At every
 * external call of the sweep that announces them, as the call arrives and after the service acted; then the
 * next sweep, 20 minutes later. Each announcement is SENT, recorded on its silence, and reached SNS once, or
 * twice only where SNS took it in the killed process before its settle landed, the second copy labelled.
 */
describe('the sweeper killed while it announces silences', () => {
  const HOUR = 3_600_000;
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const ANNOUNCED = ['silence:S-KILA:made', 'silence:S-KILB:ended'];
  let sweepCalls: string[] = [];

  async function silences(): Promise<StateStore> {
    const store = await freshStore(() => new Date(now));
    const draft = { match: { bucket: 'legacy-*' }, author: 'alice', reason: 'migration' };
    await addSilence(store, { ...draft, startsAt: iso(now - 60_000), endsAt: iso(now + 48 * HOUR), createdAt: iso(now - 60_000) }, () => 'S-KILA');
    await addSilence(store, { ...draft, startsAt: iso(now - 5 * HOUR), endsAt: iso(now - HOUR), createdAt: iso(now - 5 * HOUR) }, () => 'S-KILB');
    return store;
  }

  async function check(store: StateStore, driver: Driver): Promise<string[]> {
    const failures: string[] = [];
    for (const partition of [GSI1.pendingAlert, GSI1.sendingAlert])
      if ((await store.listIndex(partition)).length > 0) failures.push(`${partition} still lists alerts`);
    for (const id of ANNOUNCED) if ((await store.get(keys.alert(id)))?.status !== 'SENT') failures.push(`${id} is not SENT`);
    const a = await store.get(keys.silence('S-KILA'));
    const b = await store.get(keys.silence('S-KILB'));
    if (!(a?.announced as { made?: string })?.made) failures.push('S-KILA not recorded as announced');
    if (!(b?.announced as { ended?: string })?.ended) failures.push('S-KILB not recorded as announced');
    const delivered = sns.alertIds();
    if (JSON.stringify([...new Set(delivered)].sort()) !== JSON.stringify(ANNOUNCED))
      failures.push(`SNS took ${JSON.stringify([...new Set(delivered)].sort())}`);
    const repeated = ANNOUNCED.filter((id) => delivered.filter((d) => d === id).length > 1);
    const mayRepeat = ANNOUNCED.filter((id) => driver.takenInKilled.has(id) && !driver.settledInKilled.has(id));
    if (JSON.stringify(repeated) !== JSON.stringify(mayRepeat)) failures.push(`repeated ${JSON.stringify(repeated)}, expected ${JSON.stringify(mayRepeat)}`);
    const seen = new Set<string>();
    for (const entry of sns.taken) {
      if (seen.has(entry.attributes.alertId) && !isLabelled(entry)) failures.push(`a second copy of ${entry.attributes.alertId} is not labelled`);
      seen.add(entry.attributes.alertId);
    }
    return failures;
  }

  test('the fault-free sweep: one Query of the silences, a conditional write per announcement, then their delivery', async () => {
    sns.taken.length = 0;
    const store = await silences();
    const driver = new Driver();
    expect(await driver.invoke('sweeper', {}, store, now)).toMatchObject({ code: 0, killed: false });
    sweepCalls = [...driver.calls];
    const [query, read, write, claim, publish] = [
      'DynamoDB Query',
      'DynamoDB BatchGetItem',
      'DynamoDB TransactWriteItems',
      'DynamoDB UpdateItem',
      'SNS PublishBatch',
    ];
    // The open runs, periodic jobs and four held-count partitions (roll-ups, late findings, recurrences, reveals), then the silences;
    // the ended one's tallies (what it hid) are read before its announcement is written.
    expect(sweepCalls).toEqual([
      query,
      query,
      query,
      query,
      query,
      query,
      query,
      write,
      query,
      write,
      query,
      query,
      ...[read, claim, publish, write],
      ...[read, claim, publish, write],
    ]);
    expect(await check(store, driver)).toEqual([]);
    expect(sns.taken.map((e) => [e.attributes.alertId, e.attributes.category, e.attributes.severity])).toEqual(ANNOUNCED.map((id) => [id, 'PIPELINE', 'INFO']));
  }, 60_000);

  test('killed at every external call, as it arrives and after the service acted: each announcement once, a repeat labelled', async () => {
    expect(sweepCalls.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const call of sweepCalls.keys()) {
      for (const when of ['as it arrives', 'after the service acted'] as const) {
        const name = `call ${call + 1} (${sweepCalls[call]}), killed ${when}`;
        sns.taken.length = 0;
        const store = await silences();
        const driver = new Driver();
        const killed = await driver.invoke('sweeper', {}, store, now, { call: call + 1, when });
        if (!killed.killed) failures.push(`${name}: the process was not killed`);
        const next = await driver.invoke('sweeper', {}, store, now + 20 * 60_000);
        if (next.code !== 0) failures.push(`${name}: the next sweep exited ${next.code}: ${next.stderr.slice(-300)}`);
        failures.push(...(await check(store, driver)).map((f) => `${name}: ${f}`));
      }
    }
    expect(failures).toEqual([]);
  }, 1_200_000);
});
