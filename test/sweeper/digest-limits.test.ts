import type { AlertCategory } from '../../lambda/core/alert';
import { SEVERITIES } from '../../lambda/core/severity';
import { alertFacts, type DigestIndexEntry } from '../../lambda/delivery/alert-item';
import { renderEmailBody } from '../../lambda/delivery/render-email';
import { renderJson } from '../../lambda/delivery/render-json';
import { renderSms } from '../../lambda/delivery/render-sms';
import { JOB_EVENT_TYPES } from '../../lambda/job-log/event-types';
import type { Ack } from '../../lambda/state/ack-items';
import type { Silence } from '../../lambda/state/silence-items';
import type { RunState } from '../../lambda/state/job-items';
import { windowEndingAt } from '../../lambda/sweeper/digest';
import { buildDigestAlert } from '../../lambda/sweeper/digest-alert';
import { DIGEST_LIMITS, summarizeDigest, type DigestInputs } from '../../lambda/sweeper/digest-content';
import { testAlert } from '../support/alerts';
import { testRun } from '../support/runs';
import { hostileText, MARKUP, prng } from '../reliability/hostile-corpus';
import { renderingProblems } from '../reliability/render-checks';

/**
 * The largest day: hundreds of runs, every error type and many unknown ones, thousands of buckets, tens of
 * thousands of alerts, dozens of silences. The digest must fit every form, and the lists it shows must be
 * cut by the digest itself (the top of each, and a line counting the rest), never by a renderer.
 */
const WINDOW = windowEndingAt(new Date('2026-11-02T09:00:00.000Z'));
const IN_WINDOW = '2026-11-01T12:00:00.000Z';

function run(i: number, errors: Record<string, { n: number; buckets: string[]; accounts: string[] }>, name: (s: string) => string): RunState {
  // One in 30 ended the day before, and its end reached the pipeline only in this window: reported late.
  const late = i % 30 === 1;
  const runDate = new Date(Date.parse(WINDOW.start) + (late ? -2 * 1440 : 0) * 60_000 + (i % 1440) * 60_000).toISOString();
  return testRun({
    jobId: name(`job-${i % 97}`),
    runDate,
    jobName: name(`Job ${i % 97}`),
    status: i % 5 === 0 ? 'RUNNING' : i % 7 === 0 ? 'CANCELLED' : 'COMPLETED',
    bucketsMatched: 1000,
    startedAt: runDate,
    endedAt: i % 5 === 0 ? undefined : new Date(Date.parse(runDate) + 3_600_000).toISOString(),
    endArrivedAt: late ? IN_WINDOW : undefined,
    pausedAt: i % 11 === 0 ? runDate : undefined,
    errors: Object.fromEntries(Object.entries(errors).map(([type, e]) => [type, e.n])),
    affected: Object.fromEntries(Object.entries(errors).map(([type, e]) => [type, { buckets: e.buckets, accounts: e.accounts, total: e.n }])),
    silenced: { 'S-AAAA': { author: 'alice', reason: 'noise', endsAt: WINDOW.end, events: { BUCKET_DOES_NOT_EXIST: 1 } } },
  });
}

function largeDay(hostile: boolean): DigestInputs {
  const r = prng(hostile ? 7 : 3);
  const name = (s: string) => (hostile ? hostileText(r, s) : s);
  const bucket = (n: number) =>
    hostile && n % 3 === 0 ? `${name(`bucket-${n}`)}-${'😀é'.repeat(400)}` : `customer-data-bucket-with-a-long-name-${String(n).padStart(5, '0')}`;
  const knownTypes = Object.keys(JOB_EVENT_TYPES).filter((t) => /ERROR|DENIED|BUCKET_|ACCOUNT_/.test(t) && t !== 'BUCKET_MATCHED_THE_CRITERIA');
  const unknownTypes = Array.from({ length: 40 }, (_, i) =>
    hostile ? `${name(`NEW_ERROR_${i}`)}${MARKUP[i % MARKUP.length]}${'X'.repeat(1500)}` : `NEW_MACIE_ERROR_TYPE_${i}`,
  );
  const types = [...knownTypes, ...unknownTypes];
  const runs = Array.from({ length: 600 }, (_, i) =>
    run(
      i,
      Object.fromEntries(
        types.map((type, t) => [
          type,
          {
            n: 1 + ((i * 7 + t * 13) % 500),
            buckets: Array.from({ length: 10 }, (_, b) => bucket((i * 10 + b + t) % 5000)),
            accounts: [`1111222233${String(t % 100).padStart(2, '0')}`],
          },
        ]),
      ),
      name,
    ),
  );
  const findingTypes = Array.from({ length: 60 }, (_, i) =>
    hostile ? name(`SensitiveData:S3Object/Custom${i}`) + 'Y'.repeat(600) : `SensitiveData:S3Object/Type${i}`,
  );
  const calls = Array.from({ length: 20 }, (_, i) => `MacieCall${i}${hostile ? name('') : ''}`);
  const categories: AlertCategory[] = ['JOB_STATUS', 'JOB_RUN_SUMMARY', 'BUCKET_ERROR', 'ACCOUNT_ERROR', 'STUCK_RUN', 'PIPELINE', 'UNKNOWN_EVENT'];
  const alerts: DigestIndexEntry[] = Array.from({ length: 30_000 }, (_, i) => {
    const kind = i % 3;
    const severity = SEVERITIES[i % 4];
    const alert =
      kind === 0
        ? testAlert(`f-${i}`, {
            category: i % 2 ? 'SENSITIVE_DATA_FINDING' : 'POLICY_FINDING',
            severity,
            eventType: findingTypes[i % 60],
            count: 1 + (i % 40),
            sample: i % 97 === 0,
            affected: [{ kind: 'bucket', items: [bucket(i % 5000)], total: 1 }],
          })
        : kind === 1
          ? testAlert(`c-${i}`, {
              category: 'API_CALL',
              severity,
              eventType: calls[i % 20],
              affected: [{ kind: 'principal', items: [`arn:aws:sts::111122223333:assumed-role/${name(`Role${i % 300}`)}/${'session'.repeat(20)}`], total: 1 }],
            })
          : testAlert(`o-${i}`, { category: categories[i % categories.length], severity });
    return { createdAt: IN_WINDOW, facts: alertFacts(alert), owner: { pk: `OWNER#${i % 9000}`, sk: 'X' } };
  });
  const silences: Silence[] = Array.from({ length: 50 }, (_, i) => ({
    id: `S-${String(i).padStart(4, '0')}`,
    match: { bucket: `${name('logs')}-${i}-*`, type: 'BUCKET_ACCESS_DENIED', accountId: '111122223333' },
    startsAt: WINDOW.start,
    endsAt: '2026-12-01T00:00:00.000Z',
    author: name('alice@example.com'),
    reason: name(`migration of the logging buckets, ticket OPS-${i}: `) + 'reason '.repeat(300),
    createdAt: WINDOW.start,
  }));
  const acks: Ack[] = Array.from({ length: 50 }, (_, i) => ({
    id: `A-${String(i).padStart(4, '0')}`,
    alertId: `run:${name('job')}-${i}:2026-11-01T10:00:00.000Z:BUCKET_ACCESS_DENIED:first${'x'.repeat(900)}`,
    startsAt: WINDOW.start,
    endsAt: '2026-12-01T00:00:00.000Z',
    author: name('bob@example.com'),
    reason: name(`on it, ticket OPS-${i}: `) + 'reason '.repeat(300),
    createdAt: WINDOW.start,
  }));
  return { window: WINDOW, now: new Date(WINDOW.end), alerts, runs, silences, acks };
}

