import type { Alert } from '../../lambda/core/alert';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import type { Item } from '../../lambda/state/store';
import { keys } from '../../lambda/state/table';
import { deliverBatches, eventMessages, mappingBatches, sqsEvent, type QueueMessage } from '../../src/local/sqs-queue';
import { throwingStore, throttledStore, throttleNth } from '../support/faults';
import { clone, findingEvent, fixture, minutesAfter, SENSITIVE_BASE, SENSITIVE_JOB_ID, sensitiveFinding, setCurrentRun, sqsBatch, testDeps } from './kit';

/** These suites count one alert per (bucket, type) group: a run's roll-up per type is tested in rollup.test.ts. */
const PER_BUCKET = { findingAlertsPer: 'bucket' } as const;

/**
 * The findings queue's batches: bad records, the cost of a batch, aggregates cut across transactions,
 * redelivery of whole and partly applied batches, and concurrent batches on the same groups. The outcomes
 * must be those of one event per invocation: same counts, same alerts, in the same order.
 */
const RUN = '2024-04-14T17:09:30.000Z';
const TYPE = SENSITIVE_BASE.detail.type as string;
const group = (bucket = 'bucket-a', type = TYPE) => keys.findingGroup(SENSITIVE_JOB_ID, RUN, bucket, type);
/** A group item without what changes on every write (version, TTL), to compare states. */
const state = (item: Item | undefined) => {
  const { version: _version, expiresAt: _expiresAt, ...rest } = item ?? {};
  return rest;
};
const applied = (entries: Record<string, number>, outcomes: readonly { outcome: string }[]) => {
  for (const { outcome } of outcomes) entries[outcome] = (entries[outcome] ?? 0) + 1;
  return entries;
};
/** The line the engine logs per batch: how many transactions and attempts it took. */
const batchLine = (lines: readonly { message: string; fields: Record<string, unknown> }[]) =>
  lines.filter((l) => l.message === 'finding batch applied').at(-1)?.fields;

describe('bad records', () => {
  const good = sensitiveFinding(1);
  const cases: [string, unknown, string][] = [
    ['a truncated body', JSON.stringify(sensitiveFinding(2)).slice(0, 300), 'body is not JSON'],
    ['a body that is not JSON', 'hello, queue', 'body is not JSON'],
    ['JSON that is not an EventBridge event', { hello: 'world' }, 'not an EventBridge event: version: '],
    ['an event of another source', { ...clone(good), id: 'other-source', source: 'aws.guardduty' }, 'source "aws.guardduty" is not "aws.macie"'],
    ['an event of another detail-type', { ...clone(good), id: 'other-type', 'detail-type': 'Macie Alert' }, 'detail-type "Macie Alert" is not "Macie Finding"'],
    ['a Macie Finding this version cannot read', findingEvent(good, { eventId: 'bad-count', detail: { count: 0 } }), 'detail.count'],
  ];

  test('each is logged once with its message id and reason and counted; the valid records are applied; the invocation succeeds', async () => {
    const deps = await testDeps();
    await setCurrentRun(deps.store, RUN);
    const batch = sqsBatch([good, ...cases.map(([, body]) => body), sensitiveFinding(3)]);
    const report = await processFindingBatch(batch, deps);
    expect(report.batchItemFailures).toEqual([]);
    expect(report.records.map((r) => r.outcome)).toEqual(['alerted', ...cases.map(() => 'bad'), 'grouped']);
    expect(deps.telemetry.counters.BadRecords).toBe(cases.length);
    const warnings = deps.telemetry.lines.filter((l) => l.level === 'warn');
    expect(warnings.map((w) => w.fields.messageId)).toEqual(batch.Records.slice(1, -1).map((r) => r.messageId));
    for (const [i, w] of warnings.entries()) expect(w.fields.reason).toContain(cases[i][2]);
    expect(warnings.map((w) => w.fields.eventId)).toEqual([undefined, undefined, undefined, 'other-source', 'other-type', 'bad-count']);
    expect((await deps.store.get(group()))?.count).toBe(2);
  });

  test('a batch where every record is bad succeeds without touching DynamoDB', async () => {
    const deps = await testDeps();
    const report = await processFindingBatch(sqsBatch(cases.map(([, body]) => body)), deps);
    expect(report).toMatchObject({ batchItemFailures: [], created: [], published: [] });
    expect(report.records.every((r) => r.outcome === 'bad')).toBe(true);
    expect(deps.telemetry.counters.BadRecords).toBe(cases.length);
    expect(deps.telemetry.lines.filter((l) => l.level === 'warn')).toHaveLength(cases.length);
    expect(deps.store.requests).toEqual({ reads: 0, writes: 0 });
  });

  test('records without a body or message id are bad too, and an invocation that is not an SQS batch is one BadBatches count', async () => {
    const deps = await testDeps();
    const batch = sqsBatch([good]);
    const report = await processFindingBatch({ Records: [{ messageId: 'm-1' }, { body: JSON.stringify(good) }, ...batch.Records] }, deps);
    expect(report.records.map((r) => [r.messageId, r.outcome, r.reason])).toEqual([
      ['m-1', 'bad', 'record has no body'],
      ['#1', 'bad', 'record has no messageId'],
      [batch.Records[0].messageId, 'alerted', 'first finding of its group'],
    ]);
    expect(report.batchItemFailures).toEqual([]);
    expect((await processFindingBatch({ detail: 'not a batch' }, deps)).records).toEqual([]);
    expect(deps.telemetry.counters.BadBatches).toBe(1);
  });
});

