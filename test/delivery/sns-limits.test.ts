import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { buildSnsMessage } from '../../lambda/delivery/sns-message';
import { messageRefusal, publishBatchRefusal, type SnsMessageRequest, type SnsRefusalCode } from '../../lambda/delivery/sns-limits';
import { PUBLISHED_ALERTS } from '../golden/published-alerts';
import { EDGE_CASES } from '../support/alert-catalogue';
import { mockClient } from '../support/aws-mock';
import { RecordingSnsEndpoint } from '../support/sns-endpoint';
import { testAlert } from '../support/alerts';

const valid: SnsMessageRequest = {
  Message: JSON.stringify({ default: 'text', email: 'body' }),
  MessageStructure: 'json',
  Subject: '[HIGH] Macie job My_Job: bucket access denied',
  MessageAttributes: { severityScore: { DataType: 'Number', StringValue: '3' }, category: { DataType: 'String', StringValue: 'BUCKET_ERROR' } },
};
const entry = (id: string, changes: Partial<SnsMessageRequest> = {}) => ({ Id: id, ...valid, ...changes });
const KB = 1024;

describe('messageRefusal: what SNS refuses in one message', () => {
  const cases: [string, Partial<SnsMessageRequest>, SnsRefusalCode | undefined][] = [
    ['a valid message', {}, undefined],
    ['no subject', { Subject: undefined }, undefined],
    ['an empty message', { Message: '' }, 'InvalidParameter'],
    ['a subject of 99 characters', { Subject: 'x'.repeat(99) }, undefined],
    ['a subject of 100 characters', { Subject: 'x'.repeat(100) }, 'InvalidParameter'],
    ['an empty subject', { Subject: '' }, 'InvalidParameter'],
    ['a subject with a line break', { Subject: 'two\nlines' }, 'InvalidParameter'],
    ['a subject with a control character', { Subject: 'bell\u0007' }, 'InvalidParameter'],
    ['a subject with a C1 control character', { Subject: 'next\u0085line' }, 'InvalidParameter'],
    ['JSON structure without default', { Message: JSON.stringify({ email: 'body' }) }, 'InvalidParameter'],
    ['JSON structure that is not JSON', { Message: '{"default":' }, 'InvalidParameter'],
    ['JSON structure with a non-string value', { Message: JSON.stringify({ default: 'x', sms: 1 }) }, 'InvalidParameter'],
    ['a structure other than json', { MessageStructure: 'xml' }, 'InvalidParameter'],
    ['a plain message', { MessageStructure: undefined, Message: 'plain text' }, undefined],
    [
      'a message of exactly 256 KB with its attributes',
      {
        MessageStructure: undefined,
        Message: 'x'.repeat(256 * KB - 46),
        MessageAttributes: { severityScore: { DataType: 'Number', StringValue: '3' }, category: { DataType: 'String', StringValue: 'BUCKET_ERROR' } },
      },
      undefined,
    ],
    ['one byte more', { MessageStructure: undefined, Message: 'x'.repeat(256 * KB - 45) }, 'InvalidParameter'],
    ['an empty attribute value', { MessageAttributes: { jobId: { DataType: 'String', StringValue: '' } } }, 'ParameterValueInvalid'],
    [
      'a Number attribute that is not a number',
      { MessageAttributes: { severityScore: { DataType: 'Number', StringValue: 'three' } } },
      'ParameterValueInvalid',
    ],
    ['an unknown attribute type', { MessageAttributes: { a: { DataType: 'Text', StringValue: 'x' } } }, 'ParameterValueInvalid'],
    ['a custom type suffix', { MessageAttributes: { a: { DataType: 'String.alertId', StringValue: 'x' } } }, undefined],
    ['a reserved attribute name', { MessageAttributes: { 'AWS.category': { DataType: 'String', StringValue: 'x' } } }, 'ParameterValueInvalid'],
    ['an attribute name with a space', { MessageAttributes: { 'job id': { DataType: 'String', StringValue: 'x' } } }, 'ParameterValueInvalid'],
    ['an attribute name with two periods', { MessageAttributes: { 'a..b': { DataType: 'String', StringValue: 'x' } } }, 'ParameterValueInvalid'],
    ['a String.Array that is not an array', { MessageAttributes: { a: { DataType: 'String.Array', StringValue: '"x"' } } }, 'ParameterValueInvalid'],
  ];
  test.each(cases)('%s', (_name, changes, code) => {
    expect(messageRefusal({ ...valid, ...changes })?.code).toBe(code);
  });
});

