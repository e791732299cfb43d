import { processFindingBatch } from '../../lambda/findings/pipeline';
import { keys } from '../../lambda/state/table';
import { deliverOne, findingEvent, fixture, testDeps } from './kit';

const policySeed = fixture('findings/seed-policy-block-public-access-disabled.json');
const sensitiveSeed = fixture('findings/seed-sensitive-data-multiple.json');

describe('seed findings (verbatim AWS examples)', () => {
  test('the policy finding seed alerts once, labelled SAMPLE, with actor, API call, IP and bucket state', async () => {
    const deps = await testDeps();
    const report = await deliverOne(processFindingBatch, policySeed, deps);
    expect(report.outcome).toBe('alerted');
    expect(report.published).toHaveLength(1);
    const alert = report.published[0];
    expect(alert).toMatchObject({
      id: 'policy:64b917aa-3843-014c-91d8-937ffexample:2',
      severity: 'HIGH',
      category: 'POLICY_FINDING',
      eventType: 'Policy:IAMUser/S3BlockPublicAccessDisabled',
      accountId: '123456789012',
      sample: true,
      threadId: '64b917aa-3843-014c-91d8-937ffexample',
      findingId: '64b917aa-3843-014c-91d8-937ffexample',
    });
    expect(alert.headline).toBe('Macie policy finding (occurred 2 times): block public access disabled for bucket DOC-EXAMPLE-BUCKET1');
    const detail = Object.fromEntries(alert.details.map((d) => [d.label, d.value]));
    expect(detail).toMatchObject({
      'Actor type': 'AssumedRole',
      Actor: 'arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName',
      'Session issuer': 'arn:aws:iam::123456789012:role/RoleToBeAssumed',
      'API call': 'PutBucketPublicAccessBlock (s3.amazonaws.com)',
      'Source IP': '192.0.2.0',
      'IP location': 'Ashburn, United States',
      'IP owner (ISP / org)': 'ExampleFindingISP / ExampleFindingORG',
      'Public access (effective)': 'NOT_PUBLIC',
      'Block public access (bucket)': 'all off',
      'Block public access (account)': 'all on',
      'Bucket owner': 'johndoe (7009a8971cd538e11f6b6606438875e7c86c5b672f46db45460ddcd08example)',
    });
    expect(detail['Default encryption']).toContain('aws:kms');
    expect(alert.links.map((l) => l.url).join(' ')).toContain('findings?search=id%3D64b917aa-3843-014c-91d8-937ffexample');
    // The rendered SNS message carries the sample attribute.
    expect(deps.publisher.records[0].message.MessageAttributes.sample.StringValue).toBe('true');
  });

  test('the sensitive-data finding seed alerts with object, size and data found, and is counted on its group', async () => {
    const deps = await testDeps();
    const report = await deliverOne(processFindingBatch, sensitiveSeed, deps);
    expect(report.outcome).toBe('alerted');
    const alert = report.published[0];
    expect(alert).toMatchObject({ severity: 'HIGH', category: 'SENSITIVE_DATA_FINDING', sample: true, count: 1 });
    expect(alert.headline).toBe('Macie found several kinds of sensitive data in s3://DOC-EXAMPLE-BUCKET2/2022 Sourcing.csv');
    const detail = Object.fromEntries(alert.details.map((d) => [d.label, d.value]));
    expect(detail['Data categories']).toBe('PERSONAL_INFORMATION 65, FINANCIAL_INFORMATION 30');
    expect(detail['Detection types']).toBe('USA_SOCIAL_SECURITY_NUMBER 30, NAME 35, CREDIT_CARD_NUMBER 30');
    expect(detail['Object size']).toBe('4.6 KB (4,750 bytes)');
    expect(detail['Unencrypted uploads allowed']).toBe('TRUE');
    expect(alert.affected).toEqual([
      { kind: 'bucket', items: ['DOC-EXAMPLE-BUCKET2'], total: 1 },
      { kind: 'object', items: ['2022 Sourcing.csv'], total: 1 },
    ]);
  });

  test('the same EventBridge event delivered twice alerts once', async () => {
    const deps = await testDeps();
    const first = await deliverOne(processFindingBatch, sensitiveSeed, deps);
    const second = await deliverOne(processFindingBatch, sensitiveSeed, deps);
    expect(first.outcome).toBe('alerted');
    expect(second.outcome).toBe('duplicate');
    expect(deps.publisher.alerts).toHaveLength(1);
    expect(deps.telemetry.counters.EventsDuplicate).toBe(1);
    const real = await testDeps();
    const policyTwice = [await deliverOne(processFindingBatch, policySeed, real), await deliverOne(processFindingBatch, policySeed, real)];
    expect(policyTwice.map((r) => r.outcome)).toEqual(['alerted', 'duplicate']);
    expect(real.publisher.alerts).toHaveLength(1);
    expect(await real.store.get(keys.policyFinding('64b917aa-3843-014c-91d8-937ffexample'))).toMatchObject({ lastCount: 2, alerts: 1 });
  });

  test('a real (non-sample) finding is not labelled SAMPLE', async () => {
    const deps = await testDeps();
    const report = await deliverOne(processFindingBatch, findingEvent(sensitiveSeed, { detail: { sample: false } }), deps);
    expect(report.published[0].sample).toBe(false);
    expect(report.published[0].headline).not.toContain('SAMPLE');
    expect(deps.publisher.records[0].message.MessageAttributes.sample.StringValue).toBe('false');
  });
});
