/**
 * What SNS refuses in Publish or PublishBatch, with the error code it answers (the rules:
 * docs/design-notes.md). The publisher chunks by these; the tests' stand-ins refuse by them.
 */
export const MESSAGE_MAX_BYTES = 256 * 1024;
export const BATCH_MAX_ENTRIES = 10;
export const BATCH_MAX_BYTES = 256 * 1024;
/** "Less than 100 characters". */
export const SUBJECT_MAX_CHARS = 99;

export type SnsRefusalCode =
  | 'InvalidParameter'
  | 'ParameterValueInvalid'
  | 'EmptyBatchRequest'
  | 'TooManyEntriesInBatchRequest'
  | 'InvalidBatchEntryId'
  | 'BatchEntryIdsNotDistinct'
  | 'BatchRequestTooLong';

export interface SnsRefusal {
  readonly code: SnsRefusalCode;
  readonly message: string;
}

export interface SnsAttributeValue {
  readonly DataType?: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Uint8Array;
}

/** The parts of a Publish request, or of one PublishBatch entry, that SNS checks. */
export interface SnsMessageRequest {
  readonly Message?: string;
  readonly Subject?: string;
  readonly MessageStructure?: string;
  readonly MessageAttributes?: Readonly<Record<string, SnsAttributeValue>>;
}

const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const ATTRIBUTE_TYPE = /^(String|Number|Binary|String\.Array)(\.[^\s]+)?$/;
// C0 and C1 control characters, line breaks included.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Bytes SNS counts against MESSAGE_MAX_BYTES: the message and every attribute's name, type and value. */
export function messageBytes(request: SnsMessageRequest): number {
  let bytes = Buffer.byteLength(request.Message ?? '');
  for (const [name, value] of Object.entries(request.MessageAttributes ?? {})) {
    bytes +=
      Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '') + (value.BinaryValue?.byteLength ?? 0);
  }
  return bytes;
}

export function subjectRefusal(subject: string | undefined): SnsRefusal | undefined {
  if (subject === undefined) return undefined;
  if (subject.length === 0 || [...subject].length > SUBJECT_MAX_CHARS || CONTROL.test(subject)) {
    return { code: 'InvalidParameter', message: 'Invalid parameter: Subject' };
  }
  return undefined;
}

/** Why SNS would refuse one message (a Publish, or an entry of a PublishBatch), or undefined. */
export function messageRefusal(request: SnsMessageRequest): SnsRefusal | undefined {
  if (!request.Message) return { code: 'InvalidParameter', message: 'Invalid parameter: Empty message' };
  const subject = subjectRefusal(request.Subject);
  if (subject) return subject;
  if (request.MessageStructure !== undefined) {
    if (request.MessageStructure !== 'json') return { code: 'InvalidParameter', message: 'Invalid parameter: MessageStructure' };
    const structure = jsonStructureRefusal(request.Message);
    if (structure) return structure;
  }
  for (const [name, value] of Object.entries(request.MessageAttributes ?? {})) {
    const attribute = attributeRefusal(name, value);
    if (attribute) return attribute;
  }
  if (messageBytes(request) > MESSAGE_MAX_BYTES) return { code: 'InvalidParameter', message: 'Invalid parameter: Message too long' };
  return undefined;
}

/** Why SNS would refuse a PublishBatch call as a whole, or undefined. */
export function publishBatchRefusal(entries: readonly (SnsMessageRequest & { readonly Id?: string })[]): SnsRefusal | undefined {
  if (entries.length === 0) return { code: 'EmptyBatchRequest', message: 'The batch request does not contain any entries.' };
  if (entries.length > BATCH_MAX_ENTRIES)
    return {
      code: 'TooManyEntriesInBatchRequest',
      message: `The batch request contains more entries than permissible (${entries.length} > ${BATCH_MAX_ENTRIES}).`,
    };
  const ids = new Set<string>();
  for (const entry of entries) {
    if (entry.Id === undefined || !ENTRY_ID.test(entry.Id))
      return {
        code: 'InvalidBatchEntryId',
        message: `The Id of a batch entry in a batch request does not abide by the specification: ${JSON.stringify(entry.Id)}`,
      };
    if (ids.has(entry.Id)) return { code: 'BatchEntryIdsNotDistinct', message: `Two or more batch entries in the request have the same Id: ${entry.Id}` };
    ids.add(entry.Id);
  }
  for (const entry of entries) {
    const refusal = messageRefusal(entry);
    if (refusal) return { code: refusal.code, message: `${refusal.message} (entry ${entry.Id})` };
  }
  const total = entries.reduce((sum, e) => sum + messageBytes(e), 0);
  if (total > BATCH_MAX_BYTES)
    return {
      code: 'BatchRequestTooLong',
      message: `The length of all the messages put together is more than the limit (${total} > ${BATCH_MAX_BYTES} bytes).`,
    };
  return undefined;
}

function jsonStructureRefusal(message: string): SnsRefusal | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return { code: 'InvalidParameter', message: 'Invalid parameter: Message Structure - JSON message body failed to parse' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    return { code: 'InvalidParameter', message: 'Invalid parameter: Message Structure - JSON message body must be an object of strings' };
  }
  if (!('default' in parsed)) return { code: 'InvalidParameter', message: 'Invalid parameter: Message Structure - No default entry in JSON message body' };
  return undefined;
}

function attributeRefusal(name: string, value: SnsAttributeValue): SnsRefusal | undefined {
  const refuse = (why: string): SnsRefusal => ({ code: 'ParameterValueInvalid', message: `The message attribute '${name}' ${why}` });
  if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || /^(aws|amazon)\./i.test(name))
    return refuse('has an invalid name.');
  const type = value.DataType ?? '';
  if (!ATTRIBUTE_TYPE.test(type) || type.length > 256) return refuse(`has an invalid message attribute type '${type}'.`);
  if (type.startsWith('Binary'))
    return value.BinaryValue && value.BinaryValue.byteLength > 0
      ? undefined
      : refuse(`must contain non-empty message attribute value for message attribute type '${type}'.`);
  const text = value.StringValue;
  if (!text) return refuse(`must contain non-empty message attribute value for message attribute type '${type}'.`);
  if (type.startsWith('Number') && !Number.isFinite(Number(text))) return refuse(`has an invalid numeric value '${text}'.`);
  if (type.startsWith('String.Array')) {
    try {
      if (!Array.isArray(JSON.parse(text))) return refuse('must be a JSON array for message attribute type String.Array.');
    } catch {
      return refuse('must be a JSON array for message attribute type String.Array.');
    }
  }
  return undefined;
}
