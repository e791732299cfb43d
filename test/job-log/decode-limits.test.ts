import { gzipSync } from 'node:zlib';
import { decodeSubscriptionEvent, MAX_DECODED_BYTES } from '../../lambda/job-log/log-events';
import { SEED_EXAMPLES } from '../fixtures/job-log/streams';
import { logEvent, logsPayload, subscriptionEvent } from '../support/cloudwatch';

/**
 * The subscription envelope is decoded by hand (base64 -> gunzip -> JSON -> schema) instead of Powertools'
 * CloudWatchLogsSchema: these tests pin what that decoding must still do, and the gzip-bomb cap it adds.
 */
const gz = (text: string) => ({ awslogs: { data: gzipSync(Buffer.from(text, 'utf8')).toString('base64') } });

describe('decodeSubscriptionEvent limits and reasons', () => {
  test('a gzip bomb (a few KB inflating past the cap) is refused without inflating it whole', () => {
    const bomb = gzipSync(Buffer.alloc(MAX_DECODED_BYTES + 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const data = bomb.toString('base64');
    const decoded = decodeSubscriptionEvent({ awslogs: { data } });
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.reason).toContain(`more than ${MAX_DECODED_BYTES} bytes`);
    expect(decoded.rawSample).toBe(data.slice(0, 1024));
  });

  test('a payload well above what CloudWatch sends (~1 MB) but under the cap still decodes', () => {
    const big = 'x'.repeat(60 * 1024);
    const events = Array.from({ length: 40 }, (_, i) => logEvent({ ...SEED_EXAMPLES['bucket-level-bucket-access-denied'], description: big }, { id: `e${i}` }));
    const payload = logsPayload(events);
    expect(JSON.stringify(payload).length).toBeGreaterThan(2 * 1024 * 1024);
    const decoded = decodeSubscriptionEvent(subscriptionEvent(payload));
    expect(decoded.ok && decoded.payload.logEvents).toHaveLength(40);
  });

  test.each([
    ['not base64', { awslogs: { data: '!!!not base64@@@' } }, /awslogs\.data: .*base64/],
    ['base64 of plain text, not gzip', { awslogs: { data: Buffer.from('{"a":1}').toString('base64') } }, /awslogs\.data: Failed to decompress/],
    ['gzip of non-JSON', gz('not json'), /awslogs\.data: .*not JSON/],
    ['gzip of JSON of the wrong shape', gz('{"logEvents":"nope"}'), /awslogs\.data\.messageType: .*expected string/],
    ['no log events', subscriptionEvent(logsPayload([])), /awslogs\.data\.logEvents: Too small/],
    ['no awslogs at all', { records: [] }, /awslogs: .*expected object/],
  ])('%s: ok false, a reason naming where it broke, and a raw sample', (_name, event, reason) => {
    const decoded = decodeSubscriptionEvent(event as never);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.reason).toMatch(reason);
    expect(decoded.rawSample.length).toBeGreaterThan(0);
  });

  test('keys CloudWatch does not document are dropped from the decoded payload, as before', () => {
    const payload = logsPayload([logEvent(SEED_EXAMPLES['bucket-level-bucket-access-denied'])]);
    const decoded = decodeSubscriptionEvent(gz(JSON.stringify({ ...payload, injected: { x: 1 } })));
    expect(decoded.ok && decoded.payload).toEqual(payload);
  });
});
