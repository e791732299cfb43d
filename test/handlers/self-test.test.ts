import { alertFacts } from '../../lambda/delivery/alert-item';
import { deniedActionOf, SELF_TEST_MARKER, selfTestAlert, selfTestRequestOf } from '../../lambda/handlers/self-test';
import { windowEndingAt } from '../../lambda/sweeper/digest';
import { summarizeDigest } from '../../lambda/sweeper/digest-content';
import { selfTestEvent } from '../../src/cli/selftest';
import { controlMessageEvent } from '../support/cloudwatch';
import { cloudTrailEvent, fixture, sqsBatch } from '../findings/kit';
import { testAlert } from '../support/alerts';

/** The self-test's pure parts: telling a self-test from a real event, and reading AWS's refusals. */
const AT = '2024-04-15T09:12:00.000Z';

describe('selfTestRequestOf: the marker, at the handler boundary', () => {
  const real: [string, unknown][] = [
    ['a job log subscription event', controlMessageEvent()],
    ['an SQS batch of findings', sqsBatch([fixture('findings/policy-S3BucketPublic.json')])],
    ['an SQS batch of API calls', sqsBatch([cloudTrailEvent(fixture('api-calls/call-DisableMacie.json'))])],
    ['an SQS batch of AWS Health events', sqsBatch([fixture('health/paused-job-expiring.json')])],
    ['a scheduled event', { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }],
    ['nothing', undefined],
    ['null', null],
  ];
  test.each(real)('a real trigger is never a self-test: %s', (_name, event) => {
    expect(selfTestRequestOf(event)).toBeUndefined();
  });

  test.each(['job-log', 'findings', 'api-calls', 'health', 'sweeper'] as const)('the CLI’s %s event is one, with its request', (fn) => {
    expect(selfTestRequestOf(selfTestEvent(fn, { id: 'st-1', requestedAt: AT, accountId: '111122223333' }))).toEqual({
      id: 'st-1',
      requestedAt: AT,
      accountId: '111122223333',
    });
  });

  test.each([
    ['an id with a space', { id: 'st 1', requestedAt: AT }],
    ['an id of 65 characters', { id: 'x'.repeat(65), requestedAt: AT }],
    ['no time', { id: 'st-1' }],
    ['a time that is not one', { id: 'st-1', requestedAt: 'yesterday' }],
    ['an account that is not one', { id: 'st-1', requestedAt: AT, accountId: 'me' }],
    ['not an object', 'st-1'],
    ['null', null],
  ])('a malformed marker is invalid, not a real event: %s', (_name, marker) => {
    expect(selfTestRequestOf({ [SELF_TEST_MARKER]: marker })).toBe('invalid');
  });
});

describe('deniedActionOf: the action AWS names when it refuses', () => {
  test.each([
    [
      'DynamoDB',
      'AccessDeniedException: User: arn:aws:sts::1:assumed-role/r/f is not authorized to perform: dynamodb:ConditionCheckItem on resource: arn:aws:dynamodb:eu-west-1:1:table/t because no identity-based policy allows the dynamodb:ConditionCheckItem action',
      'dynamodb:ConditionCheckItem',
    ],
    [
      'SNS',
      'PublishBatch failed: AuthorizationErrorException: User: arn:aws:sts::1:assumed-role/r/f is not authorized to perform: SNS:Publish on resource: arn:aws:sns:eu-west-1:1:t',
      'sns:Publish',
    ],
    [
      'KMS, through SNS',
      'PublishBatch failed: KMSAccessDeniedException: User: arn:aws:sts::1:assumed-role/r/f is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-1:1:key/k',
      'kms:GenerateDataKey',
    ],
    ['anything else', 'ConditionalCheckFailedException: The conditional request failed', undefined],
  ])('%s', (_name, reason, action) => {
    expect(deniedActionOf(reason)).toBe(action);
  });
});

test('the daily digest leaves TEST alerts out: they are about the pipeline, not about what Macie did', () => {
  const window = windowEndingAt(new Date('2024-04-16T09:00:00.000Z'));
  const entry = (alert: Parameters<typeof alertFacts>[0]) => ({ createdAt: AT, facts: alertFacts(alert), owner: { pk: 'o', sk: alert.id } });
  const content = summarizeDigest({
    window,
    now: new Date('2024-04-16T09:05:00.000Z'),
    alerts: [
      entry(selfTestAlert('findings', { id: 'st-1', requestedAt: AT }, 'eu-west-1')),
      entry(testAlert('run:job-1:2024-04-15:BUCKET_ACCESS_DENIED:first')),
    ],
    runs: [],
    silences: [],
  });
  expect(content.alerts.total).toBe(1);
  expect(content.alerts.byCategory.TEST).toBeUndefined();
});
