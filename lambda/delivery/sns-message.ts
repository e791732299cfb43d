import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import type { Alert } from '../core/alert';
import { renderChat } from './render-chat';
import { renderEmailBody, renderEmailSubject } from './render-email';
import { renderJson } from './render-json';
import { renderSms } from './render-sms';
import { POSSIBLE_DUPLICATE_ATTRIBUTE, type PossibleRepeat } from './possible-repeat';
import { cleanLine } from '../core/sanitize';
import { severityScore } from '../core/severity';
import { SMS_ATTRIBUTE, SMS_UNBUDGETED, type SmsRoute } from './sms-budget';

/** What one alert becomes on the topic: one Publish / PublishBatch entry with a message per protocol. */
export interface SnsAlertMessage {
  Message: string;
  MessageStructure: 'json';
  Subject: string;
  MessageAttributes: Record<string, MessageAttributeValue>;
}

/** The per-protocol bodies inside Message (MessageStructure 'json'; `default` is required by SNS). */
export interface SnsProtocolMessages {
  default: string;
  email: string;
  'email-json': string;
  sms: string;
  https: string;
  sqs: string;
  lambda: string;
}

/**
 * One alert -> one SNS message. Machines (default, sqs, lambda, email-json) get the JSON form, people get the
 * email and SMS forms, and https subscribers (Amazon Q Developer in chat applications) get the custom
 * notification. The attributes are what subscription filter policies match on. A copy that may repeat an
 * earlier one (`repeat`) says so in every form and in the `possibleDuplicate` attribute.
 */
export function buildSnsMessage(alert: Alert, repeat?: PossibleRepeat, sms?: SmsRoute): SnsAlertMessage {
  const json = renderJson(alert, repeat);
  const messages: SnsProtocolMessages = {
    default: json,
    email: renderEmailBody(alert, repeat),
    'email-json': json,
    sms: renderSms(alert, repeat),
    https: JSON.stringify(renderChat(alert, repeat)),
    sqs: json,
    lambda: json,
  };
  return {
    Message: JSON.stringify(messages),
    MessageStructure: 'json',
    Subject: renderEmailSubject(alert),
    MessageAttributes: messageAttributes(alert, repeat, sms),
  };
}

/**
 * Attribute values must be non-empty; ids come from events, so they are cleaned too (a filter policy compares
 * them exactly, and a control character in an attribute would be rejected by SNS).
 */
export function messageAttributes(alert: Alert, repeat?: PossibleRepeat, sms: SmsRoute = SMS_UNBUDGETED): Record<string, MessageAttributeValue> {
  const str = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
  const attributes: Record<string, MessageAttributeValue> = {
    severity: str(alert.severity),
    severityScore: { DataType: 'Number', StringValue: String(severityScore(alert.severity)) },
    category: str(alert.category),
    eventType: str(cleanLine(alert.eventType, 256) || 'UNKNOWN'),
    accountId: str(cleanLine(alert.accountId, 64) || 'unknown'),
    sample: str(alert.sample ? 'true' : 'false'),
    alertId: str(cleanLine(alert.id, 512) || 'unknown'),
    // Who may get it by SMS (sms-budget.ts): every subscription's filter policy names the values it takes.
    [SMS_ATTRIBUTE]: str(sms),
  };
  const jobId = alert.job ? cleanLine(alert.job.id, 256) : '';
  if (jobId) attributes.jobId = str(jobId);
  // Only on labelled copies: a consumer that sees it may already hold an alert with the same alertId.
  if (repeat) attributes[POSSIBLE_DUPLICATE_ATTRIBUTE] = str('true');
  return attributes;
}
