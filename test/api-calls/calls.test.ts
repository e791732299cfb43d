import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { API_CALL_TYPES, apiCallType, callWording } from '../../lambda/api-calls/call-types';
import { keys } from '../../lambda/state/table';
import { clone, cloudTrailEvent, deliverOne, FIXTURES, fixture, testDeps } from '../findings/kit';

const callFiles = readdirSync(join(FIXTURES, 'api-calls')).filter((f) => f.startsWith('call-'));
const reveal = fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json');

function withChanges(file: string, changes: Record<string, unknown>) {
  return Object.assign(clone(fixture(`api-calls/${file}`)), changes);
}

describe('every Macie call in the spec', () => {
  test('has a fixture (the reveal is the seed)', () => {
    const names = callFiles.map((f) => f.slice(5, -5));
    expect([...names, 'GetSensitiveDataOccurrences'].sort()).toEqual(API_CALL_TYPES.map((t) => t.name).sort());
  });

  test.each(callFiles)('%s alerts with its severity, who, where and the parameters that matter', async (file) => {
    const deps = await testDeps();
    const record = fixture(`api-calls/${file}`);
    const type = apiCallType(record.eventName)!;
    const report = await deliverOne(processApiCallBatch, cloudTrailEvent(record), deps);
    expect(report.outcome).toBe('alerted');
    const [alert] = deps.publisher.alerts;
    expect(alert).toMatchObject({
      id: `api:${record.eventID}`,
      severity: type.severity,
      category: 'API_CALL',
      eventType: record.eventName,
      accountId: '111122223333',
      region: 'us-east-1',
      threadId: record.eventID,
      whatItMeans: callWording(type, record.requestParameters).meaning,
    });
    expect(alert.headline).toBe(`assumed-role/Admin/JohnDoe ${callWording(type, record.requestParameters).action} in 111122223333 (us-east-1)`);
    const detail = Object.fromEntries(alert.details.map((d) => [d.label, d.value]));
    expect(detail).toMatchObject({
      Principal: 'arn:aws:sts::111122223333:assumed-role/Admin/JohnDoe',
      'Session issuer': 'arn:aws:iam::111122223333:role/Admin',
      'Source IP': '198.51.100.252',
    });
    for (const [label] of type.parameters.filter(([, path]) => path.split('.').reduce<any>((v, k) => v?.[k], record.requestParameters) !== undefined)) {
      // A job or finding id is on the alert itself (alert.job, alert.findingId), which every rendering shows once.
      if (label === 'Job id') expect(alert.job?.id).toBeTruthy();
      else if (label === 'Finding id') expect(alert.findingId).toBeTruthy();
      else expect(detail[label]).toBeTruthy();
    }
    expect(alert.links.some((l) => l.url.includes(`#/events/${record.eventID}`))).toBe(true);
  });

  test('job updates name the job and the new status', async () => {
    const deps = await testDeps();
    await deliverOne(processApiCallBatch, cloudTrailEvent(fixture('api-calls/call-UpdateClassificationJob.json')), deps);
    const [alert] = deps.publisher.alerts;
    expect(alert.job).toEqual({ id: '3ce05dbb7ec5505def334104bexample' });
    expect(alert.whatHappened).toContain('Job id: 3ce05dbb7ec5505def334104bexample, New job status: CANCELLED');
  });

  test.each([
    ['call-UpdateMacieSession.json', { status: 'ENABLED' }],
    ['call-UpdateClassificationJob.json', { jobId: 'j', jobStatus: 'RUNNING' }],
    ['call-CreateFindingsFilter.json', { name: 'triage', action: 'NOOP' }],
    ['call-UpdateFindingsFilter.json', { id: 'f', action: 'NOOP' }],
  ])('%s with harmless parameters %j is ignored', async (file, requestParameters) => {
    const deps = await testDeps();
    const report = await deliverOne(processApiCallBatch, cloudTrailEvent(withChanges(file, { requestParameters })), deps);
    expect(report.outcome).toBe('ignored');
    expect(deps.publisher.alerts).toEqual([]);
    expect(deps.telemetry.counters.EventsIgnored).toBe(1);
  });

  test('denied attempts are one level lower and say so', async () => {
    const deps = await testDeps();
    const denied = withChanges('call-DisableMacie.json', { errorCode: 'AccessDeniedException', errorMessage: 'not authorized' });
    const report = await deliverOne(processApiCallBatch, cloudTrailEvent(denied), deps);
    expect(report.published[0].severity).toBe('MEDIUM');
    expect(report.published[0].headline).toBe('Denied: assumed-role/Admin/JohnDoe tried to disable Macie in 111122223333 (us-east-1)');
    expect(report.published[0].whatItMeans).toMatch(/was refused\. Had the call succeeded, Macie would have been disabled/);
    const medium = withChanges('call-DeleteAllowList.json', { errorCode: 'AccessDeniedException' });
    expect((await deliverOne(processApiCallBatch, cloudTrailEvent(medium), deps)).published[0].severity).toBe('LOW');
  });

  test('a denied DisableMacie says it was refused, who tried and what would have happened, and gives no advice for a change that did not happen', async () => {
    const deps = await testDeps();
    const denied = withChanges('call-DisableMacie.json', { errorCode: 'AccessDeniedException', errorMessage: 'not authorized' });
    const [alert] = (await deliverOne(processApiCallBatch, cloudTrailEvent(denied), deps)).published;
    expect(alert.whatHappened).toContain('arn:aws:sts::111122223333:assumed-role/Admin/JohnDoe (AssumedRole) tried to call Macie DisableMacie');
    expect(alert.whatHappened).toContain('It was denied (AccessDeniedException: not authorized): nothing changed.');
    expect(alert.whatItMeans).not.toMatch(/Macie was disabled|jobs, findings and settings are deleted/);
    expect(alert.whatToDo).not.toMatch(/re-enable|recreate/i);
    expect(alert.whatToDo).toContain('Nothing needs undoing');
    expect(alert.whatToDo).toContain('macie2:DisableMacie');
  });

  test.each([
    ['CANCELLED', 'cancelled a classification job', /cannot be resumed/, 'tried to cancel a classification job'],
    ['USER_PAUSED', 'paused a classification job', /until it is resumed/, 'tried to pause a classification job'],
  ])('UpdateClassificationJob to %s says what it did', async (jobStatus, action, meaning, attempt) => {
    const deps = await testDeps();
    const record = withChanges('call-UpdateClassificationJob.json', { requestParameters: { jobId: 'j1', jobStatus } });
    const [alert] = (await deliverOne(processApiCallBatch, cloudTrailEvent(record), deps)).published;
    expect(alert.headline).toBe(`assumed-role/Admin/JohnDoe ${action} in 111122223333 (us-east-1)`);
    expect(alert.whatItMeans).toMatch(meaning);
    expect(alert.whatItMeans).not.toMatch(/cancelled or paused/);
    const denied = withChanges('call-UpdateClassificationJob.json', {
      eventID: `denied-${jobStatus}`,
      requestParameters: { jobId: 'j1', jobStatus },
      errorCode: 'AccessDenied',
    });
    const [refused] = (await deliverOne(processApiCallBatch, cloudTrailEvent(denied), deps)).published;
    expect(refused.headline).toContain(attempt);
  });

  test('calls made by AWS Config are ignored (invokedBy or user agent)', async () => {
    const deps = await testDeps();
    const byInvoker = withChanges('call-DeleteMember.json', { userIdentity: { type: 'AWSService', invokedBy: 'config.amazonaws.com' } });
    const byAgent = withChanges('call-DeleteAllowList.json', { userAgent: 'config.amazonaws.com' });
    for (const record of [byInvoker, byAgent]) expect((await deliverOne(processApiCallBatch, cloudTrailEvent(record), deps)).outcome).toBe('ignored');
    expect(deps.publisher.alerts).toEqual([]);
  });

  test('the same event delivered twice alerts once', async () => {
    const deps = await testDeps();
    const event = cloudTrailEvent(fixture('api-calls/call-DeleteMember.json'));
    expect((await deliverOne(processApiCallBatch, event, deps)).outcome).toBe('alerted');
    expect((await deliverOne(processApiCallBatch, event, deps)).outcome).toBe('duplicate');
    expect(deps.publisher.alerts).toHaveLength(1);
  });
});

