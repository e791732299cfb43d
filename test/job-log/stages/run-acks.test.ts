import type { Ack } from '../../../lambda/silences/ack';
import { RUN_ACKS_NAMED, runAcks } from '../../../lambda/job-log/run-acks';

const RUN = '2024-06-03T02:00:00.000Z';
const ack = (id: string, alertId: string, startsAt: string, endsAt: string): Ack => ({
  id,
  alertId,
  startsAt,
  endsAt,
  author: 'alice',
  reason: 'r',
  createdAt: startsAt,
});
const END = '2024-06-03T03:00:00.000Z';

test.each<[string, Ack, string | undefined]>([
  ['an error group of the run', ack('A-2', `run:j:${RUN}:BUCKET_ACCESS_DENIED:first`, RUN, END), 'bucket access denied'],
  ['a repeat of an error group', ack('A-2', `run:j:${RUN}:BUCKET_ACCESS_DENIED:repeat:3`, RUN, END), 'bucket access denied'],
  ['an event type this version does not know', ack('A-2', `run:j:${RUN}:JOB_TELEPORTED:first`, RUN, END), 'JOB_TELEPORTED'],
  ['the sweeper\'s "still running"', ack('A-2', `sweep:j:${RUN}:still-running`, RUN, END), 'still running'],
  ['the sweeper\'s "still paused by the quota"', ack('A-2', `sweep:j:${RUN}:quota-paused:${RUN}`, RUN, END), 'still paused by the monthly quota'],
  ['another run of the job', ack('A-2', 'run:j:2024-06-02T02:00:00.000Z:BUCKET_ACCESS_DENIED:first', RUN, END), undefined],
  ['another job', ack('A-2', `run:k:${RUN}:BUCKET_ACCESS_DENIED:first`, RUN, END), undefined],
  ['ended before the run started', ack('A-2', `run:j:${RUN}:BUCKET_ACCESS_DENIED:first`, '2024-06-03T01:00:00.000Z', RUN), undefined],
  ['began after the run ended', ack('A-2', `run:j:${RUN}:BUCKET_ACCESS_DENIED:first`, END, '2024-06-03T04:00:00.000Z'), undefined],
])('%s', (_name, a, words) => {
  const { named, more } = runAcks([a], 'j', RUN, RUN, END);
  expect(named).toEqual(words ? [`${words}: acknowledged (A-2 by alice until ${a.endsAt}: r)`] : []);
  expect(more).toBe(0);
});

test('a run still going: an acknowledgement that began since it started is named', () => {
  expect(runAcks([ack('A-2', `run:j:${RUN}:BUCKET_ACCESS_DENIED:first`, END, '2024-06-04T00:00:00.000Z')], 'j', RUN, RUN, undefined).named).toHaveLength(1);
});

test(`at most ${RUN_ACKS_NAMED}, the smallest ids first, then how many more`, () => {
  const acks = Array.from({ length: 8 }, (_, i) => ack(`A-${8 - i}`, `run:j:${RUN}:T${i}:first`, RUN, END));
  const { named, more } = runAcks(acks, 'j', RUN, RUN, END);
  expect(named.map((n) => n.split(' ')[2])).toEqual(['(A-1', '(A-2', '(A-3', '(A-4', '(A-5']);
  expect(more).toBe(3);
});
