import { renderEmailBody, renderEmailSubject } from '../../lambda/delivery/render-email';
import { renderSms } from '../../lambda/delivery/render-sms';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { keys } from '../../lambda/state/table';
import { deliverOne, findingEvent, fixture, sensitiveFinding, SENSITIVE_JOB_ID, testDeps } from './kit';

/** What finding alerts say: SAMPLE once, subjects that tell recurrences apart, nothing twice (issue: what alerts say). */

const T0 = '2024-04-14T17:11:30.000Z';
const hoursAfter = (hours: number) => new Date(Date.parse(T0) + hours * 3_600_000).toISOString();
const occurrences = (s: string) => s.split('SAMPLE').length - 1;

function detailLabels(body: string): string[] {
  const details = body.split('\nDetails\n')[1].split('\n\n')[0];
  return details.split('\n').map((l) => l.slice(0, l.indexOf(':')));
}

test('a sample finding says SAMPLE once in its subject and in its SMS', async () => {
  const deps = await testDeps();
  const [alert] = (await deliverOne(processFindingBatch, sensitiveFinding(1, { sample: true }), deps)).published;
  expect(renderEmailSubject(alert)).toMatch(/^\[HIGH\] \[SAMPLE\] Macie found /);
  expect(occurrences(renderEmailSubject(alert))).toBe(1);
  expect(renderSms(alert)).toMatch(/^HIGH SAMPLE: Macie found /);
  expect(occurrences(renderSms(alert))).toBe(1);
});

test("a recurring policy finding's subject differs from its first alert's within the 100 characters SNS keeps", async () => {
  const deps = await testDeps({ policyFindingRepeatHours: 1 });
  const bucket = 'amzn-s3-demo-bucket-with-a-name-as-long-as-s3-allows-0123456789';
  const occurrence = (count: number, at: string) => {
    const event = findingEvent(fixture('findings/policy-S3BucketPublic.json'), { eventId: `e-${count}`, detail: { count, createdAt: T0, updatedAt: at } });
    event.detail.resourcesAffected.s3Bucket.name = bucket;
    return event;
  };
  await deliverOne(processFindingBatch, occurrence(1, T0), deps);
  await deliverOne(processFindingBatch, occurrence(4, hoursAfter(2)), deps);
  const [first, recurrence] = deps.publisher.alerts.map(renderEmailSubject);
  expect(recurrence).not.toBe(first);
  expect(recurrence.length).toBeLessThan(100);
  expect(recurrence).toContain('(occurred 4 times)');
});

test('a sensitive-data finding alert names the job as the job log told it, shows each id once and nests no brackets', async () => {
  const deps = await testDeps();
  const runDate = '2024-04-14T17:00:00.000Z';
  await deps.store.write([
    {
      kind: 'put',
      item: { ...keys.job(SENSITIVE_JOB_ID), currentRunDate: runDate, jobName: 'Payroll_Scan', expiresAt: Math.floor(Date.now() / 1000) + 86400 },
    },
  ]);
  const event = sensitiveFinding(1);
  event.detail.resourcesAffected.s3Object.size = 7951;
  const [alert] = (await deliverOne(processFindingBatch, event, deps)).published;
  expect(alert.job).toEqual({ id: SENSITIVE_JOB_ID, name: 'Payroll_Scan', runDate });
  expect(alert.whatHappened).toContain(`Macie job "Payroll_Scan" (${SENSITIVE_JOB_ID}) in its run of ${runDate} found`);
  expect(alert.whatHappened).toContain('an object of 7.8 KB (7,951 bytes)');
  expect(alert.whatHappened).not.toMatch(/\([^()]*\(/);
  const body = renderEmailBody(alert);
  expect(body).toContain(', job Payroll_Scan\n');
  const labels = detailLabels(body);
  expect(labels).toEqual([...new Set(labels)]);
  expect(body.match(/Finding id: /g)).toHaveLength(1);
});
