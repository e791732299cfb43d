import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { clone, cloudTrailEvent, deliverOne, fixture, testDeps } from '../findings/kit';

const reveal = fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json');
const listFindings = fixture('api-calls/seed-cloudtrail-list-findings.json');
const assumeRole = fixture('api-calls/seed-cloudtrail-assume-role-for-reveal.json');

describe('seed CloudTrail records (verbatim AWS examples)', () => {
  test('GetSensitiveDataOccurrences alerts HIGH: who, from where, which finding, links', async () => {
    const deps = await testDeps();
    const report = await deliverOne(processApiCallBatch, cloudTrailEvent(reveal), deps);
    expect(report.outcome).toBe('alerted');
    const [alert] = report.published;
    expect(alert).toMatchObject({
      id: 'api:baf52d92-f9c3-431a-bfe8-71c81example',
      severity: 'HIGH',
      category: 'API_CALL',
      eventType: 'GetSensitiveDataOccurrences',
      accountId: '111122223333',
      region: 'us-east-1',
      findingId: '3ad9d8cd61c5c390bede45cd2example',
      threadId: 'arn:aws:sts::111122223333:assumed-role/Admin/JohnDoe',
      count: 1,
    });
    expect(alert.headline).toBe('assumed-role/Admin/JohnDoe revealed sensitive data samples in 111122223333 (us-east-1)');
    const detail = Object.fromEntries(alert.details.map((d) => [d.label, d.value]));
    expect(detail).toMatchObject({
      Principal: 'arn:aws:sts::111122223333:assumed-role/Admin/JohnDoe',
      'Principal type': 'AssumedRole',
      'Session issuer': 'arn:aws:iam::111122223333:role/Admin',
      'Source IP': '198.51.100.252',
      Result: 'succeeded',
    });
    expect(detail['User agent']).toContain('Mozilla/5.0');
    const urls = alert.links.map((l) => l.url);
    expect(urls.some((u) => u.includes('#/findings?search=id%3D3ad9d8cd61c5c390bede45cd2example'))).toBe(true);
    expect(urls.some((u) => u.includes('cloudtrail/home?region=us-east-1#/events/baf52d92-f9c3-431a-bfe8-71c81example'))).toBe(true);
  });

  test('ListFindings is ignored and counted', async () => {
    const deps = await testDeps();
    const report = await deliverOne(processApiCallBatch, cloudTrailEvent(listFindings), deps);
    expect(report.outcome).toBe('ignored');
    expect(deps.publisher.alerts).toHaveLength(0);
    expect(deps.telemetry.counters.EventsIgnored).toBe(1);
  });

  test('the STS AssumeRole behind a reveal is not a Macie call: ignored', async () => {
    const deps = await testDeps();
    const report = await deliverOne(processApiCallBatch, cloudTrailEvent(assumeRole), deps);
    expect(report.outcome).toBe('ignored');
    expect(report.reason).toContain('sts.amazonaws.com');
  });

  test('a denied reveal is one level lower (MEDIUM) and says it was denied', async () => {
    const deps = await testDeps();
    const denied = clone(reveal);
    denied.errorCode = 'AccessDenied';
    denied.errorMessage = 'User is not authorized to perform: macie2:GetSensitiveDataOccurrences';
    const report = await deliverOne(processApiCallBatch, cloudTrailEvent(denied), deps);
    expect(report.outcome).toBe('alerted');
    expect(report.published[0].severity).toBe('MEDIUM');
    expect(report.published[0].headline).toMatch(/^Denied: /);
    expect(report.published[0].whatHappened).toContain('denied (AccessDenied: User is not authorized');
  });
});