describe('publishBatchRefusal: what SNS refuses in a PublishBatch call', () => {
  const big = (id: string) => entry(id, { MessageStructure: undefined, Message: 'x'.repeat(30 * KB) });
  const cases: [string, ReturnType<typeof entry>[], SnsRefusalCode | undefined][] = [
    ['one entry', [entry('a')], undefined],
    ['ten entries', Array.from({ length: 10 }, (_, i) => entry(`e${i}`)), undefined],
    ['no entry', [], 'EmptyBatchRequest'],
    ['eleven entries', Array.from({ length: 11 }, (_, i) => entry(`e${i}`)), 'TooManyEntriesInBatchRequest'],
    ['two entries with one id', [entry('a'), entry('a')], 'BatchEntryIdsNotDistinct'],
    ['an id with a colon', [entry('run:job-1')], 'InvalidBatchEntryId'],
    ['an id of 81 characters', [entry('x'.repeat(81))], 'InvalidBatchEntryId'],
    ['an entry SNS refuses', [entry('a'), entry('b', { Subject: 'x'.repeat(120) })], 'InvalidParameter'],
    ['eight entries of 30 KB', Array.from({ length: 8 }, (_, i) => big(`e${i}`)), undefined],
    ['nine entries of 30 KB (over 256 KB in all)', Array.from({ length: 9 }, (_, i) => big(`e${i}`)), 'BatchRequestTooLong'],
  ];
  test.each(cases)('%s', (_name, entries, code) => {
    expect(publishBatchRefusal(entries)?.code).toBe(code);
  });
});

describe('every alert the pipelines can raise is one SNS accepts', () => {
  test.each([...PUBLISHED_ALERTS, ...EDGE_CASES].map((c) => [c.name, c] as const))('%s', (_name, { alert }) => {
    expect(messageRefusal(buildSnsMessage(alert))).toBeUndefined();
    expect(messageRefusal(buildSnsMessage(alert, { interruptedAt: '2024-04-14T17:20:00.000Z' }))).toBeUndefined();
  });
});

describe('the SNS stand-ins refuse what SNS refuses, with its error', () => {
  const client = (endpoint?: string) =>
    new SNSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1, ...(endpoint ? { endpoint } : {}) });
  const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';
  const tooLongSubject = { ...buildSnsMessage(testAlert('a')), Id: 'a', Subject: `[HIGH] ${'x'.repeat(100)}` };

  test('the recording endpoint answers 400 InvalidParameter and takes nothing', async () => {
    const sns = await RecordingSnsEndpoint.start();
    try {
      const error = await client(sns.url)
        .send(new PublishBatchCommand({ TopicArn: TOPIC, PublishBatchRequestEntries: [tooLongSubject] }))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } });
      expect(sns.taken).toEqual([]);
      expect(sns.refused.map((r) => r.code)).toEqual(['InvalidParameter']);
    } finally {
      await sns.close();
    }
  });

  test('the recording endpoint refuses eleven entries, and repeated ids, with the batch errors', async () => {
    const sns = await RecordingSnsEndpoint.start();
    try {
      const entries = Array.from({ length: 11 }, (_, i) => ({ ...buildSnsMessage(testAlert(`a${i}`)), Id: `a${i}` }));
      const tooMany = await client(sns.url)
        .send(new PublishBatchCommand({ TopicArn: TOPIC, PublishBatchRequestEntries: entries }))
        .catch((e: unknown) => e);
      const sameId = await client(sns.url)
        .send(new PublishBatchCommand({ TopicArn: TOPIC, PublishBatchRequestEntries: [entries[0], entries[0]] }))
        .catch((e: unknown) => e);
      expect([(tooMany as Error).name, (sameId as Error).name]).toEqual(['TooManyEntriesInBatchRequestException', 'BatchEntryIdsNotDistinctException']);
      expect(sns.taken).toEqual([]);
    } finally {
      await sns.close();
    }
  });

  test('the client mock refuses it too, whatever the test told it to answer', async () => {
    const sns = mockClient(SNSClient);
    try {
      sns.on(PublishBatchCommand).resolves({ Successful: [{ Id: 'a', MessageId: 'm' }], Failed: [] });
      const error = await client()
        .send(new PublishBatchCommand({ TopicArn: TOPIC, PublishBatchRequestEntries: [tooLongSubject] }))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } });
      // After a reset the mock is as strict as before.
      sns.reset();
      sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
      const empty = await client()
        .send(new PublishBatchCommand({ TopicArn: TOPIC, PublishBatchRequestEntries: [] }))
        .catch((e: unknown) => e);
      expect((empty as Error).name).toBe('EmptyBatchRequestException');
      const fine = await client().send(
        new PublishBatchCommand({ TopicArn: TOPIC, PublishBatchRequestEntries: [{ ...buildSnsMessage(testAlert('b')), Id: 'b' }] }),
      );
      expect(fine.Failed).toEqual([]);
    } finally {
      sns.restore();
    }
  });
});
