import type { Alert } from '../../lambda/core/alert';
import { testAlert } from '../support/alerts';
import { CHAT_MAX_CHARS, renderChat } from '../../lambda/delivery/render-chat';
import { EMAIL_BODY_MAX_BYTES, renderEmailBody, renderEmailSubject } from '../../lambda/delivery/render-email';
import { ALERT_JSON_SCHEMA_VERSION, JSON_MAX_BYTES, renderJson } from '../../lambda/delivery/render-json';
import { renderSms } from '../../lambda/delivery/render-sms';
import { gsm7Length, isGsm7, isSafeConsoleUrl } from '../../lambda/core/sanitize';
import { PUBLISHED_ALERTS, publishedAlert } from '../golden/published-alerts';
import { EDGE_CASES, hostileBucketError, oversized, revealApiCall, runSummary, sampleSensitiveData } from '../support/alert-catalogue';

const policyFindingRecurring = publishedAlert('POLICY_FINDING');

const INVISIBLE = /[\p{Cc}\p{Cf}]/u;
const cases = [...PUBLISHED_ALERTS, ...EDGE_CASES].map(({ name, alert }) => [name, alert] as [string, Alert]);

/** Every string anywhere in a value. */
/** Every display string of a rendering (the JSON form's `raw` names are exact by design, and left out). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => (k === 'raw' ? [] : strings(v)));
  return [];
}

describe.each(cases)('%s', (_name, alert) => {
  it('SMS: one GSM-7 line of at most 160 septets, severity first, SAMPLE when sample', () => {
    const sms = renderSms(alert);
    expect(isGsm7(sms)).toBe(true);
    expect(gsm7Length(sms)).toBeLessThanOrEqual(160);
    expect(sms).not.toMatch(/[\r\n\f]/);
    expect(sms.startsWith(`${alert.severity}${alert.sample ? ' SAMPLE' : ''}: `)).toBe(true);
    expect(sms).not.toMatch(/https?:\/\/(?!([a-z0-9-]+\.)*aws\.amazon\.com)/i);
  });

  it('email subject: under 100 characters, one line, severity first', () => {
    const subject = renderEmailSubject(alert);
    expect(subject.length).toBeLessThan(100);
    expect(subject).not.toMatch(INVISIBLE);
    expect(subject.startsWith(`[${alert.severity}]${alert.sample ? ' [SAMPLE]' : ''} `)).toBe(true);
  });

  it('email body: sections in order, safe links only, no control characters but line breaks', () => {
    const body = renderEmailBody(alert);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(EMAIL_BODY_MAX_BYTES);
    expect(body.replace(/\n/g, '')).not.toMatch(INVISIBLE);
    const order = ['What happened', 'What it means', 'What to do', 'Details'].map((h) => body.indexOf(`\n${h}\n`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(body).toContain(`Alert id: ${alert.id.slice(0, 40)}`);
    for (const url of body.match(/https?:\/\/\S+/g) ?? []) expect(isSafeConsoleUrl(url)).toBe(true);
    if (alert.sample) expect(body.startsWith('SAMPLE')).toBe(true);
  });

  it('chat: a valid custom notification within the size clients accept, no raw markup from the alert', () => {
    const chat = renderChat(alert);
    expect(JSON.stringify(chat).length).toBeLessThanOrEqual(CHAT_MAX_CHARS);
    expect(chat.version).toBe('1.0');
    expect(chat.source).toBe('custom');
    expect(chat.content.textType).toBe('client-markdown');
    expect(chat.content.title.length).toBeGreaterThan(0);
    expect(chat.content.description.length).toBeGreaterThan(0);
    expect(chat.metadata.threadId.length).toBeGreaterThan(0);
    for (const value of Object.values(chat.metadata.additionalContext)) expect(typeof value).toBe('string');
    for (const s of strings(chat)) {
      expect(s.replace(/\n/g, '')).not.toMatch(INVISIBLE);
      expect(s).not.toMatch(/[<>`*|]|\[|(^|\s)@\w/);
    }
    for (const url of JSON.stringify(chat).match(/https?:\/\/[^\s"]+/g) ?? []) expect(isSafeConsoleUrl(url)).toBe(true);
    expect(chat.content.keywords).toContain(alert.severity);
    expect(chat.content.keywords.includes('SAMPLE')).toBe(alert.sample);
  });

  it('JSON: the alert with schemaVersion first, stable keys, within its byte budget', () => {
    const json = renderJson(alert);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(JSON_MAX_BYTES);
    const parsed = JSON.parse(json);
    expect(Object.keys(parsed)[0]).toBe('schemaVersion');
    expect(parsed.schemaVersion).toBe(ALERT_JSON_SCHEMA_VERSION);
    expect(parsed.severity).toBe(alert.severity);
    expect(parsed.category).toBe(alert.category);
    expect(parsed.sample).toBe(alert.sample);
    expect(renderJson({ ...alert })).toBe(json);
    for (const s of strings(parsed)) expect(s.replace(/\n/g, '')).not.toMatch(INVISIBLE);
  });
});

describe('JSON key order', () => {
  it('does not depend on the order the alert object was built in', () => {
    const reversed = Object.fromEntries(Object.entries(policyFindingRecurring).reverse()) as unknown as Alert;
    expect(renderJson(reversed)).toBe(renderJson(policyFindingRecurring));
    expect(Object.keys(JSON.parse(renderJson(runSummary)))).toEqual([
      'schemaVersion',
      'id',
      'severity',
      'severityScore',
      'category',
      'eventType',
      'sample',
      'accountId',
      'region',
      'job',
      'occurredAt',
      'count',
      'headline',
      'whatHappened',
      'whatItMeans',
      'whatToDo',
      'details',
      'affected',
      'links',
      'threadId',
    ]);
  });
  it('keeps the whole alert content when it is small enough', () => {
    const parsed = JSON.parse(renderJson(runSummary));
    expect(parsed.affected[0]).toEqual({ kind: 'bucket', items: runSummary.affected[0].items, total: 29 });
    expect(parsed.details).toEqual(runSummary.details);
    expect(parsed.links).toEqual(runSummary.links);
    expect(parsed.job).toEqual(runSummary.job);
  });
});

describe('exact renderings', () => {
  it('SMS of a sample finding with non-GSM names stays GSM-7 and says SAMPLE', () => {
    expect(renderSms(sampleSensitiveData)).toBe(
      'MEDIUM SAMPLE: Sensitive data (personal) in données-clients---"quoted"-dash... | bucket données-clients---"quoted"-dash... | 123456789012 us-east-1',
    );
  });
  it('SMS drops the resource before the place when the headline is long', () => {
    expect(renderSms(revealApiCall)).toBe(
      'HIGH: Sensitive data samples revealed by assumed-role/Admin/alice | principal arn:aws:sts::123456789012:assumed-role/Admin/alice | 123456789012 us-east-1',
    );
    const longer = { ...revealApiCall, headline: `${revealApiCall.headline} from 203.0.113.7 using the AWS CLI` };
    expect(renderSms(longer)).toBe(
      'HIGH: Sensitive data samples revealed by assumed-role/Admin/alice from 203.0.113.7 using the AWS CLI | 123456789012 us-east-1',
    );
  });
  it('SMS cuts an overlong headline at a word and keeps where it happened', () => {
    const sms = renderSms(oversized);
    expect(sms).toMatch(/^HIGH: Ω€ (Ω€ )+Ω€\.\.\. \| 123456789012 us-east-1$/);
  });
  it('email subject of the brief example', () => {
    const alert = { ...hostileBucketError, job: { id: 'j1', name: 'My_Job' }, headline: 'Macie job My_Job: bucket access denied' };
    expect(renderEmailSubject(alert)).toBe('[HIGH] Macie job My_Job: bucket access denied');
    expect(renderEmailSubject(sampleSensitiveData)).toBe('[MEDIUM] [SAMPLE] Sensitive data (personal) in données-clients-🔥-日本語-“quoted”—dash…');
  });
  it('email lists at most 10 resources per kind, then "and N more"', () => {
    const body = renderEmailBody(runSummary);
    expect(body).toContain(
      [
        'Buckets (29):',
        ...runSummary.affected[0].items.slice(0, 10).map((b) => `- ${b}`),
        '  and 19 more',
        'Accounts (2):',
        '- 111122223333',
        '- 444455556666',
      ].join('\n'),
    );
    expect(body).not.toContain('customer-data-11');
  });
});

describe('hostile input is neutralised', () => {
  const chat = renderChat(hostileBucketError);
  const body = renderEmailBody(hostileBucketError);

  it('chat: a markdown link, a Slack link and mentions become inert text', () => {
    expect(chat.content.title).toBe(
      '🔴 HIGH: Macie job ＠channel urgent: rotate keys now: bucket access denied for ［Click here to fix access］(hxxps://evil.example/login)',
    );
    expect(chat.content.description.split('\n\n')[0]).toBe(
      'Macie was denied access to bucket ‹hxxps://evil.example/login∣AWS console› ‹!here› ‹!channel› ‹＠U012AB3CD›.',
    );
    expect(chat.metadata.relatedResources.slice(0, 3)).toEqual([
      'bucket: ［Click here to fix access］(hxxps://evil.example/login)',
      'bucket: ‹!here› ‹!channel› ‹＠U012AB3CD›',
      'bucket: invoicegpj.exe and isolate zerowidth',
    ]);
    expect(chat.metadata.additionalContext.jobName).toBe('＠channel urgent: rotate keys now');
  });

  it('chat: markdown emphasis, code and quotes become look-alikes', () => {
    expect(chat.content.nextSteps[0]).toBe('Let the Macie service-linked role read ∗bold∗ ＿italic＿ ∼strike∼ ˋcodeˋ # heading › quote ∣ pipe.');
  });

  it('chat and email: only real https console links survive', () => {
    const chatLinks = chat.content.nextSteps.slice(1).map((s) => s.split(': ')[0]);
    expect(chatLinks).toEqual(['Macie job', "Job's log stream in CloudWatch Logs"]);
    expect(body).not.toContain('Fix it here');
    expect(body).not.toContain('Look-alike host');
    expect(body).not.toContain('Plain http');
    expect(body).not.toContain('user:pass');
  });

  it('email: control and bidi characters are removed, URLs in names defanged, long names capped', () => {
    expect(body).toContain('Objects in bucketwithbell ⏎ Subject: forged[31mred were not analysed. invoicegpj.exe and isolate zerowidth');
    expect(body.split('\n')).not.toContain('Subject: forged[31mred were not analysed. invoicegpj.exe and isolate zerowidth');
    expect(body).toContain('- [Click here to fix access](hxxps://evil.example/login)\n');
    expect(body).not.toContain('https://evil.example');
    const longLine = body.split('\n').find((l) => l.startsWith('- very-long-'))!;
    expect(longLine).toHaveLength(2 + 300);
    expect(longLine.endsWith('…')).toBe(true);
  });

  it('SMS and subject: no line break can forge a header, the URL is defanged', () => {
    expect(renderEmailSubject(hostileBucketError)).toBe('[HIGH] Macie job @channel urgent: rotate keys now: bucket access denied for [Click here to fix…');
    expect(renderSms(hostileBucketError)).toBe(
      'HIGH: Macie job @channel urgent: rotate keys now: bucket access denied for [Click here to fix access](hxxps://evil.example/login) | 123456789012 us-east-1',
    );
  });

  it('JSON: display strings are cleaned, unsafe links dropped, the exact names kept apart in raw, escaped in the text', () => {
    const json = renderJson(hostileBucketError);
    const parsed = JSON.parse(json);
    const buckets = hostileBucketError.affected.find((a) => a.kind === 'bucket')!;
    const shown = parsed.affected.find((a: { kind: string }) => a.kind === 'bucket');
    expect(shown.raw).toEqual(buckets.items.map((name) => (name.length <= 4096 ? name : null)));
    expect(shown.items).not.toEqual(shown.raw);
    expect(json).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f]/);
    expect(parsed.whatItMeans).toBe('Objects in bucketwithbell ⏎ Subject: forged[31mred were not analysed. invoicegpj.exe and isolate zerowidth');
    expect(parsed.links.map((l: { label: string }) => l.label)).toEqual(['Macie job', "Job's log stream in CloudWatch Logs"]);
    expect(parsed.affected[0].items[3]).toHaveLength(1000);
  });
});

describe('one thousands-separator rule in every form', () => {
  test('an alert standing for 49,998 events says so with the separator in email and chat', () => {
    const alert = testAlert('thousands', { count: 49998 });
    expect(renderEmailBody(alert)).toContain('(49,998 events)');
    expect(renderChat(alert).content.description).toContain('(49,998 events)');
  });
});