describe('reveals of sensitive data by one principal are grouped per repeat interval', () => {
  const minutesAfter = (minutes: number) => new Date(Date.parse('2024-04-14T10:00:00Z') + minutes * 60_000).toISOString();
  function revealAt(minutes: number, findingId: string, arn = reveal.userIdentity.arn) {
    const record = clone(reveal);
    record.eventID = `reveal-${arn.slice(-6)}-${minutes}`;
    record.eventTime = minutesAfter(minutes);
    record.requestParameters = { findingId };
    record.userIdentity.arn = arn;
    return cloudTrailEvent(record);
  }

  test('first alerts, the rest are counted, the next reveal after the window reports how many more there were', async () => {
    const deps = await testDeps({ repeatIntervalMinutes: 60 });
    const outcomes = [];
    for (const [minutes, finding] of [
      [0, 'f1'],
      [5, 'f2'],
      [30, 'f3'],
      [59, 'f2'],
    ] as const)
      outcomes.push((await deliverOne(processApiCallBatch, revealAt(minutes, finding), deps)).outcome);
    expect(outcomes).toEqual(['alerted', 'grouped', 'grouped', 'grouped']);
    const later = await deliverOne(processApiCallBatch, revealAt(75, 'f9'), deps);
    expect(later.outcome).toBe('alerted');
    const alert = later.published[0];
    expect(alert.count).toBe(4);
    expect(alert.headline).toContain('(4 reveals)');
    expect(alert.whatHappened).toContain(`3 more reveals since ${minutesAfter(0)}`);
    expect(alert.whatHappened).toContain('findings: f1, f2, f3');
    expect(alert.threadId).toBe(reveal.userIdentity.arn);
    // A lone reveal in the new window: alone, it does not repeat the old count.
    const next = await deliverOne(processApiCallBatch, revealAt(200, 'f10'), deps);
    expect(next.published[0].count).toBe(1);
    expect(await deps.store.get(keys.principalReveals(reveal.userIdentity.arn))).toMatchObject({ windowStart: minutesAfter(200), count: 1, alerts: 3 });
  });

  test('different principals have their own windows', async () => {
    const deps = await testDeps();
    await deliverOne(processApiCallBatch, revealAt(0, 'f1'), deps);
    await deliverOne(processApiCallBatch, revealAt(1, 'f1', 'arn:aws:sts::111122223333:assumed-role/Admin/MaryMajor'), deps);
    await deliverOne(processApiCallBatch, revealAt(2, 'f2'), deps);
    expect(deps.publisher.alerts.map((a) => a.threadId)).toEqual([reveal.userIdentity.arn, 'arn:aws:sts::111122223333:assumed-role/Admin/MaryMajor']);
  });

  test('a redelivered reveal is neither counted nor alerted twice', async () => {
    const deps = await testDeps();
    const first = revealAt(0, 'f1');
    const second = revealAt(3, 'f2');
    for (const event of [first, first, second, second]) await deliverOne(processApiCallBatch, event, deps);
    expect(deps.publisher.alerts).toHaveLength(1);
    expect(await deps.store.get(keys.principalReveals(reveal.userIdentity.arn))).toMatchObject({ count: 2, findingIds: ['f1', 'f2'] });
  });
});
