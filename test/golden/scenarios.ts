import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveSettings, type PipelineSettings } from '../../lambda/core/settings';
import { RecordingTelemetry } from '../../lambda/core/telemetry';
import { processApiCallBatch } from '../../lambda/api-calls/pipeline';
import { RecordingPublisher } from '../../lambda/delivery/recording-publisher';
import { processFindingBatch } from '../../lambda/findings/pipeline';
import { processHealthBatch } from '../../lambda/health/pipeline';
import { processLogsPayload } from '../../lambda/job-log/pipeline';
import type { PipelineDeps } from '../../lambda/pipeline-deps';
import { addSilence, expireSilence } from '../../lambda/silences/silence-store';
import { sweep } from '../../lambda/sweeper/sweep';
import { TestClock } from '../support/clock';
import { logEvent, logsPayload } from '../support/cloudwatch';
import { freshStore } from '../support/dynamodb';
import { at, bucketError, jobStream } from '../fixtures/job-log/streams';
import { clone, cloudTrailEvent, FIXTURES, findingEvent, fixture, minutesAfter, sensitiveFinding, SENSITIVE_JOB_ID, sqsBatch } from '../findings/kit';

/**
 * The alerts as a specification: each scenario drives the real pipelines (DynamoDB Local, a test clock) with
 * fixed inputs, and what they publish is the golden output, in every form, and the examples of
 * docs/alert-examples.md. A new alert kind is one row here: a name, a heading and its fixed input.
 */

export interface Drive {
  readonly clock: TestClock;
  readonly deps: PipelineDeps;
  /** One CloudWatch Logs subscription batch of job log events (one stream). */
  jobLog(events: readonly Record<string, unknown>[]): Promise<void>;
  /** EventBridge events (findings, CloudTrail records) as one SQS batch to the findings or API-call pipeline. */
  findings(events: readonly unknown[]): Promise<void>;
  apiCalls(events: readonly unknown[]): Promise<void>;
  /** AWS Health events as one SQS batch to the Health pipeline. */
  health(events: readonly unknown[]): Promise<void>;
  sweep(): Promise<void>;
  /** Drops what was published so far: a scenario's setup (a job's earlier runs) is not what it shows. */
  forgetPublished(): void;
}

export interface Scenario {
  /** File name of its golden output: kebab-case. */
  readonly name: string;
  /** The heading of its examples in the docs. */
  readonly title: string;
  readonly settings?: Partial<Record<keyof PipelineSettings, unknown>>;
  /** The wall clock the pipelines see at the start. */
  readonly startAt: string;
  readonly drive: (d: Drive) => Promise<void>;
}

const RUN = '2024-04-14T17:00:00.000Z';
const MEMBER = '444455556666';

export async function runScenario(s: Scenario): Promise<RecordingPublisher> {
  const clock = new TestClock(new Date(s.startAt));
  const store = await freshStore(clock.now);
  const publisher = new RecordingPublisher();
  const deps: PipelineDeps = {
    store,
    publisher,
    telemetry: new RecordingTelemetry(),
    settings: resolveSettings(s.settings ?? {}),
    region: 'us-east-1',
    now: clock.now,
  };
  await s.drive({
    clock,
    deps,
    jobLog: async (events) => void (await processLogsPayload(logsPayload(events.map((e) => logEvent(e))), deps)),
    findings: async (events) => void (await processFindingBatch(sqsBatch(events), deps)),
    apiCalls: async (events) => void (await processApiCallBatch(sqsBatch(events), deps)),
    health: async (events) => void (await processHealthBatch(sqsBatch(events), deps)),
    sweep: async () => void (await sweep(deps)),
    forgetPublished: () => void publisher.records.splice(0),
  });
  return publisher;
}

/** Five nightly runs of a scheduled job, each started and completed at 02:00 and 02:30: a schedule the sweeper can predict. Their summaries are forgotten. */
const NIGHTS = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05'].map((d) => `${d}T02:00:00.000Z`);
async function nightlyRuns(d: Drive, jobId: string, jobName: string): Promise<void> {
  for (const night of NIGHTS) {
    const ev = jobStream(jobId, jobName, night);
    d.clock.set(night);
    await d.jobLog([ev('SCHEDULED_RUN_STARTED', night)]);
    d.clock.set(at(night, 30));
    await d.jobLog([ev('SCHEDULED_RUN_COMPLETED', at(night, 30))]);
  }
  d.forgetPublished();
}

