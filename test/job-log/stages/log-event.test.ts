import { JOB_EVENT_TYPES, classify } from '../../../lambda/job-log/event-types';
import { ev, RUN } from './stage-events';

describe('an event is classified and timed once, at the boundary', () => {
  test.each<[string, string, { effect: string; known: boolean; alertCategory: string }]>([
    ['a known error', 'BUCKET_ACCESS_DENIED', { effect: 'BUCKET_ERROR', known: true, alertCategory: 'BUCKET_ERROR' }],
    ['progress', 'BUCKET_MATCHED_THE_CRITERIA', { effect: 'BUCKET_MATCHED', known: true, alertCategory: 'JOB_STATUS' }],
    ['a type this version does not know', 'JOB_TELEPORTED', { effect: 'UNKNOWN', known: false, alertCategory: 'UNKNOWN_EVENT' }],
    ['a type named like an Object property', 'constructor', { effect: 'UNKNOWN', known: false, alertCategory: 'UNKNOWN_EVENT' }],
  ])('%s', (_name, type, want) => {
    const e = ev(type, 90, { occurredAt: '2024-06-03T05:30:00.123456+02:00' });
    expect(e.kind).toMatchObject({ eventType: type, ...want });
    expect(e.at).toEqual({ iso: '2024-06-03T05:30:00.123456+02:00', ms: Date.parse('2024-06-03T03:30:00.123Z') });
    expect(e.event.runDate).toBe(RUN);
  });

  test('the table is classified once: every event of a known type shares its classification', () => {
    for (const type of Object.keys(JOB_EVENT_TYPES)) expect(ev(type, 0).kind).toBe(classify(type));
    expect(Object.isFrozen(classify('JOB_TELEPORTED'))).toBe(true);
  });
});
