import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { keys } from '../../lambda/state/table';
import { clone, cloudTrailEvent, fixture, minutesAfter, sqsBatch, testDeps } from '../findings/kit';

/** The API-call queue's batches: the same alerts as one call per invocation, each call applied once. */
const reveal = fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json');
const T0 = '2024-04-14T10:00:00.000Z';

function revealAt(minutes: number, findingId: string) {
  const record = clone(reveal);
  record.eventID = `reveal-${minutes}`;
  record.eventTime = minutesAfter(T0, minutes);
  record.requestParameters = { findingId };
  return cloudTrailEvent(record);
}

test('a batch of calls: alerts, an ignored call, bad records, and the same CloudTrail event twice (another EventBridge id) applied once', async () => {
  const deps = await testDeps();
  const disable = fixture('api-calls/call-DisableMacie.json');
  const records = [
    cloudTrailEvent(disable),
    cloudTrailEvent(fixture('api-calls/seed-cloudtrail-list-findings.json')),
    cloudTrailEvent(disable, 'another-eventbridge-id'),
    { ...cloudTrailEvent(fixture('api-calls/call-DeleteMember.json')), source: 'aws.macie' },
    '{"version": "0", "id": "cut-sho',
  ];
  const report = await processApiCallBatch(sqsBatch(records), deps);
  expect(report.batchItemFailures).toEqual([]);
  expect(report.records.map((r) => r.outcome)).toEqual(['alerted', 'ignored', 'duplicate', 'bad', 'bad']);
  expect(report.records[3].reason).toBe('source "aws.macie" is not "aws.macie2"');
  expect(report.records[4].reason).toMatch(/^body is not JSON/);
  expect(deps.publisher.alerts.map((a) => a.id)).toEqual([`api:${disable.eventID}`]);
  // The call's marker owns its alert: a redelivery finds it and sends nothing.
  const again = await processApiCallBatch(sqsBatch([cloudTrailEvent(disable)]), deps);
  expect(again.records.map((r) => r.outcome)).toEqual(['duplicate']);
  expect(deps.publisher.alerts).toHaveLength(1);
  expect(deps.telemetry.countersBy.ApiCallAlerts).toEqual({ DisableMacie: 1 });
});

test('reveals by one principal in one batch give the alerts of one reveal per invocation, and are counted once on redelivery', async () => {
  const plan: [number, string][] = [
    [0, 'f1'],
    [5, 'f2'],
    [30, 'f3'],
    [59, 'f2'],
    [75, 'f9'],
    [80, 'f1'],
  ];
  const single = await testDeps({ repeatIntervalMinutes: 60 });
  for (const [minutes, finding] of plan) await processApiCallBatch(sqsBatch([revealAt(minutes, finding)]), single);
  const batched = await testDeps({ repeatIntervalMinutes: 60 });
  const batch = sqsBatch(plan.map(([minutes, finding]) => revealAt(minutes, finding)));
  const report = await processApiCallBatch(batch, batched);
  expect(report.records.map((r) => r.outcome)).toEqual(['alerted', 'grouped', 'grouped', 'grouped', 'alerted', 'grouped']);
  expect(JSON.stringify(batched.publisher.alerts)).toBe(JSON.stringify(single.publisher.alerts));
  expect(batched.publisher.alerts[1].headline).toContain('(4 reveals)');
  const window = await batched.store.get(keys.principalReveals(reveal.userIdentity.arn));
  const { version: _v, expiresAt: _e, ...state } = window ?? {};
  const { version: _v2, expiresAt: _e2, ...singleState } = (await single.store.get(keys.principalReveals(reveal.userIdentity.arn))) ?? {};
  expect(state).toEqual(singleState);
  expect(state).toMatchObject({ windowStart: minutesAfter(T0, 75), count: 2, findingIds: ['f9', 'f1'], alerts: 2 });

  const again = await processApiCallBatch(batch, batched);
  expect(again.records.every((r) => r.outcome === 'duplicate')).toBe(true);
  expect(await batched.store.get(keys.principalReveals(reveal.userIdentity.arn))).toEqual(window);
  expect(batched.publisher.alerts).toHaveLength(2);
});
