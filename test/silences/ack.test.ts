import { ackSubject, acknowledger, normalizeAckId, randomAckId, type Ack } from '../../lambda/silences/ack';

const T0 = '2024-06-03T10:00:00.000Z';
const END = '2024-06-04T10:00:00.000Z';
const ack = (id: string, alertId: string, times: Partial<Pick<Ack, 'startsAt' | 'endsAt'>> = {}): Ack => ({
  id,
  alertId,
  startsAt: times.startsAt ?? T0,
  endsAt: times.endsAt ?? END,
  author: 'alice',
  reason: 'on it',
  createdAt: T0,
});
const RUN = '2024-06-03T02:00:00.000417Z';

describe('the condition an alert id stands for: the alert and its repeats', () => {
  test.each<[string, string]>([
    [`run:job-1:${RUN}:BUCKET_ACCESS_DENIED:first`, `run:job-1:${RUN}:BUCKET_ACCESS_DENIED`],
    [`run:job-1:${RUN}:BUCKET_ACCESS_DENIED:repeat:3`, `run:job-1:${RUN}:BUCKET_ACCESS_DENIED`],
    [
      'sd:job-1:2024-06-03T02:00:00.000Z:bucket-a:SensitiveData:S3Object/Personal:first',
      'sd:job-1:2024-06-03T02:00:00.000Z:bucket-a:SensitiveData:S3Object/Personal',
    ],
    ['sd:auto:111122223333:bucket-a:SensitiveData:S3Object/Personal:still:40', 'sd:auto:111122223333:bucket-a:SensitiveData:S3Object/Personal'],
    [`sweep:job-1:${RUN}:still-running`, `sweep:job-1:${RUN}:still-running`],
    ['policy:abc:1', 'policy:abc'],
    ['policy:abc:9:held', 'policy:abc'],
  ])('%s', (alertId, subject) => {
    expect(ackSubject(alertId)).toBe(subject);
  });
});

describe('acknowledger: which acknowledgement holds what, when', () => {
  const group = `run:job-1:${RUN}:BUCKET_ACCESS_DENIED`;
  const acks = acknowledger([
    ack('A-2', `${group}:first`),
    ack('A-3', `sweep:job-2:${RUN}:quota-paused:${RUN}`),
    ack('A-4', 'sweep:job-3:missed-run:2024-06-02T00:00:00.000Z'),
    ack('A-6', 'sweep:job-4:paused:2024-06-01T10:00:00.000Z:2'),
  ]);
  test.each<[string, () => Ack | undefined, string | undefined]>([
    ['the group, at the start (inclusive)', () => acks.subject(group, Date.parse(T0)), 'A-2'],
    ['the group, just before the end', () => acks.subject(group, Date.parse(END) - 1), 'A-2'],
    ['the group, at the end (exclusive)', () => acks.subject(group, Date.parse(END)), undefined],
    ['the group, before the start', () => acks.subject(group, Date.parse(T0) - 1), undefined],
    ['another error type of the run', () => acks.subject(`run:job-1:${RUN}:BUCKET_DOES_NOT_EXIST`, Date.parse(T0)), undefined],
    ['the sweeper on the run of an acknowledged group', () => acks.run('job-1', RUN, Date.parse(T0)), 'A-2'],
    ['the sweeper on the run of an acknowledged reminder', () => acks.run('job-2', RUN, Date.parse(T0)), 'A-3'],
    ['the sweeper on another run', () => acks.run('job-1', '2024-06-04T02:00:00.000Z', Date.parse(T0)), undefined],
    ['a job\u2019s missed runs', () => acks.missedRuns('job-3', Date.parse(T0)), 'A-4'],
    ['another job\u2019s missed runs', () => acks.missedRuns('job-1', Date.parse(T0)), undefined],
    ['a paused job\u2019s reminders', () => acks.pausedJob('job-4', Date.parse(T0)), 'A-6'],
    ['another job\u2019s pause reminders', () => acks.pausedJob('job-3', Date.parse(T0)), undefined],
    ['a paused job\u2019s missed runs are not its pause reminders', () => acks.missedRuns('job-4', Date.parse(T0)), undefined],
  ])('%s', (_name, ask, expected) => {
    expect(ask()?.id).toBe(expected);
  });

  test('several on one alert: the smallest id in force', () => {
    const both = acknowledger([ack('A-9', `${group}:first`), ack('A-5', `${group}:repeat:1`, { endsAt: '2024-06-03T12:00:00.000Z' })]);
    expect(both.subject(group, Date.parse(T0))?.id).toBe('A-5');
    expect(both.subject(group, Date.parse('2024-06-03T12:00:00.000Z'))?.id).toBe('A-9');
  });

  test('ids', () => {
    expect(randomAckId()).toMatch(/^A-[2-9A-HJKMNP-TV-Z]{4}$/);
    expect(normalizeAckId(' a-7kq2 ')).toBe('A-7KQ2');
    expect(normalizeAckId('S-7KQ2')).toBeUndefined();
  });
});