const reveal = fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json');
function revealAt(time: string, findingId: string) {
  const record = clone(reveal);
  Object.assign(record, { eventID: `reveal-${time}`, eventTime: time, requestParameters: { findingId } });
  return cloudTrailEvent(record);
}

const callFiles = readdirSync(join(FIXTURES, 'api-calls'))
  .filter((f) => f.startsWith('call-'))
  .sort();

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'run-with-bucket-errors',
    title: 'A scheduled run with bucket errors: first alert, "still occurring", summary, summary updated',
    settings: { repeatIntervalMinutes: 60 },
    startAt: at(RUN, 1),
    drive: async (d) => {
      const ev = jobStream('3ce05dbb7ec5505def334104bexample', 'Nightly_PII_scan', RUN);
      await d.jobLog([ev('SCHEDULED_RUN_STARTED', RUN), ev('BUCKET_MATCHED_THE_CRITERIA', at(RUN, 1), bucketError('amzn-s3-demo-customers', MEMBER))]);
      await d.jobLog([0, 1, 2].map((i) => ev('BUCKET_ACCESS_DENIED', at(RUN, 2), bucketError(`amzn-s3-demo-locked-${i}`, MEMBER))));
      await d.jobLog([3, 4].map((i) => ev('BUCKET_ACCESS_DENIED', at(RUN, 70), bucketError(`amzn-s3-demo-locked-${i}`, MEMBER))));
      await d.jobLog([ev('SCHEDULED_RUN_COMPLETED', at(RUN, 90))]);
      await d.jobLog([ev('BUCKET_DOES_NOT_EXIST', at(RUN, 89), bucketError('amzn-s3-demo-retired', MEMBER, 'GetBucketLocation'))]);
    },
  },
  {
    name: 'bucket-list-job',
    title: 'A one-time job with a bucket list: account error, quota pause, summary',
    startAt: at(RUN, 1),
    drive: async (d) => {
      const ev = jobStream('85a55dc0fa6ed0be5939d0408example', 'Quarterly_audit', RUN);
      await d.jobLog([ev('ONE_TIME_JOB_STARTED', RUN), ev('ACCOUNT_ACCESS_DENIED', at(RUN, 1), { affectedAccount: MEMBER, operation: 'ListBuckets' })]);
      await d.jobLog([ev('JOB_PAUSED_BY_MACIE_SERVICE_QUOTA_MET', at(RUN, 5))]);
      await d.jobLog([ev('JOB_RESUMED_BY_MACIE_SERVICE_QUOTA_LIFTED', at(RUN, 600)), ev('JOB_COMPLETED', at(RUN, 660))]);
    },
  },
  {
    name: 'quiet-run',
    title: 'A run that goes quiet (the sweeper)',
    startAt: at(RUN, 1),
    drive: async (d) => {
      const ev = jobStream('b7a3c1d9e2f40a1b2c3d4e5f6example', 'Weekly_finance', RUN);
      await d.jobLog([ev('SCHEDULED_RUN_STARTED', RUN)]);
      d.clock.advance(25 * 3_600_000);
      await d.sweep();
    },
  },
  {
    name: 'policy-finding',
    title: 'A policy finding, then its recurrence',
    settings: { policyFindingRepeatHours: 1 },
    startAt: '2024-04-14T17:12:00.000Z',
    drive: async (d) => {
      const base = fixture('findings/policy-S3BucketPublic.json');
      const occurrence = (count: number, updatedAt: string) =>
        findingEvent(base, { eventId: `policy-${count}`, detail: { count, createdAt: '2024-04-14T17:11:30.000Z', updatedAt } });
      await d.findings([occurrence(1, '2024-04-14T17:11:30.000Z')]);
      await d.findings([occurrence(4, '2024-04-14T19:11:30.000Z')]);
    },
  },
  {
    name: 'sensitive-data-findings',
    title: 'Sensitive data findings of a job run: first, "still occurring"; a sample; automated discovery',
    settings: { repeatIntervalMinutes: 60 },
    startAt: '2024-04-14T17:12:00.000Z',
    drive: async (d) => {
      const ev = jobStream(SENSITIVE_JOB_ID, 'Payroll_scan', '2024-04-14T17:00:00.000Z');
      await d.jobLog([ev('ONE_TIME_JOB_STARTED', '2024-04-14T17:00:00.000Z')]);
      await d.findings([sensitiveFinding(1, { at: '2024-04-14T17:11:30.000Z' })]);
      await d.findings([2, 3, 4].map((n) => sensitiveFinding(n, { at: '2024-04-14T18:20:00.000Z' })));
      await d.findings([sensitiveFinding(9, { sample: true, bucket: 'macie-sample-finding-bucket' })]);
      const automated = clone(fixture('findings/sensitive-automated-discovery.json'));
      await d.findings([automated]);
    },
  },
  {
    name: 'findings-roll-up',
    title: 'A job run finding one type of sensitive data in many buckets: the first bucket at once, the others rolled up',
    settings: { repeatIntervalMinutes: 60 },
    startAt: '2024-04-14T17:12:00.000Z',
    drive: async (d) => {
      const ev = jobStream(SENSITIVE_JOB_ID, 'Payroll_scan', '2024-04-14T17:00:00.000Z');
      await d.jobLog([ev('ONE_TIME_JOB_STARTED', '2024-04-14T17:00:00.000Z')]);
      await d.findings([sensitiveFinding(1, { at: '2024-04-14T17:11:30.000Z', bucket: 'amzn-s3-demo-payroll-00' })]);
      await d.findings(
        Array.from({ length: 12 }, (_, i) =>
          sensitiveFinding(2 + i, { at: '2024-04-14T17:20:00.000Z', bucket: `amzn-s3-demo-payroll-${String(i + 1).padStart(2, '0')}` }),
        ),
      );
      d.clock.set('2024-04-14T18:20:00.000Z');
      await d.sweep();
    },
  },
  {
    name: 'aws-health',
    title: 'AWS Health events about Macie: a paused job about to expire, then closed; a service issue',
    startAt: '2026-12-03T09:05:00.000Z',
    drive: async (d) => {
      const expiring = fixture('health/paused-job-expiring.json');
      await d.health([expiring]);
      const closed = clone(expiring);
      Object.assign(closed, { id: 'health-closed-copy' });
      Object.assign(closed.detail, { statusCode: 'closed', lastUpdatedTime: 'Fri, 04 Dec 2026 09:00:00 GMT' });
      await d.health([closed]);
      await d.health([fixture('health/service-issue.json')]);
    },
  },
  {
    name: 'api-calls',
    title: 'Macie API calls: each call that alerts, a denied one, a reveal',
    startAt: '2024-04-14T17:12:00.000Z',
    drive: async (d) => {
      for (const file of callFiles) await d.apiCalls([cloudTrailEvent(fixture(`api-calls/${file}`))]);
      const denied = Object.assign(clone(fixture('api-calls/call-DisableMacie.json')), {
        eventID: 'denied-disable-macie',
        errorCode: 'AccessDeniedException',
        errorMessage: 'User is not authorized to perform: macie2:DisableMacie',
      });
      await d.apiCalls([cloudTrailEvent(denied)]);
      await d.apiCalls([cloudTrailEvent(fixture('api-calls/seed-cloudtrail-get-sensitive-data-occurrences.json'))]);
    },
  },
  {
    name: 'daily-digest',
    title: 'The daily digest',
    settings: { digestHourUtc: 9 },
    startAt: '2024-04-15T07:00:00.000Z',
    drive: async (d) => {
      const run = '2024-04-15T07:00:00.000Z';
      const ev = jobStream('c0ffee00c0ffee00c0ffee00example', 'Daily_exports', run);
      await d.jobLog([ev('SCHEDULED_RUN_STARTED', run), ev('BUCKET_MATCHED_THE_CRITERIA', at(run, 1), bucketError('amzn-s3-demo-exports', MEMBER))]);
      await d.jobLog([ev('BUCKET_ACCESS_DENIED', at(run, 2), bucketError('amzn-s3-demo-locked', MEMBER)), ev('SCHEDULED_RUN_COMPLETED', at(run, 30))]);
      d.clock.set('2024-04-15T09:06:00.000Z');
      await d.sweep();
    },
  },
  {
    name: 'missed-scheduled-run',
    title: 'A scheduled run that does not start (the sweeper), then the schedule resumes',
    startAt: NIGHTS[0],
    drive: async (d) => {
      await nightlyRuns(d, 'd1e2f3a4b5c6d7e8f9a0b1c2example', 'Nightly_inventory');
      d.clock.set('2026-11-06T15:00:00.000Z');
      await d.sweep();
      const late = '2026-11-07T02:00:00.000Z';
      d.clock.set(late);
      await d.jobLog([jobStream('d1e2f3a4b5c6d7e8f9a0b1c2example', 'Nightly_inventory', late)('SCHEDULED_RUN_STARTED', late)]);
      d.clock.set(at(late, 60));
      await d.sweep();
    },
  },
  {
    name: 'paused-job',
    title: 'A periodic job paused between runs: the pause, a reminder per missed night, the resumption',
    startAt: NIGHTS[0],
    drive: async (d) => {
      const job = 'e5f6a7b8c9d0e1f2a3b4c5d6example';
      await nightlyRuns(d, job, 'Nightly_HR_scan');
      const pausedAt = at(NIGHTS[NIGHTS.length - 1], 8 * 60);
      d.clock.set(pausedAt);
      await d.jobLog([jobStream(job, 'Nightly_HR_scan', undefined)('JOB_PAUSED_BY_USER', pausedAt)]);
      for (const sweepAt of ['2026-11-06T15:00:00.000Z', '2026-11-07T15:00:00.000Z', '2026-11-08T15:00:00.000Z']) {
        d.clock.set(sweepAt);
        await d.sweep();
      }
      const resumedAt = '2026-11-09T10:00:00.000Z';
      d.clock.set(resumedAt);
      await d.jobLog([jobStream(job, 'Nightly_HR_scan', undefined)('JOB_RESUMED_BY_USER', resumedAt)]);
    },
  },
  {
    name: 'silence-announcements',
    title: 'A silence announced when made and when it ends',
    startAt: '2024-06-03T10:00:00.000Z',
    drive: async (d) => {
      const silence = await addSilence(
        d.deps.store,
        {
          match: { bucket: 'legacy-*', accountId: '111122223333' },
          startsAt: '2024-06-03T10:00:00.000Z',
          endsAt: '2024-06-05T10:00:00.000Z',
          author: 'alice',
          reason: 'migration CHG-1',
          createdAt: '2024-06-03T10:00:00.000Z',
        },
        () => 'S-7K2M',
      );
      d.clock.set('2024-06-03T10:01:00.000Z');
      await d.sweep();
      // What it hides while in force: the end announcement totals it.
      const night = '2024-06-03T11:00:00.000Z';
      const ev = jobStream('3f6a1c9e8b7d4a2f9e0c1b2a3d4e5f60', 'Legacy_buckets_scan', night);
      d.clock.set('2024-06-03T11:05:00.000Z');
      await d.jobLog([
        ev('SCHEDULED_RUN_STARTED', night),
        ...['legacy-ledger', 'legacy-hr', 'legacy-exports'].map((b, i) => ev('BUCKET_ACCESS_DENIED', at(night, 1 + i), bucketError(b, '111122223333'))),
      ]);
      await expireSilence(d.deps.store, silence.id, new Date('2024-06-03T13:00:00.000Z'));
      d.clock.set('2024-06-03T13:01:00.000Z');
      await d.sweep();
    },
  },
  {
    name: 'unknown-event-type',
    title: 'A job log event type this version does not know: first alert, "still occurring"',
    settings: { repeatIntervalMinutes: 60 },
    startAt: at(RUN, 1),
    drive: async (d) => {
      const ev = jobStream('f0e1d2c3b4a5f6e7d8c9b0a1example', 'Weekly_archive', RUN);
      await d.jobLog([ev('SCHEDULED_RUN_STARTED', RUN), ev('JOB_TELEPORTED', at(RUN, 1))]);
      d.clock.set(at(RUN, 3));
      await d.jobLog([ev('JOB_TELEPORTED', at(RUN, 2)), ev('JOB_TELEPORTED', at(RUN, 3))]);
      d.clock.set(at(RUN, 75));
      await d.jobLog([ev('JOB_TELEPORTED', at(RUN, 75))]);
    },
  },
  {
    name: 'late-findings',
    title: 'Findings that arrive after their run\'s summary: "run summary updated", twice',
    settings: { repeatIntervalMinutes: 60, findingAlertsPer: 'bucket' },
    startAt: '2024-04-14T17:09:30.000Z',
    drive: async (d) => {
      const run = '2024-04-14T17:09:30.000Z';
      const ev = jobStream(SENSITIVE_JOB_ID, 'Nightly_PII_scan', run);
      let n = 0;
      const found = (count: number, bucket: string) => Array.from({ length: count }, () => sensitiveFinding(++n, { bucket, at: minutesAfter(run, 5) }));
      await d.jobLog([ev('ONE_TIME_JOB_STARTED', run)]);
      await d.findings(found(10, 'amzn-s3-demo-bucket-a'));
      d.clock.set(minutesAfter(run, 30));
      await d.jobLog([ev('JOB_COMPLETED', minutesAfter(run, 30))]);
      d.clock.set(minutesAfter(run, 40));
      await d.findings(found(3, 'amzn-s3-demo-bucket-a'));
      d.clock.set(minutesAfter(run, 45));
      await d.sweep();
      d.clock.set(minutesAfter(run, 60));
      await d.findings(found(2, 'amzn-s3-demo-bucket-b'));
      d.clock.set(minutesAfter(run, 110));
      await d.sweep();
    },
  },
  {
    name: 'held-reveals',
    title: 'Reveals of sensitive data by one principal within a repeat window, reported by the sweeper after it',
    settings: { repeatIntervalMinutes: 60 },
    startAt: '2024-04-14T10:00:00.000Z',
    drive: async (d) => {
      const reveals = [
        [0, 'f1'],
        [5, 'f2'],
        [30, 'f3'],
        [59, 'f2'],
      ] as const;
      for (const [minutes, finding] of reveals) {
        d.clock.set(minutesAfter('2024-04-14T10:00:00.000Z', minutes));
        await d.apiCalls([revealAt(minutesAfter('2024-04-14T10:00:00.000Z', minutes), finding)]);
      }
      d.clock.set('2024-04-14T11:10:00.000Z');
      await d.sweep();
    },
  },
  {
    name: 'two-runs-of-a-job',
    title: 'Two clean nightly runs of one job: their summaries differ by the run',
    startAt: NIGHTS[0],
    drive: async (d) => {
      for (const night of NIGHTS.slice(0, 2)) {
        const ev = jobStream('a1b2c3d4e5f6a7b8c9d0e1f2example', 'Nightly_contracts_scan', night);
        d.clock.set(night);
        await d.jobLog([ev('SCHEDULED_RUN_STARTED', night), ev('BUCKET_MATCHED_THE_CRITERIA', at(night, 1), bucketError('amzn-s3-demo-contracts', MEMBER))]);
        d.clock.set(at(night, 30));
        await d.jobLog([ev('SCHEDULED_RUN_COMPLETED', at(night, 30))]);
      }
    },
  },
  {
    name: 'findings-roll-up-399-buckets',
    title: "A run finding personal data in 400 buckets of 40 accounts, with names of S3's longest: the first at once, 399 rolled up",
    settings: { repeatIntervalMinutes: 60 },
    startAt: '2024-04-14T17:12:00.000Z',
    drive: async (d) => {
      const ev = jobStream(SENSITIVE_JOB_ID, 'Org_PII_scan', '2024-04-14T17:00:00.000Z');
      await d.jobLog([ev('ONE_TIME_JOB_STARTED', '2024-04-14T17:00:00.000Z')]);
      const found = (i: number, at: string) => {
        const event = sensitiveFinding(1 + i, {
          at,
          bucket: `customer-exports-${String(i).padStart(4, '0')}-${'x'.repeat(63 - 22)}`,
          severity: i % 3 ? 'Medium' : 'High',
        });
        const account = String(111122220000 + (i % 40));
        Object.assign(event, { account });
        Object.assign(event.detail, { accountId: account });
        return event;
      };
      await d.findings([found(0, '2024-04-14T17:11:30.000Z')]);
      for (let from = 1; from < 400; from += 100)
        await d.findings(Array.from({ length: Math.min(100, 400 - from) }, (_, k) => found(from + k, '2024-04-14T17:20:00.000Z')));
      d.clock.set('2024-04-14T18:20:00.000Z');
      await d.sweep();
    },
  },
  {
    name: 'many-buckets-two-accounts',
    title: 'A run whose errors name 29 buckets in two accounts: lists cut at 10',
    startAt: at(RUN, 1),
    drive: async (d) => {
      const ev = jobStream('5d4c3b2a1f0e9d8c7b6a5f4e3example', 'Customer_data_scan', RUN);
      const denied = (i: number) =>
        ev('BUCKET_ACCESS_DENIED', at(RUN, 2), bucketError(`customer-data-${String(i + 1).padStart(2, '0')}`, i % 2 === 0 ? '111122223333' : MEMBER));
      await d.jobLog([ev('ONE_TIME_JOB_STARTED', RUN), ...Array.from({ length: 29 }, (_, i) => denied(i))]);
      d.clock.set(at(RUN, 31));
      await d.jobLog([ev('JOB_COMPLETED', at(RUN, 30))]);
    },
  },
];