describe('one batch, one read, a transaction per 100 operations', () => {
  test('40 findings of 2 groups: one transaction holds both groups, 40 markers and 2 alerts; the next batch costs one read and one write', async () => {
    const deps = await testDeps(PER_BUCKET);
    await setCurrentRun(deps.store, RUN);
    const first = await processFindingBatch(
      sqsBatch(Array.from({ length: 40 }, (_, n) => sensitiveFinding(n, { bucket: n % 2 ? 'bucket-b' : 'bucket-a' }))),
      deps,
    );
    expect(applied({}, first.records)).toEqual({ alerted: 2, grouped: 38 });
    expect(batchLine(deps.telemetry.lines)).toMatchObject({ events: 40, applied: 40, transactions: 1, attempts: 1 });
    expect((await deps.store.get(group('bucket-a')))?.count).toBe(20);
    expect((await deps.store.get(group('bucket-b')))?.count).toBe(20);
    expect(deps.publisher.alerts.map((a) => a.id)).toEqual([
      `sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-a:${TYPE}:first`,
      `sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-b:${TYPE}:first`,
    ]);

    const before = { ...deps.store.requests };
    const second = await processFindingBatch(
      sqsBatch(Array.from({ length: 40 }, (_, n) => sensitiveFinding(100 + n, { bucket: n % 2 ? 'bucket-b' : 'bucket-a' }))),
      deps,
    );
    expect(applied({}, second.records)).toEqual({ grouped: 40 });
    // The job and both groups in one BatchGetItem (this container remembers the job's run), one transaction.
    expect({ reads: deps.store.requests.reads - before.reads, writes: deps.store.requests.writes - before.writes }).toEqual({ reads: 1, writes: 1 });
  });

  test('250 findings of one group: three self-consistent transactions (state, markers, alert), counted once; redelivering the batch changes nothing', async () => {
    const deps = await testDeps();
    await setCurrentRun(deps.store, RUN);
    const batch = sqsBatch(Array.from({ length: 250 }, (_, n) => sensitiveFinding(n)));
    const report = await processFindingBatch(batch, deps);
    expect(report.batchItemFailures).toEqual([]);
    expect(batchLine(deps.telemetry.lines)).toMatchObject({ applied: 250, transactions: 3, attempts: 1 });
    const item = await deps.store.get(group());
    // Version 3 after the three transactions, 4 once its alert was claimed for publishing.
    expect(item).toMatchObject({ count: 250, alerts: 1, version: 4, firstFindingId: 'finding-0', lastFindingId: 'finding-249' });
    expect(item?.pendingAlerts).toBeUndefined();
    expect(deps.publisher.alerts).toHaveLength(1);

    const again = await processFindingBatch(batch, deps);
    expect(applied({}, again.records)).toEqual({ duplicate: 250 });
    expect(again.batchItemFailures).toEqual([]);
    expect(state(await deps.store.get(group()))).toEqual(state(item));
    expect(deps.publisher.alerts).toHaveLength(1);
  });
});

