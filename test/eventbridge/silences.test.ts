import type { SilenceSource } from '../../lambda/silences/cache';
import type { Silence } from '../../lambda/silences/silence';
import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { renderJson } from '../../lambda/delivery/render-json';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import { keys } from '../../lambda/state/table';
import { at, jobStream } from '../fixtures/job-log/streams';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { cloudTrailEvent, findingEvent, fixture, sqsBatch, testDeps } from '../findings/kit';

const FROM = '2020-01-01T00:00:00.000Z';
const UNTIL = '2030-01-01T00:00:00.000Z';

function silence(id: string, match: Silence['match'], window: { startsAt?: string; endsAt?: string } = {}): Silence {
  return { id, match, startsAt: window.startsAt ?? FROM, endsAt: window.endsAt ?? UNTIL, author: 'alice', reason: 'bucket migration', createdAt: FROM };
}

function source(...silences: Silence[]): SilenceSource & { calls: number } {
  const s = {
    calls: 0,
    list: async () => {
      s.calls++;
      return silences;
    },
  };
  return s;
}

const sensitive = fixture('findings/sensitive-Personal.json');
const jobId = sensitive.detail.classificationDetails.jobId as string;
const bucket = sensitive.detail.resourcesAffected.s3Bucket.name as string;
/** The n-th finding of the same job, bucket and type, `minutes` after the fixture's time. */
const finding = (n: number, minutes = n) =>
  findingEvent(sensitive, {
    eventId: `sd-${n}`,
    detail: { id: `finding-${n}`, updatedAt: new Date(Date.parse(sensitive.detail.updatedAt) + minutes * 60_000).toISOString() },
  });

describe('silenced findings: counted in their group, never alerted, told afterwards', () => {
  test.each([
    ['the bucket', { bucket }],
    ['a bucket prefix', { bucket: `${bucket.slice(0, 5)}*` }],
    ['the job', { jobId }],
    ['the account', { accountId: sensitive.detail.accountId as string }],
    ['the finding type', { type: sensitive.detail.type as string }],
  ])('a silence on %s: the group counts every finding, no alert, one silence Query per batch', async (_name, match) => {
    const silences = source(silence('S-7', match));
    const deps = await testDeps({}, { silences });
    const report = await processFindingBatch(sqsBatch([finding(1), finding(2), finding(3)]), deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['silenced', 'silenced', 'silenced']);
    expect(report.batchItemFailures).toEqual([]);
    expect(deps.publisher.alerts).toEqual([]);
    expect(silences.calls).toBe(1);
    const group = await deps.store.get(keys.findingGroup(jobId, 'UNKNOWN', bucket, sensitive.detail.type));
    expect(group).toMatchObject({
      count: 3,
      silenced: { 'S-7': { author: 'alice', reason: 'bucket migration', endsAt: UNTIL, events: { [sensitive.detail.type]: 3 } } },
    });
    expect(deps.telemetry.counters.AlertsSilenced).toBe(3);
  });

  test('a silence that matches something else changes nothing', async () => {
    const deps = await testDeps(
      {},
      { silences: source(silence('S-7', { bucket: 'another-bucket' }), silence('S-8', { type: 'SensitiveData:S3Object/Credentials' })) },
    );
    const report = await processFindingBatch(sqsBatch([finding(1)]), deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['alerted']);
    expect(deps.publisher.alerts).toHaveLength(1);
  });

  test('a finding is judged at its own time: before the silence it alerts, inside it is silenced; the next alert lists what was silenced', async () => {
    const start = new Date(Date.parse(sensitive.detail.updatedAt) + 30 * 60_000).toISOString();
    const end = new Date(Date.parse(sensitive.detail.updatedAt) + 90 * 60_000).toISOString();
    const deps = await testDeps({}, { silences: source(silence('S-7', { bucket }, { startsAt: start, endsAt: end })) });
    // +0, before the silence: the group's first alert. +40: silenced. +80: its "still occurring" is due (60 min
    // after the first) and silenced; a silenced alert counts as sent for the group's repeat interval, so +120
    // is grouped and +150 (after the silence, 70 min after +80) is the next "still occurring", listing the two.
    const report = await processFindingBatch(sqsBatch([finding(1, 0), finding(2, 40), finding(3, 80), finding(4, 120), finding(5, 150)]), deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['alerted', 'silenced', 'silenced', 'grouped', 'alerted']);
    expect(deps.publisher.alerts.map((a) => a.id.replace(/^.*:/, ''))).toEqual(['first', '5']);
    const still = deps.publisher.alerts[1];
    expect(still.silenced).toEqual([{ silenceId: 'S-7', what: sensitive.detail.type, count: 2 }]);
    expect(JSON.parse(renderJson(still)).silenced).toEqual([{ silenceId: 'S-7', what: sensitive.detail.type, count: 2 }]);
  });

  test("the run summary says how many of the run's findings were silenced, and by which silence", async () => {
    const deps = await testDeps({}, { silences: source(silence('S-7', { bucket })) });
    const runDate = '2024-04-14T17:00:00.000000Z';
    const ev = jobStream(jobId, 'Findings_Job', runDate);
    await processLogsPayload(logsPayload([logEvent(ev('SCHEDULED_RUN_STARTED', runDate))]), deps);
    await processFindingBatch(sqsBatch([finding(1), finding(2)]), deps);
    const done = await processLogsPayload(logsPayload([logEvent(ev('SCHEDULED_RUN_COMPLETED', at(runDate, 600)))]), deps);
    const summary = done.published.find((a) => a.category === 'JOB_RUN_SUMMARY')!;
    expect(summary.whatHappened).toContain(`It produced 2 sensitive data findings`);
    expect(summary.whatHappened).toContain(`2 sensitive data findings silenced: silence S-7 by alice until ${UNTIL} (bucket migration).`);
    expect(summary.silenced).toEqual([{ silenceId: 'S-7', what: sensitive.detail.type, count: 2 }]);
  });
});

