import { decodeSubscriptionEvent, parseJobLogEvent } from '../../lambda/job-log/log-events';
import { classify, JOB_EVENT_TYPES, severityOf } from '../../lambda/job-log/event-types';
import { resolveSettings } from '../../lambda/core/settings';
import { logEvent, logsPayload, subscriptionEvent } from '../support/cloudwatch';
import { SEED_DESCRIPTIONS, SEED_EXAMPLES } from '../fixtures/job-log/streams';

const settings = resolveSettings();

describe('parseJobLogEvent', () => {
  test.each(Object.entries(SEED_EXAMPLES))('accepts the seed example %s verbatim', (_name, example) => {
    const result = parseJobLogEvent(JSON.stringify(example));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event.eventType).toBe(example.eventType);
    expect(result.event.occurredAt).toBe(example.occurredAt);
    expect(result.event.runDate).toBe(example.runDate);
    expect(result.event.affectedAccount).toBe(example.affectedAccount);
    expect(result.event.affectedResource).toEqual(example.affectedResource);
  });

  test('keeps going with unknown extra fields (a future schema) and ignores them', () => {
    const result = parseJobLogEvent(JSON.stringify({ ...SEED_EXAMPLES['bucket-level-bucket-access-denied'], newField: { x: 1 } }));
    expect(result.ok).toBe(true);
    expect(result.ok && 'newField' in result.event).toBe(false);
  });

  test('an unknown event type is not a bad record', () => {
    const result = parseJobLogEvent(JSON.stringify({ ...SEED_EXAMPLES['job-status-scheduled-run-completed'], eventType: 'JOB_TELEPORTED' }));
    expect(result.ok).toBe(true);
  });

  test.each([
    ['not JSON', '{"adminAccountId":', /not JSON/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['a JSON string', '"hello"', /not a JSON object/],
    ['missing jobId', JSON.stringify({ ...SEED_EXAMPLES['job-status-scheduled-run-completed'], jobId: undefined }), /jobId/],
    ['occurredAt not a date', JSON.stringify({ ...SEED_EXAMPLES['job-status-scheduled-run-completed'], occurredAt: 'yesterday' }), /occurredAt/],
    ['runDate a number', JSON.stringify({ ...SEED_EXAMPLES['job-status-scheduled-run-completed'], runDate: 12 }), /runDate/],
    [
      'affectedResource without value',
      JSON.stringify({ ...SEED_EXAMPLES['bucket-level-bucket-access-denied'], affectedResource: { type: 'S3_BUCKET_NAME' } }),
      /affectedResource/,
    ],
    ['an event type with spaces', JSON.stringify({ ...SEED_EXAMPLES['job-status-scheduled-run-completed'], eventType: 'DROP TABLE' }), /eventType/],
  ])('rejects %s with a reason', (_name, message, reason) => {
    const result = parseJobLogEvent(message);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  test('null optional fields count as absent', () => {
    const result = parseJobLogEvent(
      JSON.stringify({ ...SEED_EXAMPLES['job-status-scheduled-run-completed'], affectedAccount: null, affectedResource: null, operation: null }),
    );
    expect(result.ok && result.event.affectedAccount === undefined && result.event.affectedResource === undefined).toBe(true);
  });
});

describe('decodeSubscriptionEvent', () => {
  test('decodes a real gzip+base64 subscription event', () => {
    const payload = logsPayload([logEvent(SEED_EXAMPLES['bucket-level-bucket-access-denied'])]);
    const decoded = decodeSubscriptionEvent(subscriptionEvent(payload));
    expect(decoded.ok && decoded.payload).toEqual(payload);
  });

  test('reports a payload that is not gzip, with the first KB of the raw data', () => {
    const data = Buffer.from('x'.repeat(5000)).toString('base64');
    const decoded = decodeSubscriptionEvent({ awslogs: { data } });
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.rawSample).toBe(data.slice(0, 1024));
  });
});

describe('classification table', () => {
  const byCategory = (c: string) =>
    Object.entries(JOB_EVENT_TYPES)
      .filter(([, i]) => i.category === c)
      .map(([t]) => t)
      .sort();

  test('covers every event type of the seed: 12 status, 7 account-level, 5 bucket-level', () => {
    expect(Object.keys(JOB_EVENT_TYPES).sort()).toEqual(Object.keys(SEED_DESCRIPTIONS).sort());
    expect(byCategory('JOB_STATUS')).toHaveLength(12);
    expect(byCategory('ACCOUNT_ERROR')).toEqual(
      Object.keys(SEED_DESCRIPTIONS)
        .filter((t) => t.startsWith('ACCOUNT_'))
        .sort(),
    );
    expect(byCategory('BUCKET_ERROR')).toHaveLength(5);
  });

  test('BUCKET_MATCHED_THE_CRITERIA is progress, not a bucket error', () => {
    const c = classify('BUCKET_MATCHED_THE_CRITERIA');
    expect(c.category).toBe('JOB_STATUS');
    expect(c.alertsAtOnce).toBe(false);
  });

  test.each([
    ['ACCOUNT_ACCESS_DENIED', 'HIGH'],
    ['ACCOUNT_SUSPENDED', 'HIGH'],
    ['ACCOUNT_DISASSOCIATED', 'HIGH'],
    ['ACCOUNT_DISABLED', 'MEDIUM'],
    ['ACCOUNT_ISOLATED', 'MEDIUM'],
    ['ACCOUNT_REGION_DISABLED', 'MEDIUM'],
    ['ACCOUNT_TERMINATED', 'MEDIUM'],
    ['BUCKET_ACCESS_DENIED', 'HIGH'],
    ['BUCKET_OWNER_CHANGED', 'HIGH'],
    ['BUCKET_IN_DIFFERENT_REGION', 'MEDIUM'],
    ['BUCKET_DETAILS_UNAVAILABLE', 'LOW'],
    ['BUCKET_DOES_NOT_EXIST', 'LOW'],
    ['NO_BUCKETS_MATCHED_THE_CRITERIA', 'MEDIUM'],
    ['JOB_PAUSED_BY_USER', 'LOW'],
    ['JOB_RESUMED_BY_USER', 'LOW'],
    ['JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', 'HIGH'],
    ['JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED', 'LOW'],
    ['JOB_CANCELLED', 'HIGH'],
    ['JOB_CREATED', 'INFO'],
    ['ONE_TIME_JOB_STARTED', 'INFO'],
    ['SCHEDULED_RUN_STARTED', 'INFO'],
    ['BUCKET_MATCHED_THE_CRITERIA', 'INFO'],
  ])('%s defaults to %s (spec table)', (type, severity) => {
    expect(severityOf(type, settings)).toBe(severity);
  });

  test('unknown types are MEDIUM, category UNKNOWN_EVENT, alerting', () => {
    const c = classify('JOB_TELEPORTED');
    expect([severityOf('JOB_TELEPORTED', settings), c.alertCategory, c.alertsAtOnce, c.known]).toEqual(['MEDIUM', 'UNKNOWN_EVENT', true, false]);
  });

  test('severity overrides replace the default per type', () => {
    const s = resolveSettings({ severityOverrides: 'BUCKET_DOES_NOT_EXIST=HIGH' });
    expect(severityOf('BUCKET_DOES_NOT_EXIST', s)).toBe('HIGH');
    expect(severityOf('BUCKET_DETAILS_UNAVAILABLE', s)).toBe('LOW');
  });

  test('every row says what it means and what to do', () => {
    for (const info of Object.values(JOB_EVENT_TYPES)) {
      expect(info.meaning.length).toBeGreaterThan(20);
      expect(info.whatToDo.length).toBeGreaterThan(5);
    }
  });
});
