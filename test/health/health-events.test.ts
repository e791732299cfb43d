import { processHealthBatch } from '../../lambda/health/pipeline';
import { addSilence } from '../../lambda/silences/silence-store';
import { JobCodec } from '../../lambda/state/job-items';
import { keys } from '../../lambda/state/table';
import { clone, deliverOne, fixture, sqsBatch, testDeps } from '../findings/kit';

const EXPIRING = fixture('health/paused-job-expiring.json');
const ISSUE = fixture('health/service-issue.json');
const JOB_ID = '3ce05dbb7ec5505def334104bexample';

/** The event with its EventBridge id and detail fields replaced. */
function healthEvent(base: Record<string, any>, changes: { id?: string; account?: string; detail?: Record<string, any> } = {}): Record<string, any> {
  const event = clone(base);
  if (changes.id) event.id = changes.id;
  if (changes.account) event.account = changes.account;
  Object.assign(event.detail, changes.detail ?? {});
  return event;
}

describe('AWS Health events about Macie', () => {
  test('a paused job about to expire: one HIGH alert naming the job, with the description, entities, times and links', async () => {
    const deps = await testDeps();
    const report = await deliverOne(processHealthBatch, EXPIRING, deps);
    expect(report.outcome).toBe('alerted');
    expect(deps.publisher.alerts).toHaveLength(1);
    const [alert] = deps.publisher.alerts;
    expect(alert).toMatchObject({
      id: `health:111122223333:${EXPIRING.detail.eventArn}:first`,
      severity: 'HIGH',
      category: 'HEALTH',
      eventType: 'AWS_MACIE_JOB_IMMINENT_EXPIRATION',
      accountId: '111122223333',
      region: 'us-east-1',
      job: { id: JOB_ID },
      threadId: JOB_ID,
      occurredAt: '2026-12-03T09:00:00.000Z',
    });
    expect(alert.headline).toBe(`AWS Health: Macie job ${JOB_ID} about to expire in 111122223333 (us-east-1)`);
    expect(alert.whatHappened).toContain('it will expire and Macie will cancel it');
    expect(alert.whatHappened).toContain(`Affected: arn:aws:macie2:us-east-1:111122223333:classification-job/${JOB_ID} (PENDING).`);
    const detail = Object.fromEntries(alert.details.map((d) => [d.label, d.value]));
    expect(detail).toMatchObject({
      'Event type code': 'AWS_MACIE_JOB_IMMINENT_EXPIRATION',
      Category: 'accountNotification',
      Status: 'open',
      'Start time': '2026-12-03T09:00:00.000Z',
      Job: JOB_ID,
      'Event ARN': EXPIRING.detail.eventArn,
    });
    expect(alert.links.map((l) => l.label)).toEqual(['Event in the AWS Health Dashboard', 'Job in the Macie console', "Job's log stream in CloudWatch Logs"]);
    expect(deps.telemetry.countersBy.HealthAlerts).toEqual({ HIGH: 1 });
  });

  test('a job the job log has named is named by its name', async () => {
    const deps = await testDeps();
    await deps.store.write([
      {
        kind: 'put',
        item: JobCodec.encode({
          ...keys.job(JOB_ID),
          jobId: JOB_ID,
          jobName: 'Quarterly_HR_Scan',
          recentRunStarts: [],
          routedBatches: [],
          expiresAt: Math.floor(Date.now() / 1000) + 86400,
        }),
      },
    ]);
    await deliverOne(processHealthBatch, EXPIRING, deps);
    const [alert] = deps.publisher.alerts;
    expect(alert.job).toEqual({ id: JOB_ID, name: 'Quarterly_HR_Scan' });
    expect(alert.headline).toBe('AWS Health: Macie job Quarterly_HR_Scan about to expire in 111122223333 (us-east-1)');
    expect(alert.details).toContainEqual({ label: 'Job', value: `Quarterly_HR_Scan (${JOB_ID})` });
  });

  test('a service issue is MEDIUM and names no job', async () => {
    const deps = await testDeps();
    await deliverOne(processHealthBatch, ISSUE, deps);
    expect(deps.publisher.alerts.map((a) => [a.severity, a.job, a.region, a.headline])).toEqual([
      ['MEDIUM', undefined, 'eu-west-1', 'AWS Health: AWS_MACIE_OPERATIONAL_ISSUE in 111122223333 (eu-west-1)'],
    ]);
  });

  test('delivered twice (an SQS redelivery, and a copy Health sends with another EventBridge id) gives one alert', async () => {
    const deps = await testDeps();
    expect((await deliverOne(processHealthBatch, EXPIRING, deps)).outcome).toBe('alerted');
    expect((await deliverOne(processHealthBatch, EXPIRING, deps)).outcome).toBe('duplicate');
    expect((await deliverOne(processHealthBatch, healthEvent(EXPIRING, { id: 'another-copy' }), deps)).outcome).toBe('duplicate');
    // The same content at a later update time, with nothing new to say: applied, no alert.
    const touched = await deliverOne(
      processHealthBatch,
      healthEvent(EXPIRING, { id: 'touched', detail: { lastUpdatedTime: 'Thu, 03 Dec 2026 10:00:00 GMT' } }),
      deps,
    );
    expect(touched.outcome).not.toBe('alerted');
    expect(deps.publisher.alerts).toHaveLength(1);
  });

  test('the same event in two batches at once (two containers) gives one alert', async () => {
    const deps = await testDeps();
    const copies = ['a', 'b', 'c', 'd'].map((id) => healthEvent(EXPIRING, { id }));
    await Promise.all(copies.map((event) => processHealthBatch(sqsBatch([event]), deps)));
    expect(deps.publisher.alerts).toHaveLength(1);
  });

  test('a status change gives one "updated" alert (resolved: INFO), however often it is delivered', async () => {
    const deps = await testDeps();
    await deliverOne(processHealthBatch, ISSUE, deps);
    const closed = healthEvent(ISSUE, {
      id: 'closed',
      detail: { statusCode: 'closed', lastUpdatedTime: 'Fri, 04 Dec 2026 16:30:00 GMT', endTime: 'Fri, 04 Dec 2026 16:20:00 GMT' },
    });
    expect((await deliverOne(processHealthBatch, closed, deps)).outcome).toBe('alerted');
    expect((await deliverOne(processHealthBatch, healthEvent(closed, { id: 'closed-again' }), deps)).outcome).toBe('duplicate');
    expect(deps.publisher.alerts).toHaveLength(2);
    const update = deps.publisher.alerts[1];
    expect(update).toMatchObject({ id: `health:111122223333:${ISSUE.detail.eventArn}:update:1`, severity: 'INFO', occurredAt: '2026-12-04T16:30:00.000Z' });
    expect(update.headline).toBe('Closed: AWS Health: AWS_MACIE_OPERATIONAL_ISSUE in 111122223333 (eu-west-1)');
    expect(update.whatHappened).toContain('Its status changed from open to closed.');
    expect(update.whatHappened).toContain('ending 2026-12-04T16:20:00.000Z');
    // An older copy arriving after the update changes nothing: no alert, the status stays closed.
    expect((await deliverOne(processHealthBatch, healthEvent(ISSUE, { id: 'late-copy', detail: { page: '2' } }), deps)).outcome).not.toBe('alerted');
    const item = await deps.store.get(keys.healthEvent('111122223333', ISSUE.detail.eventArn));
    expect(item).toMatchObject({ statusCode: 'closed', alerts: 2 });
  });

  test('a later update with a changed description alerts once; the same description again does not', async () => {
    const deps = await testDeps();
    await deliverOne(processHealthBatch, ISSUE, deps);
    const description = [{ language: 'en_US', latestDescription: 'We have identified the cause of the delays and are applying a fix.' }];
    const updated = healthEvent(ISSUE, { id: 'u1', detail: { lastUpdatedTime: 'Fri, 04 Dec 2026 15:00:00 GMT', eventDescription: description } });
    expect((await deliverOne(processHealthBatch, updated, deps)).outcome).toBe('alerted');
    const same = healthEvent(ISSUE, { id: 'u2', detail: { lastUpdatedTime: 'Fri, 04 Dec 2026 15:30:00 GMT', eventDescription: description } });
    expect((await deliverOne(processHealthBatch, same, deps)).outcome).not.toBe('alerted');
    expect(deps.publisher.alerts.map((a) => [a.severity, a.headline.split(':')[0]])).toEqual([
      ['MEDIUM', 'AWS Health'],
      ['MEDIUM', 'Updated'],
    ]);
    expect(deps.publisher.alerts[1].whatHappened).toContain('AWS updated its description. AWS says: We have identified the cause');
  });

  test('pages of one event are one event: one alert, their entities merged and named by the next update', async () => {
    const deps = await testDeps();
    const entity = (n: number) => ({ entityValue: `arn:aws:macie2:us-east-1:111122223333:classification-job/job${n}`, status: 'PENDING' });
    const page = (n: string, entities: object[]) =>
      healthEvent(EXPIRING, { id: `page-${n}`, detail: { page: n, totalPages: '2', affectedEntities: entities } });
    const report = await processHealthBatch(sqsBatch([page('1', [entity(1), entity(2)]), page('2', [entity(3)])]), deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['alerted', 'grouped']);
    expect(deps.publisher.alerts).toHaveLength(1);
    expect(deps.publisher.alerts[0].whatHappened).toContain('Pages received: 1 of 2');
    await deliverOne(
      processHealthBatch,
      healthEvent(page('1', [entity(1)]), { id: 'closed', detail: { statusCode: 'closed', lastUpdatedTime: 'Thu, 10 Dec 2026 09:00:00 GMT' } }),
      deps,
    );
    expect(deps.publisher.alerts).toHaveLength(2);
    expect(deps.publisher.alerts[1].whatHappened).toMatch(/Affected: .*job1 \(PENDING\), .*job2 \(PENDING\), .*job3 \(PENDING\)\./);
  });

  test('one event ARN seen by two accounts (an organizational view) alerts once per account', async () => {
    const deps = await testDeps();
    const member = healthEvent(EXPIRING, { id: 'member', detail: { affectedAccount: '444455556666' } });
    await processHealthBatch(sqsBatch([EXPIRING, member]), deps);
    expect(deps.publisher.alerts.map((a) => a.accountId).sort()).toEqual(['111122223333', '444455556666']);
  });

  test('other services are ignored and a malformed event is bad: one log line and a metric each, the rest of the batch applied', async () => {
    const deps = await testDeps();
    const ec2 = healthEvent(ISSUE, { id: 'ec2', detail: { service: 'EC2' } });
    const broken = healthEvent(ISSUE, { id: 'broken' });
    delete broken.detail.eventArn;
    const report = await processHealthBatch(sqsBatch([ec2, broken, EXPIRING]), deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['ignored', 'bad', 'alerted']);
    expect(report.batchItemFailures).toEqual([]);
    expect(deps.telemetry.counters).toMatchObject({ BadRecords: 1, EventsIgnored: 1 });
    expect(deps.telemetry.lines.filter((l) => l.level === 'warn' && l.fields.messageId !== undefined)).toHaveLength(1);
  });

  test('a silence on the event type code holds its alert', async () => {
    const deps = await testDeps();
    const now = new Date().toISOString();
    await addSilence(deps.store, {
      match: { type: 'AWS_MACIE_OPERATIONAL_ISSUE' },
      startsAt: '2026-01-01T00:00:00.000Z',
      endsAt: '2099-01-01T00:00:00.000Z',
      author: 'ops',
      reason: 'known AWS issue',
      createdAt: now,
    });
    const report = await deliverOne(processHealthBatch, ISSUE, deps);
    expect(report.outcome).toBe('silenced');
    expect(deps.publisher.alerts).toEqual([]);
  });
});
