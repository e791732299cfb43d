import { processFindingBatch } from '../../lambda/findings/pipeline';
import { addAck } from '../../lambda/silences/ack-store';
import { freshStore } from '../support/dynamodb';
import { minutesAfter, SENSITIVE_BASE, SENSITIVE_JOB_ID, sensitiveFinding, setCurrentRun, sqsBatch, testDeps } from './kit';

const RUN = '2024-04-14T17:09:30.000Z';
const TYPE = SENSITIVE_BASE.detail.type as string;
const T0 = '2024-04-14T18:00:00.000Z';
const GROUP = `sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-a:${TYPE}`;

describe('an acknowledged findings group (DynamoDB Local)', () => {
  test('its "still occurring" alerts are held while the acknowledgement lasts; another bucket alerts; then the repeat resumes', async () => {
    // The store's clock (for TTLs on read) at the findings' time: the acknowledgement is of that time too.
    // One alert per bucket: under findingAlertsPer type another bucket of the type would be rolled up, not alert.
    const deps = await testDeps({ findingAlertsPer: 'bucket', repeatIntervalMinutes: 60 }, { store: await freshStore(() => new Date(T0)) });
    await setCurrentRun(deps.store, RUN);
    await addAck(deps.store, {
      alertId: `${GROUP}:first`,
      startsAt: T0,
      endsAt: minutesAfter(T0, 130),
      author: 'alice',
      reason: 'classifying the bucket',
      createdAt: T0,
    });
    for (let n = 0; n <= 7; n++) await processFindingBatch(sqsBatch([sensitiveFinding(n, { at: minutesAfter(T0, n * 20) })]), deps);
    await processFindingBatch(sqsBatch([sensitiveFinding(100, { bucket: 'bucket-b', at: minutesAfter(T0, 90) })]), deps);
    expect(deps.publisher.alerts.map((a) => a.id)).toEqual([`${GROUP}:first`, `${GROUP}:still:8`, `sd:${SENSITIVE_JOB_ID}:${RUN}:bucket-b:${TYPE}:first`]);
    expect(deps.publisher.alerts[1].count).toBe(8);
  });
});
