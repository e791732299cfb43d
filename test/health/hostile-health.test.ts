import type { Alert } from '../../lambda/core/alert';
import { processHealthBatch } from '../../lambda/health/pipeline';
import { MAX_ENTITIES } from '../../lambda/health/health-event';
import { renderingProblems } from '../reliability/render-checks';
import { clone, deliverOne, fixture, testDeps } from '../findings/kit';

/** AWS Health events are AWS's text, but an event can be forged onto the queue: hostile ones alert safely, malformed ones are bad. */
const BASE = fixture('health/service-issue.json');

function variant(n: number, detail: Record<string, unknown>): Record<string, any> {
  const event = clone(BASE);
  event.id = `hostile-${n}`;
  event.detail.eventArn = `${BASE.detail.eventArn}-${n}`;
  Object.assign(event.detail, detail);
  return event;
}

const HOSTILE: [string, Record<string, unknown>][] = [
  [
    'control characters and markup in the description',
    {
      eventDescription: [
        { language: 'en_US', latestDescription: 'Line\u0007one\r\n<b>bold</b> *star* `code` <@U123> @channel <!here> https://evil.example/x?y=1\u202Egnp.exe' },
      ],
    },
  ],
  ['a 100 KB description', { eventDescription: [{ language: 'en_US', latestDescription: 'delay '.repeat(17_000) }] }],
  [
    '500 affected entities with long values',
    { affectedEntities: Array.from({ length: 500 }, (_, i) => ({ entityValue: `arn:aws:s3:::bucket-${i}-${'x'.repeat(300)}`, status: 'IMPAIRED' })) },
  ],
  ['an odd event type code', { eventTypeCode: `AWS_MACIE_${'Ü🔥'.repeat(100)}` }],
  ['times that are no times', { startTime: 'soon', lastUpdatedTime: 'later', endTime: '' }],
  ['numeric pages', { page: 2, totalPages: 3 }],
  ['no description, no entities, no status', { eventDescription: [], affectedEntities: null, statusCode: undefined }],
  ['a 2 KB event ARN', { eventArn: `arn:aws:health:eu-west-1::event/MACIE/${'A'.repeat(2000)}` }],
  ['a description in another language only', { eventDescription: [{ language: 'ja_JP', latestDescription: 'Macie のジョブが遅延しています' }] }],
];

const MALFORMED: [string, (e: Record<string, any>) => void][] = [
  ['no detail', (e) => delete e.detail],
  ['an event ARN that is a number', (e) => (e.detail.eventArn = 42)],
  ['entities that are not a list', (e) => (e.detail.affectedEntities = 'all')],
  ['no event type code', (e) => delete e.detail.eventTypeCode],
  ['an envelope time that is no time', (e) => (e.time = 'yesterday')],
];

describe('hostile AWS Health events', () => {
  test.each(HOSTILE.map(([name, detail], i) => [name, detail, i] as const))('%s: alerts, and renders safely in every form', async (_name, detail, i) => {
    const deps = await testDeps();
    const report = await deliverOne(processHealthBatch, variant(i, detail), deps);
    expect(report.outcome).toBe('alerted');
    const [alert] = deps.publisher.alerts as Alert[];
    expect(renderingProblems(alert)).toEqual([]);
  });

  test('entities past the cap are counted, not kept', async () => {
    const deps = await testDeps();
    await deliverOne(processHealthBatch, variant(99, HOSTILE[2][1]), deps);
    const [alert] = deps.publisher.alerts;
    expect(alert.whatHappened).toContain(`and ${500 - MAX_ENTITIES} more.`);
  });

  test.each(MALFORMED)('%s: bad, one warn line naming the event, counted, nothing written', async (_name, breakIt) => {
    const deps = await testDeps();
    const event = variant(0, {});
    breakIt(event);
    const report = await deliverOne(processHealthBatch, event, deps);
    expect(report.outcome).toBe('bad');
    expect(deps.telemetry.lines.filter((l) => l.level !== 'info')).toEqual([
      expect.objectContaining({ fields: expect.objectContaining({ eventId: 'hostile-0', reason: expect.any(String) }) }),
    ]);
    expect(deps.telemetry.counters.BadRecords).toBe(1);
    expect(deps.publisher.alerts).toEqual([]);
  });
});
