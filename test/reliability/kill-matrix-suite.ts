import { writeFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Item, StateStore } from '../../lambda/state/store';
import { freshStore } from '../support/dynamodb';
import { confirmedIds, DynamoDbProxy } from '../support/dynamodb-proxy';
import { handlerEnv, HandlerProcesses, type Invocation } from '../support/handler-process';
import { RecordingSnsEndpoint, isLabelled } from '../support/sns-endpoint';
import { jobEvent, runBatch, runEvents } from './job-log-fixture';

/**
 * A crash is a kill. The real job-log handler runs in a process of its own, against DynamoDB Local through
 * a proxy and against an SNS stand-in on the wire; the process is SIGKILLed at one external call of a
 * three-batch run (15 alerts over 4 PublishBatch calls), once as the call arrives (the service never sees
 * it) and once after the service acted (its answer never arrives; the connection is closed only once the
 * process is dead). Then Lambda's retries of that batch run as fresh processes, the later batches follow,
 * and a sweep runs two hours later. For every kill point:
 *   - every alert of the fault-free run reached SNS at least once;
 *   - an alert reached SNS twice only if SNS took it in the killed process and its settle write never
 *     landed, and every copy after the first is labelled as a possible repeat (every form, the attribute);
 *   - the table equals the fault-free run's (see comparable()).
 *
 * Two timelines: Lambda's own (its retries come 1 and 3 minutes after a failure, when the lease of the
 * killed process has run out, so the first retry takes its alerts over), and, for the kill points that
 * leave a claim unsettled, retries that come at once, inside the lease: they leave the killed process's
 * alerts alone, and the next batch of the same run (or, for the last batch, the sweeper) takes them over.
 */
const MINUTE = 60_000;
const BATCHES = [
  runBatch(runEvents(), 'a'),
  runBatch(
    [
      jobEvent('BUCKET_TELEPORTED', 20, { affectedAccount: '222233334444' }),
      jobEvent('ACCOUNT_HIBERNATING', 21, { affectedAccount: '222233334444' }),
      // Ten more buckets of a type that named two: the run's bucket count moves to bucket pages in this write.
      ...Array.from({ length: 10 }, (_, i) =>
        jobEvent('BUCKET_ACCESS_DENIED', 22, {
          affectedAccount: '222233334444',
          operation: 'ListObjectsV2',
          affectedResource: { type: 'S3_BUCKET_NAME', value: `bucket-late-${i}` },
        }),
      ),
    ],
    'b',
  ),
  runBatch([jobEvent('JOB_COMPLETED', 30)], 'c'),
];
const TIMELINES = {
  lambda: { retryAfterMs: [1 * MINUTE, 3 * MINUTE] },
  'retries at once': { retryAfterMs: [1_000, 2_000] },
} as const;
type Timeline = keyof typeof TIMELINES;

/** The external calls of each batch's fault-free invocation, in order, with what each is for: every one is a kill point. */
export type Role = 'silences' | 'read' | 'state write' | 'read alerts' | 'claim' | 'publish' | 'settle' | 'sms budget read' | 'sms budget write';
export interface Call {
  readonly name: string;
  readonly role: Role;
}
export const call = (service: 'DynamoDB' | 'SNS', operation: string, role: Role): Call => ({ name: `${service} ${operation}`, role });
export const read = call('DynamoDB', 'BatchGetItem', 'read');
export const stateWrite = call('DynamoDB', 'TransactWriteItems', 'state write');
export const readAlerts = call('DynamoDB', 'BatchGetItem', 'read alerts');
export const claim = call('DynamoDB', 'TransactWriteItems', 'claim');
export const publish = call('SNS', 'PublishBatch', 'publish');
export const settle = call('DynamoDB', 'TransactWriteItems', 'settle');
// Each invocation is a fresh process, so each reads the silences first (a container keeps them a minute).
export const silences = call('DynamoDB', 'Query', 'silences');

/** One configuration of the matrix: the handlers' extra settings and what they call. */
export interface KillMatrixVariant {
  /** Extra environment of every handler process (settings). */
  readonly env: Readonly<Record<string, string>>;
  /** The wall clock of the first batch. */
  readonly startAt: number;
  /** When the sweep runs, after the first batch (default 120 minutes). */
  readonly sweepAfterMinutes?: number;
  readonly expectedCalls: readonly (readonly Call[])[];
  /** Alerts the fault-free run publishes, the sweep's included. */
  readonly alerts: number;
  /** What legitimately differs between two correct runs beyond comparable()'s own list (undefined: drop the item). */
  readonly normalize?: (item: Item) => Item;
  /** Checks of one run's published entries against the fault-free run's. */
  readonly checkPublished?: (taken: readonly TakenEntry[], baseline: readonly TakenEntry[]) => void;
}

