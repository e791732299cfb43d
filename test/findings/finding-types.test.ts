import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findingTypeInfo, POLICY_FINDING_TYPES, SENSITIVE_DATA_FINDING_TYPES } from '../../lambda/findings/finding-types';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { deliverOne, FIXTURES, findingEvent, fixture, testDeps } from './kit';

const files = readdirSync(join(FIXTURES, 'findings'));
const policyFiles = files.filter((f) => f.startsWith('policy-'));
const sensitiveFiles = files.filter((f) => f.startsWith('sensitive-') && f !== 'sensitive-automated-discovery.json');

describe('every finding type alerts with its own text', () => {
  test('there is one fixture per finding type in the table', () => {
    expect(policyFiles.map((f) => `Policy:IAMUser/${f.slice(7, -5)}`).sort()).toEqual(POLICY_FINDING_TYPES.map((t) => t.type).sort());
    expect(sensitiveFiles.map((f) => `SensitiveData:S3Object/${f.slice(10, -5)}`).sort()).toEqual(SENSITIVE_DATA_FINDING_TYPES.map((t) => t.type).sort());
  });

  test.each(policyFiles)('policy finding %s', async (file) => {
    const deps = await testDeps();
    const event = fixture(`findings/${file}`);
    const report = await deliverOne(processFindingBatch, event, deps);
    expect(report.outcome).toBe('alerted');
    const [alert] = deps.publisher.alerts;
    const info = findingTypeInfo(event.detail.type)!;
    expect(alert).toMatchObject({
      id: `policy:${event.detail.id}:1`,
      category: 'POLICY_FINDING',
      eventType: event.detail.type,
      severity: event.detail.severity.description.toUpperCase(),
      sample: false,
      whatItMeans: info.meaning,
      whatToDo: info.whatToDo,
      threadId: event.detail.id,
    });
    expect(alert.headline).toBe(`Macie policy finding: ${info.short} for bucket ${event.detail.resourcesAffected.s3Bucket.name}`);
    const detail = Object.fromEntries(alert.details.map((d) => [d.label, d.value]));
    expect(detail['API call']).toContain(event.detail.policyDetails.action.apiCallDetails.api);
    expect(detail['Public access (effective)']).toBe(event.detail.resourcesAffected.s3Bucket.publicAccess.effectivePermission);
  });

  test.each(sensitiveFiles)('sensitive-data finding %s', async (file) => {
    const deps = await testDeps();
    const event = fixture(`findings/${file}`);
    const report = await deliverOne(processFindingBatch, event, deps);
    expect(report.outcome).toBe('alerted');
    const [alert] = deps.publisher.alerts;
    const info = findingTypeInfo(event.detail.type)!;
    const { name: bucket } = event.detail.resourcesAffected.s3Bucket;
    const { key } = event.detail.resourcesAffected.s3Object;
    const jobId = event.detail.classificationDetails.jobId;
    expect(alert).toMatchObject({
      id: `sd:${jobId}:UNKNOWN:${bucket}:${event.detail.type}:first`,
      category: 'SENSITIVE_DATA_FINDING',
      eventType: event.detail.type,
      severity: event.detail.severity.description.toUpperCase(),
      job: { id: jobId, runDate: 'UNKNOWN' },
      whatItMeans: info.meaning,
      threadId: jobId,
    });
    expect(alert.headline).toBe(`Macie found ${info.short} in s3://${bucket}/${key}`);
    const detail = Object.fromEntries(alert.details.map((d) => [d.label, d.value]));
    expect(detail['Object key']).toBe(key);
    expect(detail['Data categories']).toBeTruthy();
  });

  test('the custom identifier finding names the identifier and its count', async () => {
    const deps = await testDeps();
    await deliverOne(processFindingBatch, fixture('findings/sensitive-CustomIdentifier.json'), deps);
    const detail = Object.fromEntries(deps.publisher.alerts[0].details.map((d) => [d.label, d.value]));
    expect(detail['Data categories']).toBe('CUSTOM_IDENTIFIER 12');
    expect(detail['Detection types']).toBe('EmployeeId 12');
  });

  test('a finding type Macie adds later still alerts, at least MEDIUM, and says it is unrecognised', async () => {
    const deps = await testDeps();
    const event = findingEvent(fixture('findings/policy-S3BucketEncryptionDisabled.json'), {
      eventId: 'future-type',
      detail: { id: 'future-finding', type: 'Policy:IAMUser/S3BucketSomethingNew', title: 'Something new', severity: { score: 1, description: 'Low' } },
    });
    const report = await deliverOne(processFindingBatch, event, deps);
    expect(report.outcome).toBe('alerted');
    expect(report.published[0].severity).toBe('MEDIUM');
    expect(report.published[0].headline).toContain('unrecognised finding type Policy:IAMUser/S3BucketSomethingNew');
    expect(report.published[0].whatHappened).toContain('does not recognise');
  });

  test('below the minimum severity, or archived: not alerted, no state written', async () => {
    const deps = await testDeps({ minFindingSeverity: 'MEDIUM' });
    const low = await deliverOne(processFindingBatch, fixture('findings/policy-S3BucketEncryptionDisabled.json'), deps);
    const archived = await deliverOne(processFindingBatch, findingEvent(fixture('findings/policy-S3BucketPublic.json'), { detail: { archived: true } }), deps);
    const medium = await deliverOne(processFindingBatch, fixture('findings/policy-S3BucketSharedWithCloudFront.json'), deps);
    expect([low.outcome, archived.outcome, medium.outcome]).toEqual(['below-threshold', 'below-threshold', 'alerted']);
    expect(deps.publisher.alerts.map((a) => a.eventType)).toEqual(['Policy:IAMUser/S3BucketSharedWithCloudFront']);
    expect(deps.store.requests.writes).toBeGreaterThan(0);
    const before = deps.store.requests.writes;
    await deliverOne(processFindingBatch, fixture('findings/policy-S3BucketEncryptionDisabled.json'), deps);
    expect(deps.store.requests.writes).toBe(before);
  });
});
