import { summaryHeadline, type HeadlineFacts } from '../../lambda/job-log/summary-headline';

const base: HeadlineFacts = {
  kind: 'summary',
  jobName: 'Nightly',
  runDate: '2024-06-03T02:00:00.000417Z',
  status: 'COMPLETED',
  noBuckets: false,
  quotaPauses: 0,
  totalErrors: 0,
  silencedErrors: 0,
};
const update = { ...base, kind: 'update' as const };

test.each<[string, Partial<HeadlineFacts>, string]>([
  ['a clean run', {}, 'Run of 2024-06-03 02:00 UTC completed: Macie job Nightly'],
  ['another run of the job', { runDate: '2024-06-04T02:00:00.000417Z' }, 'Run of 2024-06-04 02:00 UTC completed: Macie job Nightly'],
  ['errors, some silenced', { totalErrors: 4, silencedErrors: 3 }, 'Run of 2024-06-03 02:00 UTC completed with 4 errors (3 silenced): Macie job Nightly'],
  [
    'a cancelled run after a quota pause',
    { status: 'CANCELLED', totalErrors: 2, quotaPauses: 1 },
    'Run of 2024-06-03 02:00 UTC cancelled, after a quota pause: Macie job Nightly',
  ],
  ['no buckets', { noBuckets: true }, 'Run of 2024-06-03 02:00 UTC completed, no buckets matched: Macie job Nightly'],
  [
    'an update of a run with errors and no findings',
    { ...update, totalErrors: 2, findings: 0 },
    'Summary updated (run of 2024-06-03 02:00 UTC, now 2 errors): Macie job Nightly',
  ],
  [
    'an update of a run that never had errors',
    { ...update, findings: 13 },
    'Summary updated (run of 2024-06-03 02:00 UTC, now 13 findings): Macie job Nightly',
  ],
  [
    'an update with both',
    { ...update, totalErrors: 1, findings: 1_300 },
    'Summary updated (run of 2024-06-03 02:00 UTC, now 1 error, 1,300 findings): Macie job Nightly',
  ],
])('%s', (_name, facts, headline) => {
  expect(summaryHeadline({ ...base, ...facts })).toBe(headline);
});
