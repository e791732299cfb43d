import { at, jobStream } from '../fixtures/job-log/streams';
import { logEvent } from '../support/cloudwatch';
import { harness } from './helpers';

const RUN = '2024-05-29T09:02:00.000112Z';
const hours = (h: number) => at(RUN, h * 60);

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** The summary's first sentence (ISO times have no space after their dot). */
const firstSentence = (text: string) => text.slice(0, text.indexOf('. ') + 1);

describe('a run tells its whole story: pauses and their resumption', () => {
  const ev = jobStream('job-story', 'Story', RUN);
  const started = () => [logEvent(ev('ONE_TIME_JOB_STARTED', RUN)), logEvent(ev('BUCKET_MATCHED_THE_CRITERIA', at(RUN, 1)))];

  test.each(permutations(['JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', 'JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED', 'JOB_COMPLETED']))(
    'quota pause, resumption and completion in one batch (%s, %s, %s): the summary says it first, at least LOW',
    async (...order) => {
      const h = await harness();
      const times: Record<string, string> = {
        JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET: hours(1),
        JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED: hours(11),
        JOB_COMPLETED: hours(12),
      };
      await h.send(started());
      const r = await h.send(order.map((type) => logEvent(ev(type, times[type]))));
      expect(r.published.map((a) => [a.category, a.severity, a.headline])).toEqual([
        ['JOB_RUN_SUMMARY', 'LOW', 'Run of 2024-05-29 09:02 UTC completed after a quota pause: Macie job Story'],
      ]);
      expect(firstSentence(r.published[0].whatHappened)).toBe(
        `The run of Macie job "Story" (job-story) that started ${RUN} was paused by the monthly quota from ${hours(1)} to ${hours(11)} (10 h 0 min), then resumed, and completed at ${hours(12)} after 12 h 0 min.`,
      );
      expect(r.published[0].details).toContainEqual({ label: 'Paused', value: `${hours(1)} to ${hours(11)} (10 h 0 min), by Macie (monthly quota)` });
    },
  );

  test.each(permutations(['JOB_PAUSED_BY_USER', 'JOB_RESUMED_BY_USER', 'JOB_COMPLETED']))(
    'user pause, resumption and completion in one batch (%s, %s, %s): the summary tells the pause, a clean run stays INFO',
    async (...order) => {
      const h = await harness();
      const times: Record<string, string> = { JOB_PAUSED_BY_USER: hours(1), JOB_RESUMED_BY_USER: hours(2), JOB_COMPLETED: hours(3) };
      await h.send(started());
      const r = await h.send(order.map((type) => logEvent(ev(type, times[type]))));
      expect(r.published.map((a) => [a.category, a.severity])).toEqual([['JOB_RUN_SUMMARY', 'INFO']]);
      expect(firstSentence(r.published[0].whatHappened)).toContain(
        `was paused by a user from ${hours(1)} to ${hours(2)} (1 h 0 min), then resumed, and completed at ${hours(3)}`,
      );
    },
  );

  test.each([
    ['resumption first', ['JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED', 'JOB_COMPLETED']],
    ['completion first', ['JOB_COMPLETED', 'JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED']],
  ])('a quota pause alerted on its own, then resumption and completion together (%s): the summary resolves it', async (_name, order) => {
    const h = await harness();
    const times: Record<string, string> = { JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED: hours(10), JOB_COMPLETED: hours(10.5) };
    await h.send(started());
    const paused = await h.send([logEvent(ev('JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', hours(0.5)))]);
    const r = await h.send(order.map((type) => logEvent(ev(type, times[type]))));
    expect(paused.published.map((a) => a.severity)).toEqual(['HIGH']);
    expect(r.published.map((a) => [a.category, a.severity])).toEqual([['JOB_RUN_SUMMARY', 'LOW']]);
    expect(firstSentence(r.published[0].whatHappened)).toContain(
      `was paused by the monthly quota from ${hours(0.5)} to ${hours(10)} (9 h 30 min), then resumed, and completed`,
    );
  });

  test('two pauses in one run, in any batch order: each is told, in event-time order', async () => {
    const stream = [
      ['JOB_PAUSED_BY_USER', hours(1)],
      ['JOB_RESUMED_BY_USER', hours(1.5)],
      ['JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', hours(3)],
      ['JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED', hours(13)],
    ].map(([type, time]) => logEvent(ev(type, time)));
    const completed = logEvent(ev('JOB_COMPLETED', hours(14)));
    const expected =
      `was paused 2 times: by a user from ${hours(1)} to ${hours(1.5)} (30 min 0 s), then resumed; ` +
      `by the monthly quota from ${hours(3)} to ${hours(13)} (10 h 0 min), then resumed, and completed at ${hours(14)}`;
    for (const order of [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [2, 0, 3, 1],
    ]) {
      const h = await harness();
      await h.send(started());
      for (const i of order) await h.send([stream[i]]);
      const r = await h.send([completed]);
      const summary = r.published.find((a) => a.category === 'JOB_RUN_SUMMARY')!;
      expect(firstSentence(summary.whatHappened)).toContain(expected);
      expect(summary.details.filter((d) => d.label.startsWith('Pause ')).map((d) => d.label)).toEqual(['Pause 1', 'Pause 2']);
      expect(summary.severity).toBe('LOW');
    }
  });

  test('a run cancelled while paused says the pause was never resumed', async () => {
    const h = await harness();
    await h.send(started());
    const r = await h.send([logEvent(ev('JOB_PAUSED_BY_USER', hours(1))), logEvent(ev('JOB_CANCELLED', hours(2)))]);
    expect(firstSentence(r.published[0].whatHappened)).toContain(
      `was paused by a user from ${hours(1)}, with no resumption logged, and was cancelled at ${hours(2)}`,
    );
  });
});
