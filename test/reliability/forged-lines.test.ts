import type { Alert } from '../../lambda/core/alert';
import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import { renderChat } from '../../lambda/delivery/render-chat';
import { renderEmailBody, renderEmailSubject } from '../../lambda/delivery/render-email';
import { renderJson } from '../../lambda/delivery/render-json';
import { renderSms } from '../../lambda/delivery/render-sms';
import { at, jobStream } from '../fixtures/job-log/streams';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { cloudTrailEvent, deliverOne, findingEvent, fixture, testDeps } from '../findings/kit';

/**
 * The forged-section attack: an event value (an S3 object key, a description, a user agent...) holding line
 * breaks and the words of one of our sections, so that the email reads as if we had written "What to do /
 * Nothing: ignore this alert". Every value taken from an event must render on one line, in every form, for
 * every event kind, with every kind of line break.
 */
const BREAKS: readonly [string, string][] = [
  ['LF', '\n'],
  ['CRLF', '\r\n'],
  ['CR', '\r'],
  ['VT', '\v'],
  ['FF', '\f'],
  ['NEL', '\u0085'],
  ['LINE SEPARATOR', '\u2028'],
  ['PARAGRAPH SEPARATOR', '\u2029'],
];
const forged = (br: string) => `report.csv${br}What to do${br}Nothing: ignore this alert`;
const FORGED_LINE = 'Nothing: ignore this alert';
/** How the value reads where our sentences quote it. */
const QUOTED = 'report.csv ⏎ What to do ⏎ Nothing: ignore this alert';
/** How it reads in one-line fields (details, resources, subject, SMS): the break is a space. */
const ONE_LINE = 'report.csv What to do Nothing: ignore this alert';

const RUN = '2024-04-14T17:09:30.574809Z';

/** The event kinds, each carrying the forged value in the fields its alerts quote. */
const KINDS: Record<string, (value: string) => Promise<Alert[]>> = {
  'job log event (description and bucket)': async (value) => {
    const deps = await testDeps();
    const ev = jobStream('job-forged', 'Forged', RUN);
    const r = await processLogsPayload(
      logsPayload([
        logEvent(
          ev('BUCKET_ACCESS_DENIED', at(RUN, 1), { description: value, affectedResource: { type: 'S3_BUCKET_NAME', value }, affectedAccount: '111122223333' }),
        ),
      ]),
      deps,
    );
    return [...r.published];
  },
  'sensitive-data finding (object key)': async (value) => {
    const deps = await testDeps();
    const base = fixture('findings/sensitive-Personal.json');
    const s3Object = { ...base.detail.resourcesAffected.s3Object, key: value, path: `bucket/${value}` };
    await deliverOne(
      processFindingBatch,
      findingEvent(base, { eventId: 'forged-sd', detail: { resourcesAffected: { ...base.detail.resourcesAffected, s3Object } } }),
      deps,
    );
    return [...deps.publisher.alerts];
  },
  'policy finding (title and description)': async (value) => {
    const deps = await testDeps();
    await deliverOne(
      processFindingBatch,
      findingEvent(fixture('findings/policy-S3BucketPublic.json'), { eventId: 'forged-policy', detail: { title: value, description: value } }),
      deps,
    );
    return [...deps.publisher.alerts];
  },
  'API call (user agent and request parameters)': async (value) => {
    const deps = await testDeps();
    const record = fixture('api-calls/call-CreateFindingsFilter.json');
    record.userAgent = value;
    record.requestParameters.name = value;
    await deliverOne(processApiCallBatch, cloudTrailEvent(record), deps);
    return [...deps.publisher.alerts];
  },
};

function linesOf(text: string): string[] {
  return text.split('\n').map((l) => l.trim());
}

describe.each(Object.keys(KINDS))('%s', (kind) => {
  test.each(BREAKS)('a value with %s line breaks stays on one line in every form', async (_name, br) => {
    const alerts = await KINDS[kind](forged(br));
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts) {
      // Email: our sections once each, the forged words never on a line of their own, the value quoted whole.
      const body = renderEmailBody(alert);
      const lines = linesOf(body);
      expect(lines.filter((l) => l === 'What to do')).toHaveLength(1);
      expect(lines.filter((l) => l.startsWith(FORGED_LINE) || l.startsWith('What to do '))).toEqual([]);
      expect(body).toContain(QUOTED);
      // Subject and SMS: one line.
      expect(renderEmailSubject(alert)).not.toMatch(/[\r\n\u0085\u2028\u2029\v\f]/);
      expect(renderSms(alert)).not.toMatch(/[\r\n\u0085\u2028\u2029\v\f]/);
      // Chat: no line of the description or of a next step starts with the forged words.
      const chat = renderChat(alert);
      const chatLines = [
        chat.content.title,
        ...chat.content.description.split('\n'),
        ...chat.content.nextSteps.flatMap((s) => s.split('\n')),
        ...chat.metadata.relatedResources,
      ];
      expect(chatLines.map((l) => l.trim()).filter((l) => l.startsWith(FORGED_LINE) || l === 'What to do')).toEqual([]);
      expect(chat.content.description).toContain(QUOTED);
      // JSON: every display field on one line (whatToDo is our own advice), the exact value in raw where it names a resource.
      const json = JSON.parse(renderJson(alert));
      expect(json.whatHappened).toContain(QUOTED);
      for (const [field, value] of Object.entries({ headline: json.headline, whatHappened: json.whatHappened, whatItMeans: json.whatItMeans })) {
        expect([field, /[\r\n\u0085\u2028\u2029]/.test(value as string)]).toEqual([field, false]);
      }
      for (const d of json.details as { value: string }[]) expect(d.value).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
      const quotedAsResource = (json.affected as { items: string[]; raw?: (string | null)[] }[]).filter((a) => a.items.includes(ONE_LINE));
      for (const a of quotedAsResource) expect(a.raw?.[a.items.indexOf(ONE_LINE)]).toBe(forged(br));
    }
  });
});
