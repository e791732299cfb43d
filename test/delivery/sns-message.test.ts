import { renderChat } from '../../lambda/delivery/render-chat';
import { renderEmailBody, renderEmailSubject } from '../../lambda/delivery/render-email';
import { renderJson } from '../../lambda/delivery/render-json';
import { renderSms } from '../../lambda/delivery/render-sms';
import { buildSnsMessage } from '../../lambda/delivery/sns-message';
import { PUBLISHED_ALERTS, publishedAlert } from '../golden/published-alerts';
import { EDGE_CASES, sampleSensitiveData } from '../support/alert-catalogue';

const runSummary = publishedAlert('JOB_RUN_SUMMARY', 'JOB_COMPLETED');
const silenceMade = publishedAlert('PIPELINE', 'SILENCE_MADE');

describe('buildSnsMessage', () => {
  it('carries the exact filter attributes of a job alert', () => {
    expect(buildSnsMessage(runSummary).MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'HIGH' },
      severityScore: { DataType: 'Number', StringValue: '3' },
      category: { DataType: 'String', StringValue: 'JOB_RUN_SUMMARY' },
      eventType: { DataType: 'String', StringValue: 'JOB_COMPLETED' },
      accountId: { DataType: 'String', StringValue: '123456789012' },
      jobId: { DataType: 'String', StringValue: '85a55dc0fa6ed0be5939d0408example' },
      sample: { DataType: 'String', StringValue: 'false' },
      alertId: { DataType: 'String', StringValue: 'run:85a55dc0fa6ed0be5939d0408example:2024-04-14T17:00:00.000Z:summary' },
      sms: { DataType: 'String', StringValue: 'true' },
    });
  });

  it('carries the SMS budget\'s decision in the sms attribute, "true" when nothing decided', () => {
    expect(buildSnsMessage(runSummary, undefined, 'false').MessageAttributes.sms).toEqual({ DataType: 'String', StringValue: 'false' });
    expect(buildSnsMessage(runSummary, undefined, 'notice').MessageAttributes.sms).toEqual({ DataType: 'String', StringValue: 'notice' });
    // With the possible-repeat label too: 10 attributes, SNS's most.
    expect(Object.keys(buildSnsMessage(runSummary, { interruptedAt: '2024-04-14T17:00:00.000Z' }, 'false').MessageAttributes)).toHaveLength(10);
  });

  it('has no jobId when there is no job, and sample "true" for sample findings', () => {
    const attributes = buildSnsMessage(sampleSensitiveData).MessageAttributes;
    expect(attributes.jobId).toBeUndefined();
    expect(attributes.sample).toEqual({ DataType: 'String', StringValue: 'true' });
    expect(attributes.severityScore).toEqual({ DataType: 'Number', StringValue: '2' });
    expect(buildSnsMessage({ ...silenceMade, severity: 'LOW' }).MessageAttributes.severityScore).toEqual({ DataType: 'Number', StringValue: '1' });
    expect(buildSnsMessage(silenceMade).MessageAttributes.severityScore).toEqual({ DataType: 'Number', StringValue: '0' });
  });

  it('puts each rendering under its protocol key, with MessageStructure json', () => {
    const message = buildSnsMessage(runSummary);
    expect(message.MessageStructure).toBe('json');
    expect(message.Subject).toBe(renderEmailSubject(runSummary));
    const byProtocol = JSON.parse(message.Message);
    expect(Object.keys(byProtocol).sort()).toEqual(['default', 'email', 'email-json', 'https', 'lambda', 'sms', 'sqs']);
    expect(byProtocol.default).toBe(renderJson(runSummary));
    expect(byProtocol.sqs).toBe(byProtocol.default);
    expect(byProtocol.lambda).toBe(byProtocol.default);
    expect(byProtocol['email-json']).toBe(byProtocol.default);
    expect(byProtocol.email).toBe(renderEmailBody(runSummary));
    expect(byProtocol.sms).toBe(renderSms(runSummary));
    expect(JSON.parse(byProtocol.https)).toEqual(renderChat(runSummary));
  });

  it.each([...PUBLISHED_ALERTS, ...EDGE_CASES].map(({ name, alert }) => [name, alert] as const))(
    '%s fits one SNS message (256 KB) with valid attributes',
    (_n, alert) => {
      const message = buildSnsMessage(alert);
      const attributeBytes = Object.entries(message.MessageAttributes).reduce(
        (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v.DataType!) + Buffer.byteLength(v.StringValue!),
        0,
      );
      expect(Buffer.byteLength(message.Message) + Buffer.byteLength(message.Subject) + attributeBytes).toBeLessThanOrEqual(256 * 1024);
      for (const value of Object.values(message.MessageAttributes)) {
        expect(value.StringValue!.length).toBeGreaterThan(0);
        expect(value.StringValue).not.toMatch(/[\p{Cc}\p{Cf}]/u);
      }
    },
  );
});
