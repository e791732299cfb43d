import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { renderingProblems } from '../reliability/render-checks';
import { testDynamoClient } from '../support/dynamodb';
import { at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { harness, toLogEvents } from './helpers';
import { runAlertId } from '../../lambda/job-log/run-alerts';
import { itemBytes } from '../../bench/item-size';

/**
 * One run of an organisation-wide job: 2,000 accounts whose access is denied and buckets denied in 3,000
 * other accounts, in batches of 1,000 log events as CloudWatch Logs delivers them. The account counts are
 * the (far above the 10 names a run keeps per type, so a capped count would show), and so are the
 * 60,000 bucket events (20 buckets per account): their digests fill 15 bucket pages (docs/scale.md).
 */
const RUN = '2024-06-02T02:00:00.000Z';
const ACCOUNTS_DENIED = 2_000;
const OTHER_ACCOUNTS = 3_000;
const BUCKETS_PER_ACCOUNT = 20;
const BATCH = 1_000;
const account = (i: number) => String(200_000_000_000 + i);

test('an organisation-wide run: no failed batch, exact account and bucket counts, every item under 100 KB, a handful of alerts within every channel', async () => {
  const h = await harness();
  const ev = jobStream('job-org', 'Org_Wide_PII', RUN);
  const events: Record<string, unknown>[] = [ev('SCHEDULED_RUN_STARTED', RUN)];
  let minute = 1;
  for (let i = 0; i < ACCOUNTS_DENIED; i++) events.push(ev('ACCOUNT_ACCESS_DENIED', at(RUN, minute++ / 100), { affectedAccount: account(i) }));
  for (let i = 0; i < OTHER_ACCOUNTS; i++) {
    for (let b = 0; b < BUCKETS_PER_ACCOUNT; b++)
      events.push(ev('BUCKET_ACCESS_DENIED', at(RUN, minute++ / 100), bucketError(`bucket-${i}-${b}`, account(ACCOUNTS_DENIED + i))));
  }
  const logged = toLogEvents(events);
  // Before the end: 500 events applied before, in a batch of another composition (CloudWatch Logs resending part
  // of a recent delivery), with 10 new events: 5 of buckets the run counted already and 5 of new buckets.
  const again = [
    ...logged.slice(logged.length - 1_500, logged.length - 1_000),
    ...toLogEvents(
      [...Array.from({ length: 5 }, (_, i) => `bucket-${i}-0`), ...Array.from({ length: 5 }, (_, i) => `bucket-new-${i}`)].map((name, i) =>
        ev('BUCKET_ACCESS_DENIED', at(RUN, 500 + i), bucketError(name, account(ACCOUNTS_DENIED + i))),
      ),
    ),
  ];
  const end = toLogEvents([ev('SCHEDULED_RUN_COMPLETED', at(RUN, 600))]);
  const batches = [...Array.from({ length: Math.ceil(logged.length / BATCH) }, (_, i) => logged.slice(i * BATCH, (i + 1) * BATCH)), again, end];

  let failed = 0;
  for (const batch of batches) {
    // A batch the pipeline cannot apply throws (Lambda retries the invocation); a rejected event is counted as bad.
    const report = await h.send(batch).catch(() => undefined);
    failed += !report || report.badBatch ? 1 : report.bad;
  }
  expect(failed).toBe(0);

  const run = await h.run('job-org', RUN);
  const bucketErrors = OTHER_ACCOUNTS * BUCKETS_PER_ACCOUNT + 10;
  const buckets = OTHER_ACCOUNTS * BUCKETS_PER_ACCOUNT + 5;
  expect(run?.errors).toEqual({ ACCOUNT_ACCESS_DENIED: ACCOUNTS_DENIED, BUCKET_ACCESS_DENIED: bucketErrors });
  expect(run?.bucketCounts).toEqual({ BUCKET_ACCESS_DENIED: buckets });

  const summary = h.publisher.records.find((r) => r.alert.id === runAlertId('job-org', RUN, 'summary'));
  expect(summary).toBeDefined();
  const text = summary!.alert.whatHappened;
  expect(text).toContain(`in ${(ACCOUNTS_DENIED + OTHER_ACCOUNTS).toLocaleString('en-US')} accounts`);
  expect(text).not.toContain('at least 10 accounts');
  const details = Object.fromEntries(summary!.alert.details.map((d) => [d.label, d.value]));
  expect(details['Accounts affected']).toContain(`(first 10 of ${(ACCOUNTS_DENIED + OTHER_ACCOUNTS).toLocaleString('en-US')} accounts)`);
  expect(details['Errors (ACCOUNT_ACCESS_DENIED)']).toContain(`first 10 of ${ACCOUNTS_DENIED.toLocaleString('en-US')} accounts`);
  expect(details['Errors (BUCKET_ACCESS_DENIED)']).toContain(`first 10 of ${OTHER_ACCOUNTS.toLocaleString('en-US')} accounts`);
  expect(details['Errors (BUCKET_ACCESS_DENIED)']).toContain(`(first 10 of ${buckets.toLocaleString('en-US')} buckets)`);
  expect(summary!.alert.affected.find((a) => a.kind === 'bucket')).toMatchObject({ total: buckets });
  expect(summary!.alert.affected.find((a) => a.kind === 'bucket')?.atLeast).toBeUndefined();
  expect(JSON.stringify(summary!.alert)).not.toContain('at least');
  expect(summary!.alert.affected.find((a) => a.kind === 'account')).toMatchObject({ total: ACCOUNTS_DENIED + OTHER_ACCOUNTS });
  expect(summary!.alert.affected.find((a) => a.kind === 'account')?.atLeast).toBeUndefined();

  // A handful of alerts for the run, every one accepted by the SNS stand-in and within every channel's rules.
  expect(h.publisher.failures).toEqual([]);
  expect(h.publisher.records.length).toBeLessThanOrEqual(25);
  for (const r of h.publisher.records) expect(renderingProblems(r.alert)).toEqual([]);
  expect(Buffer.byteLength(summary!.message.Message)).toBeLessThan(256 * 1024);

  // The largest item in the table, the run item included.
  const sizes: { key: string; bytes: number }[] = [];
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await testDynamoClient().send(new ScanCommand({ TableName: h.store.tableName, ExclusiveStartKey: start }));
    for (const raw of page.Items ?? []) {
      const item = unmarshall(raw);
      sizes.push({ key: `${item.pk} ${item.sk}`, bytes: itemBytes(item) });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  expect(largest.bytes).toBeLessThan(100 * 1024);
}, 180_000);