describe('batched events give the state and alerts of one event per invocation', () => {
  // Two groups over three hours: first alerts, "still occurring" alerts, severities; policy recurrences.
  const policy = fixture('findings/policy-S3BucketPublic.json');
  const events = [
    ...Array.from({ length: 24 }, (_, n) =>
      sensitiveFinding(n, {
        bucket: n % 3 ? 'bucket-b' : 'bucket-a',
        severity: (['High', 'Medium', 'Low'] as const)[n % 3],
        at: minutesAfter('2024-04-14T18:00:00.000Z', n * 8),
      }),
    ),
    ...[1, 2, 3, 4].map((count) =>
      findingEvent(policy, { eventId: `policy-${count}`, detail: { count, updatedAt: minutesAfter('2024-04-14T18:00:00.000Z', count * 600) } }),
    ),
  ];

  async function run(batches: readonly (readonly unknown[])[]) {
    const deps = await testDeps({ ...PER_BUCKET, repeatIntervalMinutes: 60, policyFindingRepeatHours: 12 });
    await setCurrentRun(deps.store, RUN);
    for (const batch of batches) expect((await processFindingBatch(sqsBatch(batch), deps)).batchItemFailures).toEqual([]);
    return {
      alerts: deps.publisher.alerts,
      a: state(await deps.store.get(group('bucket-a'))),
      b: state(await deps.store.get(group('bucket-b'))),
      policy: state(await deps.store.get(keys.policyFinding(policy.detail.id))),
    };
  }

  test('one batch of 28 and 28 batches of one: the same alerts, byte for byte and in order, and the same items', async () => {
    const single = await run(events.map((e) => [e]));
    const batched = await run([events]);
    expect(single.alerts.map((a: Alert) => a.id)).toEqual([
      `sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-a:${TYPE}:first`,
      `sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-b:${TYPE}:first`,
      `sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-a:${TYPE}:still:4`,
      `sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-b:${TYPE}:still:7`,
      `sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-a:${TYPE}:still:7`,
      `sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-b:${TYPE}:still:13`,
      `policy:${policy.detail.id}:1`,
      `policy:${policy.detail.id}:3`,
    ]);
    expect(JSON.stringify(batched.alerts)).toBe(JSON.stringify(single.alerts));
    expect(batched.a).toEqual(single.a);
    expect(batched.b).toEqual(single.b);
    expect(batched.policy).toEqual(single.policy);
  });
});

