import type { Alert } from '../../lambda/core/alert';
import type { PossibleRepeat } from '../../lambda/delivery/possible-repeat';
import { CHAT_MAX_CHARS, renderChat } from '../../lambda/delivery/render-chat';
import { EMAIL_BODY_MAX_BYTES, EMAIL_SUBJECT_MAX, renderEmailBody, renderEmailSubject } from '../../lambda/delivery/render-email';
import { JSON_MAX_BYTES, renderJson } from '../../lambda/delivery/render-json';
import { SMS_MAX_SEPTETS, renderSms } from '../../lambda/delivery/render-sms';
import { gsm7Length, isGsm7 } from '../../lambda/core/sanitize';
import { buildSnsMessage } from '../../lambda/delivery/sns-message';
import { BATCH_MAX_BYTES, entryBytes } from '../../lambda/delivery/sns-publisher';
import { FORBIDDEN_IN_CHAT, FORBIDDEN_IN_PLAIN } from './hostile-corpus';

/** Control (except the line feed where lines are allowed), format (bidi, zero-width), surrogate and private-use characters. */
const UNSAFE_ONE_LINE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\u2028\u2029]/u;
const UNSAFE_MULTI_LINE = /[\p{Cf}\p{Cs}\p{Co}\u2028\u2029]|(?!\n)\p{Cc}/u;
/** Raw C0/C1 controls and bidi/line separators in serialized JSON (JSON.stringify leaves C1, bidi and U+2028 raw). */
const UNSAFE_IN_JSON_TEXT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]/;

/** Every string in a value; `raw` fields (the JSON form's exact names, for automation) only with `raw`. */
function strings(value: unknown, out: string[] = [], options: { raw?: boolean } = {}): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out, options);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) if (key !== 'raw' || options.raw) strings(v, out, options);
  }
  return out;
}

/**
 * Every way an alert reaches a person or a machine, checked against its channel's rules (as a labelled
 * possible repeat when `repeat` is given). Returns the problems.
 */
export function renderingProblems(alert: Alert, options: { skip?: readonly RegExp[]; repeat?: PossibleRepeat } = {}): string[] {
  const { repeat } = options;
  const keep = (re: RegExp) => !(options.skip ?? []).some((s) => s.source === re.source);
  const forbiddenInChat = FORBIDDEN_IN_CHAT.filter(keep);
  const forbiddenInPlain = FORBIDDEN_IN_PLAIN.filter(keep);
  const problems: string[] = [];
  const where = (what: string) => `${alert.id}: ${what}`;

  const sms = renderSms(alert, repeat);
  if (!isGsm7(sms)) problems.push(where('sms is not GSM-7'));
  if (gsm7Length(sms) > SMS_MAX_SEPTETS) problems.push(where(`sms is ${gsm7Length(sms)} septets`));
  if (UNSAFE_ONE_LINE.test(sms)) problems.push(where('sms has control characters'));

  const subject = renderEmailSubject(alert);
  if (subject.length > EMAIL_SUBJECT_MAX) problems.push(where(`subject is ${subject.length} chars`));
  if (UNSAFE_ONE_LINE.test(subject)) problems.push(where('subject has control or line-break characters'));
  for (const re of forbiddenInPlain) if (re.test(subject)) problems.push(where(`subject matches ${re}`));

  const body = renderEmailBody(alert, repeat);
  if (Buffer.byteLength(body) > EMAIL_BODY_MAX_BYTES) problems.push(where(`email body is ${Buffer.byteLength(body)} bytes`));
  if (UNSAFE_MULTI_LINE.test(body)) problems.push(where('email body has control characters'));
  for (const re of forbiddenInPlain) if (re.test(body)) problems.push(where(`email body matches ${re}`));

  const chat = renderChat(alert, repeat);
  const chatText = JSON.stringify(chat);
  if (chatText.length > CHAT_MAX_CHARS) problems.push(where(`chat is ${chatText.length} chars`));
  for (const s of strings(chat)) {
    if (UNSAFE_MULTI_LINE.test(s)) problems.push(where(`chat string has control characters: ${JSON.stringify(s.slice(0, 80))}`));
  }
  // What the chat client shows (content, summary, resources, context values); the ids (id, threadId,
  // additionalContext.alertId) are identifiers the client does not render as markdown.
  const { alertId: _id, ...shownContext } = chat.metadata.additionalContext;
  const shown = strings([chat.content, chat.metadata.summary, chat.metadata.eventType, chat.metadata.relatedResources, shownContext]);
  for (const s of shown) {
    for (const re of forbiddenInChat) if (re.test(s)) problems.push(where(`chat text matches ${re}: ${JSON.stringify(s.slice(0, 120))}`));
  }

  const json = renderJson(alert, repeat);
  if (Buffer.byteLength(json) > JSON_MAX_BYTES) problems.push(where(`json is ${Buffer.byteLength(json)} bytes`));
  if (UNSAFE_IN_JSON_TEXT.test(json)) problems.push(where('json form has raw control or bidi characters'));
  // Display values are clean; the exact names in `raw` may hold anything, but only as \u escapes in the text.
  for (const s of strings(JSON.parse(json))) if (UNSAFE_MULTI_LINE.test(s)) problems.push(where('json value has control characters'));

  const message = buildSnsMessage(alert, repeat);
  const bytes = entryBytes({ Id: 'x', ...message });
  if (bytes > BATCH_MAX_BYTES) problems.push(where(`SNS message is ${bytes} bytes`));
  if (UNSAFE_IN_JSON_TEXT.test(message.Message) || UNSAFE_ONE_LINE.test(message.Subject)) problems.push(where('SNS message has raw control characters'));
  for (const [name, attr] of Object.entries(message.MessageAttributes)) {
    if (UNSAFE_ONE_LINE.test(attr.StringValue ?? '')) problems.push(where(`attribute ${name} has control characters`));
  }
  return problems;
}
