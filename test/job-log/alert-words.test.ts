import { renderEmailBody } from '../../lambda/delivery/render-email';
import { at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { harness } from './helpers';

/** What job-log alerts say: every sentence true, nothing twice (issue: what alerts say). */

const RUN = '2024-04-14T17:09:30.574809Z';
const T0 = RUN;

function detailLabels(body: string): string[] {
  const details = body.split('\nDetails\n')[1].split('\n\n')[0];
  return details.split('\n').map((l) => l.slice(0, l.indexOf(':')));
}

describe('a job with a bucket list (Macie logs no matched buckets for it)', () => {
  test('its summary never says it matched 0 buckets, and says what is known', async () => {
    const h = await harness();
    const ev = jobStream('job-list', 'Listed', RUN);
    await h.send([ev('ONE_TIME_JOB_STARTED', T0), ev('BUCKET_ACCESS_DENIED', at(T0, 1), bucketError('b1', '111122223333'))]);
    const done = await h.send([ev('JOB_COMPLETED', at(T0, 30))]);
    const summary = done.published[0];
    expect(summary.whatHappened).not.toMatch(/matched 0 buckets/);
    expect(summary.whatHappened).toContain('Macie logged no matched buckets: it logs them only for a job that selects buckets by criteria');
    expect(summary.details).toContainEqual({ label: 'Buckets matched', value: 'not logged (Macie logs them only for a job that selects buckets by criteria)' });
  });

  test('a criteria job whose errors name more buckets than it logged as matched says both, without contradiction', async () => {
    const h = await harness();
    const ev = jobStream('job-crit', 'Criteria', RUN);
    await h.send([
      ev('ONE_TIME_JOB_STARTED', T0),
      ev('BUCKET_MATCHED_THE_CRITERIA', at(T0, 1), bucketError('m1', '111122223333')),
      ev('BUCKET_ACCESS_DENIED', at(T0, 2), bucketError('x1', '111122223333')),
      ev('BUCKET_ACCESS_DENIED', at(T0, 2), bucketError('x2', '111122223333')),
    ]);
    const [summary] = (await h.send([ev('JOB_COMPLETED', at(T0, 30))])).published;
    expect(summary.whatHappened).toContain("Macie logged 1 bucket as matching the job's criteria; its errors name 2 buckets.");
  });
});

describe('an error group: the first alert, then "still occurring"', () => {
  test('the first promises truthfully, the repeat says which buckets it lists, and neither repeats a detail', async () => {
    const h = await harness({ repeatIntervalMinutes: 60 });
    const ev = jobStream('job-grp', 'Grp', RUN);
    await h.send([
      ev('SCHEDULED_RUN_STARTED', T0),
      ev('BUCKET_DOES_NOT_EXIST', at(T0, 1), bucketError('b0', '111122223333')),
      ev('BUCKET_DOES_NOT_EXIST', at(T0, 1), bucketError('b1', '111122223333')),
    ]);
    await h.send([ev('BUCKET_DOES_NOT_EXIST', at(T0, 30), bucketError('b2', '111122223333'))]);
    await h.send([ev('BUCKET_DOES_NOT_EXIST', at(T0, 70), bucketError('b3', '111122223333'))]);
    const [first, repeat] = h.publisher.records;
    expect(first.alert.whatItMeans).toContain('a "still occurring" alert comes at most every 1 h, and the run summary gives the total');
    expect(first.alert.whatItMeans).not.toMatch(/reported in the run summary\.$/);
    expect(first.alert.whatHappened).toContain('2 such events in this alert');
    expect(first.alert.details).toContainEqual({ label: 'Events in this alert', value: '2' });
    expect(JSON.stringify(first.alert)).not.toMatch(/in this batch/i);

    expect(repeat.alert.headline).toBe('Still occurring (4 so far): Macie job Grp: bucket no longer exists');
    expect(repeat.alert.whatHappened).toContain('4 "bucket no longer exists" events so far');
    expect(repeat.alert.whatHappened).toContain('The newest event is for bucket b3; account 111122223333.');
    const email = renderEmailBody(repeat.alert);
    expect(email).toContain('Buckets of the newest events (1):\n- b3');

    for (const { alert } of [first, repeat]) {
      const labels = detailLabels(renderEmailBody(alert));
      expect(labels).toEqual([...new Set(labels)]);
      expect(labels).toContain('Event type');
      expect(labels).not.toContain('Event');
    }
  });
});