describe('exactly once across redelivery', () => {
  test('an SQS redelivery, an EventBridge duplicate and the same finding and count in another event: applied once, alerted once', async () => {
    const deps = await testDeps();
    await setCurrentRun(deps.store, RUN);
    const event = sensitiveFinding(1);
    const sameFinding = findingEvent(event, { eventId: 'republished' });
    const report = await processFindingBatch(sqsBatch([event, event, sameFinding]), deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['alerted', 'duplicate', 'duplicate']);
    expect(deps.telemetry.counters.EventsDuplicate).toBe(2);
    const item = await deps.store.get(group());
    expect(item).toMatchObject({ count: 1, alerts: 1 });
    for (const again of [[event], [sameFinding], [event, sameFinding]]) {
      const redelivered = await processFindingBatch(sqsBatch(again), deps);
      expect(redelivered.records.every((r) => r.outcome === 'duplicate')).toBe(true);
      expect(redelivered.published).toEqual([]);
    }
    expect(state(await deps.store.get(group()))).toEqual(state(item));
    expect(deps.publisher.alerts).toHaveLength(1);
    // Counted once, by Macie severity, like every applied finding.
    expect(deps.telemetry.countersBy.Findings).toEqual({ HIGH: 1 });
  });

  test('a throttled first transaction: its records are listed, the rest applied; their redelivery applies them once', async () => {
    const base = await testDeps(PER_BUCKET);
    await setCurrentRun(base.store, RUN);
    const events = Array.from({ length: 120 }, (_, n) => sensitiveFinding(n, { bucket: `bucket-${n % 30}` }));
    const { store } = throttledStore(base.store, throttleNth('TransactWriteItemsCommand', 1));
    const first = await processFindingBatch(sqsBatch(events), { ...base, store });
    const failed = new Set(first.batchItemFailures.map((f) => f.itemIdentifier));
    expect(failed.size).toBeGreaterThan(0);
    expect(failed.size).toBeLessThan(events.length);
    expect(first.records.filter((r) => failed.has(r.messageId)).every((r) => r.outcome === 'failed')).toBe(true);
    expect(base.telemetry.counters.RecordsRetried).toBe(failed.size);

    const redelivery = sqsEvent(eventMessages(events).filter((m) => failed.has(m.messageId)));
    const second = await processFindingBatch(redelivery, base);
    expect(second.batchItemFailures).toEqual([]);
    expect(second.records.every((r) => r.outcome === 'alerted' || r.outcome === 'grouped')).toBe(true);
    const groups = await base.store.listPrefix(`JOB#${SENSITIVE_JOB_ID}`, keys.runFindingsPrefix(RUN));
    expect(groups).toHaveLength(30);
    expect(groups.map((g) => g.count)).toEqual(groups.map(() => 4));
    expect(base.publisher.alerts).toHaveLength(30);
    expect(new Set(base.publisher.alerts.map((a) => a.id)).size).toBe(30);
  });

  test('a write that fails after DynamoDB applied it: the records are listed, and their redelivery (applied once, even partly) changes nothing more', async () => {
    const base = await testDeps(PER_BUCKET);
    await setCurrentRun(base.store, RUN);
    const events = Array.from({ length: 150 }, (_, n) => sensitiveFinding(n, { bucket: `bucket-${n % 3}` }));
    const first = await processFindingBatch(sqsBatch(events), { ...base, store: throwingStore(base.store, 1, 'after') });
    expect(first.batchItemFailures.length).toBeGreaterThan(0);
    const listed = new Set(first.batchItemFailures.map((f) => f.itemIdentifier));
    // SQS delivers the listed records again, in a batch of their own: their markers say they were applied.
    const again = await processFindingBatch(sqsEvent(eventMessages(events).filter((m) => listed.has(m.messageId))), base);
    expect(again.records.every((r) => r.outcome === 'duplicate')).toBe(true);
    // And the whole batch once more (a visibility timeout): nothing changes.
    const whole = await processFindingBatch(sqsBatch(events), base);
    expect(whole.records.every((r) => r.outcome === 'duplicate')).toBe(true);
    const groups = await base.store.listPrefix(`JOB#${SENSITIVE_JOB_ID}`, keys.runFindingsPrefix(RUN));
    expect(groups.map((g) => g.count).sort()).toEqual([50, 50, 50]);
    expect(groups.every((g) => g.pendingAlerts === undefined)).toBe(true);
    expect(base.publisher.alerts).toHaveLength(3);
  });

  test('an aggregate this version cannot read fails only its own records (named in the log); the rest of the batch is applied', async () => {
    const deps = await testDeps();
    await setCurrentRun(deps.store, RUN);
    await deps.store.write([{ kind: 'put', item: { ...group('bucket-a'), count: 'many', version: 1 } }]);
    const events = Array.from({ length: 10 }, (_, n) => sensitiveFinding(n, { bucket: n % 2 ? 'bucket-b' : 'bucket-a' }));
    const report = await processFindingBatch(sqsBatch(events), deps);
    const batch = sqsBatch(events);
    expect(report.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(batch.Records.filter((_, n) => n % 2 === 0).map((r) => r.messageId));
    expect(deps.telemetry.lines.some((l) => l.level === 'error' && l.message.includes('findings group item') && l.message.includes('count'))).toBe(true);
    expect((await deps.store.get(group('bucket-b')))?.count).toBe(5);
  });
});

describe('concurrent batches of the same groups (MaximumConcurrency raised to 10)', () => {
  test('10 invocations at once on the same 6 groups: none lost, none counted twice, one alert per group', async () => {
    const deps = await testDeps(PER_BUCKET);
    await setCurrentRun(deps.store, RUN);
    const buckets = ['bucket-a', 'bucket-b', 'bucket-c'];
    const types = [TYPE, 'SensitiveData:S3Object/Personal'];
    const events = Array.from({ length: 600 }, (_, n) => sensitiveFinding(n, { bucket: buckets[n % 3], type: types[Math.floor(n / 3) % 2] }));
    const messages: QueueMessage[] = eventMessages(events);
    const run = await deliverBatches(mappingBatches(messages, 60), (batch) => processFindingBatch(batch, deps), { batchSize: 60, concurrency: 10 });
    expect(run.deadLettered).toEqual([]);
    const groups = await deps.store.listPrefix(`JOB#${SENSITIVE_JOB_ID}`, keys.runFindingsPrefix(RUN));
    expect(groups).toHaveLength(6);
    expect(groups.map((g) => g.count)).toEqual([100, 100, 100, 100, 100, 100]);
    expect(groups.every((g) => g.alerts === 1 && g.pendingAlerts === undefined)).toBe(true);
    expect(deps.publisher.alerts).toHaveLength(6);
    // Records SQS had to deliver again because their groups kept changing under them (the bench reports the rate).
    const outcomes = applied(
      {},
      run.responses.flatMap((r) => (r as { records: { outcome: string }[] }).records),
    );
    expect(outcomes.alerted + outcomes.grouped).toBe(600);
    expect(outcomes.failed ?? 0).toBe(run.redelivered);
  }, 300_000);
});