describe('the digest of the largest day', () => {
  test.each([
    ['realistic names', false],
    ['hostile names', true],
  ])('fits every form, plain and as a labelled repeat (%s)', (_name, hostile) => {
    const content = summarizeDigest(largeDay(hostile));
    const alert = buildDigestAlert(content, 'eu-west-1');
    expect(content.errorTypes.length).toBeGreaterThan(DIGEST_LIMITS.errorTypes);
    expect(content.findingTypes.length).toBeGreaterThan(DIGEST_LIMITS.findingTypes);
    expect(content.apiCalls.length).toBeGreaterThan(DIGEST_LIMITS.apiCalls);
    expect(content.silences.length).toBeGreaterThan(DIGEST_LIMITS.silences);
    expect(content.acks.length).toBeGreaterThan(DIGEST_LIMITS.acks);
    expect(renderingProblems(alert)).toEqual([]);
    expect(renderingProblems(alert, { repeat: { interruptedAt: '2026-11-02T09:00:03.000Z' } })).toEqual([]);
    // The SMS and the subject still say which day and how much.
    expect(renderSms(alert)).toMatch(/^INFO: Macie daily digest 2026-11-02 09:00 UTC: 600 runs, /);
  });

  test('shows the top of each list and counts the rest in one line, so no renderer has to cut it', () => {
    const content = summarizeDigest(largeDay(false));
    const alert = buildDigestAlert(content, 'eu-west-1');
    const labels = alert.details.map((d) => d.label);
    expect(labels.filter((l) => l.startsWith('Errors: ')).length).toBe(DIGEST_LIMITS.errorTypes + 1);
    expect(labels).toContain('Errors: other types');
    expect(labels).toContain('Findings: other types');
    expect(labels).toContain('API calls: others');
    expect(labels).toContain('Silences: others');
    expect(labels).toContain('Acknowledged: others');
    expect(content.runs.reportedLate.length).toBe(20);
    expect(alert.details.find((d) => d.label === 'Reported late')?.value).toMatch(/ and 15 more$/);
    // The biggest error types first, each with its top buckets and how many more.
    const top = content.errorTypes.slice(0, DIGEST_LIMITS.errorTypes);
    expect(top.map((t) => t.events)).toEqual([...top.map((t) => t.events)].sort((a, b) => b - a));
    // Each run kept the first 10 buckets of the type: the rest is a lower bound.
    expect(alert.details.find((d) => d.label === `Errors: ${top[0].type}`)?.value).toMatch(
      /; buckets: (customer-data-bucket-with-a-long-name-\d{5} \(\d+ runs\), ){4}customer-data-bucket-with-a-long-name-\d{5} \(\d+ runs\) and at least [\d,]+ more$/,
    );
    // Every row reaches the email and the JSON form whole: nothing left to "and N more details".
    const email = renderEmailBody(alert);
    expect(email).not.toContain('more details in the JSON form');
    for (const d of alert.details) expect(email).toContain(`${d.label}: ${d.value}`);
    const json = JSON.parse(renderJson(alert)) as { details: { label: string; value: string }[]; whatHappened: string };
    expect(json.details).toEqual(alert.details);
    expect(json.whatHappened).toBe(alert.whatHappened);
  });
});