export type TakenEntry = RecordingSnsEndpoint['taken'][number];

export function describeKillMatrix(variant: KillMatrixVariant): void {
  const T0 = variant.startAt;
  const EXPECTED_CALLS = variant.expectedCalls;

  interface KillPoint {
    readonly batch: number;
    /** 1-based, among the external calls of the batch's first attempt. */
    readonly call: number;
    readonly when: 'as it arrives' | 'after the service acted';
  }

  /** What one run of the three batches did. */
  interface RunResult {
    readonly calls: string[][];
    readonly killed: boolean;
    readonly attempts: number[];
    /** Ids SNS took in the killed process, and ids whose settle (SENT) landed in it. */
    readonly takenBeforeKill: Set<string>;
    readonly settledBeforeKill: Set<string>;
    readonly sweepExit: number | null;
    readonly takenBy: readonly string[];
  }

  let sns: RecordingSnsEndpoint;
  let proxy: DynamoDbProxy;
  let processes: HandlerProcesses;
  let baseline: { items: Item[]; delivered: string[]; calls: string[][]; taken: TakenEntry[] };
  const matrix: { point: string; timeline: Timeline; copies: number; repeats: number; labelledCopies: number; takenOverBy: string; attempts: string }[] = [];

  /** Who takes over a claim the killed process left: its first retry on Lambda's timeline, else the next batch of the run, or the sweep. */
  function expectedTaker(timeline: Timeline, batch: number): string {
    if (timeline === 'lambda') return `batch ${batch + 1} attempt 2`;
    return batch + 1 < BATCHES.length ? `batch ${batch + 2} attempt 1` : 'sweep';
  }

  /** Drives runs: one handler process at a time, with the kill (if any) armed on the first attempt of one batch. */
  class Driver {
    private current?: Invocation;
    private calls: string[] = [];
    private kill?: { call: number; when: KillPoint['when'] };
    private killedNow = false;
    private readonly numbers = new WeakMap<object, number>();
    takenInAttempt = new Set<string>();
    settledInAttempt = new Set<string>();
    /** For each entry SNS took (sns.taken), the invocation that sent it ("batch 2 attempt 1", "sweep"). */
    readonly takenBy: string[] = [];
    private invocation = '';

    constructor() {
      sns.hooks = {
        arrived: (call) =>
          this.at(
            call,
            'SNS PublishBatch',
            'as it arrives',
            () => 'drop',
            () => 'take',
          ),
        taken: (call) => {
          for (const e of call.entries) {
            this.takenInAttempt.add(e.attributes.alertId);
            this.takenBy.push(this.invocation);
          }
          return this.at(
            call,
            undefined,
            'after the service acted',
            () => 'drop',
            () => 'answer',
          );
        },
      };
      proxy.hooks = {
        arrived: (request) =>
          this.at(
            request,
            `DynamoDB ${request.operation}`,
            'as it arrives',
            () => 'drop',
            () => 'forward',
          ),
        applied: (request) => {
          for (const id of confirmedIds(request)) this.settledInAttempt.add(id);
          return this.at(
            request,
            undefined,
            'after the service acted',
            () => 'drop',
            () => 'answer',
          );
        },
      };
    }

    /** Numbers the call when it arrives; kills the process (and then drops the connection) at the armed point. */
    private async at<T>(request: object, name: string | undefined, when: KillPoint['when'], drop: () => T, pass: () => T): Promise<T> {
      if (name !== undefined) {
        this.calls.push(name);
        this.numbers.set(request, this.calls.length);
      }
      const n = this.numbers.get(request);
      if (this.kill && this.current && this.kill.when === when && this.kill.call === n) {
        this.killedNow = true;
        await this.current.kill();
        return drop();
      }
      return pass();
    }

    async invoke(
      name: string,
      handler: 'job-log' | 'sweeper',
      event: unknown,
      tableName: string,
      at: number,
      kill?: KillPoint,
    ): Promise<{ code: number | null; killed: boolean; calls: string[] }> {
      this.invocation = name;
      this.calls = [];
      this.kill = kill;
      this.killedNow = false;
      this.takenInAttempt = new Set();
      this.settledInAttempt = new Set();
      this.current = processes.invoke(handler, event, {
        ...handlerEnv(handler, { dynamodb: proxy.url, sns: sns.url, table: tableName }, new Date(at).toISOString()),
        ...variant.env,
      });
      const exit = await this.current.exited;
      this.current = undefined;
      if (!this.killedNow && exit.code !== 0 && handler === 'sweeper') throw new Error(`the sweep failed: ${exit.stderr}`);
      return { code: exit.code, killed: this.killedNow, calls: this.calls };
    }
  }

  /** The three batches (each retried like Lambda, up to twice, while it fails), then a sweep two hours later. */
  async function run(store: StateStore, timeline: Timeline, kill?: KillPoint): Promise<RunResult> {
    const driver = new Driver();
    const calls: string[][] = [];
    const attempts: number[] = [];
    let killed = false;
    let takenBeforeKill = new Set<string>();
    let settledBeforeKill = new Set<string>();
    for (const [b, event] of BATCHES.entries()) {
      const at = T0 + b * 10 * MINUTE;
      const delays = [0, ...TIMELINES[timeline].retryAfterMs];
      let attempt = 0;
      for (; attempt < delays.length; attempt++) {
        const armed = kill && kill.batch === b && attempt === 0 ? kill : undefined;
        const result = await driver.invoke(`batch ${b + 1} attempt ${attempt + 1}`, 'job-log', event, store.tableName, at + delays[attempt], armed);
        if (attempt === 0) calls.push(result.calls);
        if (result.killed) {
          killed = true;
          takenBeforeKill = driver.takenInAttempt;
          settledBeforeKill = driver.settledInAttempt;
        }
        if (result.code === 0) break;
      }
      attempts.push(attempt + 1);
    }
    const sweep = await driver.invoke('sweep', 'sweeper', {}, store.tableName, T0 + (variant.sweepAfterMinutes ?? 120) * MINUTE);
    return { calls, killed, attempts, takenBeforeKill, settledBeforeKill, sweepExit: sweep.code, takenBy: driver.takenBy };
  }

  /**
   * The table without what legitimately differs between two correct runs: every item's `version` (each write
   * bumps it) and `expiresAt` (TTL from the wall clock of the write), a run's applied batch keys' order and
   * the wall clock its events arrived at (`lastEventArrivedAt`, `endArrivedAt`, and the digest's index keys
   * derived from the latter), and on
   * ALERT items the delivery bookkeeping stamped with the wall clock (createdAt, claimedAt, sentAt,
   * interruptedAt; leaseExpiresAt and gsi1sk exist only on unfinished alerts and are compared). Everything else
   * is compared: every attribute of the job and run items (counts, groups, statuses, pendingAlerts), and each
   * ALERT item's status, body, owner and index keys.
   */
  async function comparable(store: StateStore): Promise<Item[]> {
    const out = await store.doc.send(new ScanCommand({ TableName: store.tableName, ConsistentRead: true }));
    return (out.Items ?? [])
      .map((item) => {
        const { version: _v, expiresAt: _e, ...rest } = item;
        if (typeof rest.pk === 'string' && rest.pk.startsWith('ALERT#')) {
          // When it was raised, and the digest's index keys derived from it (gsi2: the day and time).
          const { createdAt: _c, gsi2pk: _dp, gsi2sk: _ds, claimedAt: _cl, sentAt: _s, interruptedAt: _i, ...alert } = rest;
          return alert;
        }
        if (typeof rest.sk === 'string' && rest.sk.startsWith('RUN#')) {
          const { lastEventArrivedAt: _la, endArrivedAt: _ea, gsi2pk: _rp, gsi2sk: _rs, ...run } = rest;
          return Array.isArray(run.appliedBatches) ? { ...run, appliedBatches: [...run.appliedBatches].sort() } : run;
        }
        if (typeof rest.sk === 'string' && rest.sk.startsWith('FLEDGER#')) {
          // When the summary was saved (wall clock).
          const { summarizedAt: _sa, ...ledger } = rest;
          return ledger;
        }
        return Array.isArray(rest.appliedBatches) ? { ...rest, appliedBatches: [...rest.appliedBatches].sort() } : rest;
      })
      .map((item) => (variant.normalize ? variant.normalize(item) : item))
      .sort((a, b) => `${a.pk}/${a.sk}`.localeCompare(`${b.pk}/${b.sk}`));
  }

  function killPoints(): KillPoint[] {
    return EXPECTED_CALLS.flatMap((calls, batch) =>
      calls.flatMap((_, i) => (['as it arrives', 'after the service acted'] as const).map((when) => ({ batch, call: i + 1, when }))),
    );
  }

  /**
   * The kill points that leave a claim unsettled (a claiming write applied, its settle not): the only ones where
   * it matters who takes the alerts over. Elsewhere the retry finds them PENDING or SENT, whenever it comes. A
   * state write claims at birth, so a kill after it lands and before the settle leaves a claim too.
   */
  function leavesAClaim(p: KillPoint): boolean {
    const calls = EXPECTED_CALLS[p.batch];
    const applied = p.when === 'after the service acted' ? p.call : p.call - 1;
    let open = false;
    for (const { role } of calls.slice(0, applied)) {
      if (role === 'state write' || role === 'claim') open = true;
      if (role === 'settle') open = false;
    }
    return open;
  }

  const POINTS: Record<Timeline, KillPoint[]> = { lambda: killPoints(), 'retries at once': killPoints().filter(leavesAClaim) };

  function describePoint(p: KillPoint): string {
    const { name, role } = EXPECTED_CALLS[p.batch][p.call - 1];
    return `batch ${p.batch + 1}, call ${p.call} (${role}: ${name}), ${p.when}`;
  }

  beforeAll(async () => {
    sns = await RecordingSnsEndpoint.start();
    proxy = await DynamoDbProxy.start(process.env.TEST_DYNAMODB_ENDPOINT!);
    processes = await HandlerProcesses.build();
    const store = await freshStore();
    const result = await run(store, 'lambda');
    baseline = { items: await comparable(store), delivered: sns.alertIds(), calls: result.calls, taken: [...sns.taken] };
  }, 120_000);

  afterAll(async () => {
    await sns?.close();
    await proxy?.close();
    processes?.dispose();
    if (process.env.KILL_MATRIX_OUT && matrix.length > 0) {
      const rows = matrix.map((m) => `| ${m.point} | ${m.timeline} | ${m.attempts} | ${m.copies} | ${m.repeats} | ${m.labelledCopies} | ${m.takenOverBy} |`);
      const header = [
        '| kill point | timeline | attempts per batch | copies SNS took | alerts repeated | labelled copies | taken over by |',
        '| --- | --- | --- | --- | --- | --- | --- |',
      ];
      writeFileSync(process.env.KILL_MATRIX_OUT, [...header, ...rows, ''].join('\n'));
    }
  });

  test(`the fault-free run: ${variant.alerts} alerts, each once and unlabelled, over the external calls every kill point below is taken from`, () => {
    expect(baseline.calls).toEqual(EXPECTED_CALLS.map((calls) => calls.map((c) => c.name)));
    expect(baseline.delivered).toHaveLength(variant.alerts);
    expect(new Set(baseline.delivered).size).toBe(variant.alerts);
    expect(baseline.taken.some(isLabelled)).toBe(false);
    variant.checkPublished?.(baseline.taken, baseline.taken);
    const alerts = baseline.items.filter((i) => String(i.pk).startsWith('ALERT#'));
    expect(alerts).toHaveLength(variant.alerts);
    expect(alerts.every((a) => a.status === 'SENT' && a.gsi1pk === undefined)).toBe(true);
    const run = baseline.items.find((i) => String(i.sk).startsWith('RUN#'));
    expect(run).toMatchObject({ status: 'COMPLETED' });
    // The second batch's write holds a bucket page: every kill point of that write covers it.
    expect(run?.bucketCounts).toMatchObject({ BUCKET_ACCESS_DENIED: 12 });
    expect(baseline.items.filter((i) => String(i.sk).startsWith('BUCKETS#'))).toHaveLength(1);
    expect(run?.pendingAlerts).toBeUndefined();
  });

  describe.each(Object.keys(TIMELINES) as Timeline[])('SIGKILL at each external call, timeline: %s', (timeline) => {
    test.each(POINTS[timeline].map((p) => [describePoint(p), p] as const))('%s', async (_name, point) => {
      sns.taken.length = 0;
      const store = await freshStore();
      const result = await run(store, timeline, point);
      expect(result.killed).toBe(true);
      expect(result.sweepExit).toBe(0);

      const delivered = sns.alertIds();
      expect([...new Set(delivered)].sort()).toEqual([...baseline.delivered].sort());

      const copies = new Map<string, number>();
      for (const id of delivered) copies.set(id, (copies.get(id) ?? 0) + 1);
      const repeated = [...copies]
        .filter(([, n]) => n > 1)
        .map(([id]) => id)
        .sort();
      const mayRepeat = [...result.takenBeforeKill].filter((id) => !result.settledBeforeKill.has(id)).sort();
      expect(repeated).toEqual(mayRepeat);
      const seen = new Set<string>();
      for (const entry of sns.taken) {
        const id = entry.attributes.alertId;
        if (seen.has(id)) expect({ id, labelled: isLabelled(entry) }).toEqual({ id, labelled: true });
        seen.add(id);
      }

      const takers = [...new Set(sns.taken.flatMap((e, i) => (isLabelled(e) ? [result.takenBy[i]] : [])))];
      expect(takers).toEqual(leavesAClaim(point) ? [expectedTaker(timeline, point.batch)] : []);

      expect(await comparable(store)).toEqual(baseline.items);
      variant.checkPublished?.(sns.taken, baseline.taken);
      matrix.push({
        point: describePoint(point),
        timeline,
        copies: delivered.length,
        repeats: repeated.length,
        labelledCopies: sns.taken.filter(isLabelled).length,
        takenOverBy: takers.join(', ') || '-',
        attempts: result.attempts.join('/'),
      });
    });
  });
}
