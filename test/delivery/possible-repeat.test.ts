import type { Alert } from '../../lambda/core/alert';
import { gsm7Length } from '../../lambda/core/sanitize';
import { possibleRepeatLine, possibleRepeatSms } from '../../lambda/delivery/possible-repeat';
import { renderChat } from '../../lambda/delivery/render-chat';
import { renderEmailBody, renderEmailSubject } from '../../lambda/delivery/render-email';
import { renderJson } from '../../lambda/delivery/render-json';
import { SMS_MAX_SEPTETS, renderSms } from '../../lambda/delivery/render-sms';
import { buildSnsMessage } from '../../lambda/delivery/sns-message';
import { PUBLISHED_ALERTS, publishedAlert } from '../golden/published-alerts';
import { EDGE_CASES } from '../support/alert-catalogue';
import { testAlert } from '../support/alerts';
import { renderingProblems } from '../reliability/render-checks';

const repeat = { interruptedAt: '2024-04-14T18:00:03.512Z' };
const cases = [...PUBLISHED_ALERTS, ...EDGE_CASES].map(({ name, alert }) => [name, alert] as [string, Alert]);

test('the line says when delivery was interrupted, that the alert may have arrived already, and under which id to match it', () => {
  expect(possibleRepeatLine(repeat)).toBe(
    'Possible repeat: delivery of this alert was interrupted at 2024-04-14T18:00:03Z; it may have arrived already, with the same alert id.',
  );
  expect(possibleRepeatSms(repeat)).toBe('possible repeat, interrupted 2024-04-14T18:00Z');
});

describe.each(cases)('%s, labelled as a possible repeat', (_name, alert) => {
  test("stays within every channel's limits", () => {
    expect(renderingProblems(alert, { repeat })).toEqual([]);
  });

  test('email, chat and JSON carry the line; the JSON form the boolean and the time; the message the attribute', () => {
    const line = possibleRepeatLine(repeat);
    expect(renderEmailBody(alert, repeat).startsWith(`${line}\n\n`)).toBe(true);
    expect(renderChat(alert, repeat).content.description.startsWith(`${line}\n\n`)).toBe(true);
    expect(JSON.parse(renderJson(alert, repeat))).toMatchObject({
      possibleDuplicate: true,
      deliveryInterruptedAt: repeat.interruptedAt,
      possibleDuplicateNote: line,
    });
    expect(buildSnsMessage(alert, repeat).MessageAttributes.possibleDuplicate).toEqual({ DataType: 'String', StringValue: 'true' });
  });

  test('SMS: the short line at the end when it fits in 160 GSM-7 characters, else the SMS as it is', () => {
    const plain = renderSms(alert);
    const labelled = `${plain} | ${possibleRepeatSms(repeat)}`;
    expect(renderSms(alert, repeat)).toBe(gsm7Length(labelled) <= SMS_MAX_SEPTETS ? labelled : plain);
  });

  test('the subject, the id and every other field are those of the first copy', () => {
    expect(buildSnsMessage(alert, repeat).Subject).toBe(renderEmailSubject(alert));
    const { possibleDuplicate: _p, deliveryInterruptedAt: _d, possibleDuplicateNote: _n, ...rest } = JSON.parse(renderJson(alert, repeat));
    expect(rest).toEqual(JSON.parse(renderJson(alert)));
    const { possibleDuplicate: _a, ...attributes } = buildSnsMessage(alert, repeat).MessageAttributes;
    expect(attributes).toEqual(buildSnsMessage(alert).MessageAttributes);
  });
});

test('an unlabelled copy has no trace of the label', () => {
  const message = buildSnsMessage(publishedAlert('ACCOUNT_ERROR', 'ACCOUNT_ACCESS_DENIED'));
  expect(message.MessageAttributes.possibleDuplicate).toBeUndefined();
  expect(message.Message).not.toMatch(/possible repeat|possibleDuplicate/i);
});

test('a short SMS gets the label; one already at 160 characters does not', () => {
  expect(renderSms(testAlert('a:1'), repeat)).toMatch(/ \| possible repeat, interrupted 2024-04-14T18:00Z$/);
  const full = testAlert('a:2', { headline: 'x '.repeat(200) });
  expect(gsm7Length(renderSms(full))).toBeGreaterThan(SMS_MAX_SEPTETS - 20);
  expect(renderSms(full, repeat)).toBe(renderSms(full));
});