describe('silenced API calls', () => {
  const call = (name: string, changes: (r: Record<string, any>) => void = () => undefined, id = name) => {
    const record = fixture(`api-calls/call-${name}.json`);
    record.eventID = `${id}-event`;
    changes(record);
    return cloudTrailEvent(record);
  };

  test('a call a silence matches (its account, its job) is applied and not alerted', async () => {
    const deps = await testDeps({}, { silences: source(silence('S-1', { accountId: '111122223333', type: 'UpdateClassificationJob' })) });
    const report = await processApiCallBatch(sqsBatch([call('UpdateClassificationJob'), call('DeleteAllowList')]), deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['silenced', 'alerted']);
    expect(deps.publisher.alerts.map((a) => a.eventType)).toEqual(['DeleteAllowList']);
  });

  test.each(['DisableMacie', 'UpdateMacieSession', 'DisableOrganizationAdminAccount', 'CreateFindingsFilter', 'UpdateFindingsFilter', 'DeleteFindingsFilter'])(
    '%s is never silenced, even by a silence that matches its account',
    async (name) => {
      const deps = await testDeps({}, { silences: source(silence('S-1', { accountId: '111122223333' }), silence('S-2', { type: name })) });
      const report = await processApiCallBatch(sqsBatch([call(name)]), deps);
      expect(report.records.map((r) => r.outcome)).toEqual(['alerted']);
      expect(deps.publisher.alerts.map((a) => a.eventType)).toEqual([name]);
    },
  );

  test('reveals by a silenced principal account are counted in their window, not alerted', async () => {
    const deps = await testDeps({}, { silences: source(silence('S-1', { type: 'GetSensitiveDataOccurrences' })) });
    const reveal = fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json');
    const report = await processApiCallBatch(sqsBatch([cloudTrailEvent(reveal)]), deps);
    expect(report.records.map((r) => r.outcome)).toEqual(['silenced']);
    expect(deps.publisher.alerts).toEqual([]);
    const window = await deps.store.get(keys.principalReveals(reveal.userIdentity.arn));
    expect(window).toMatchObject({ count: 1, silenced: { 'S-1': { events: { GetSensitiveDataOccurrences: 1 } } } });
  });
});
