import { findingRun, HOLD_FOR_RUN_MINUTES, type FindingRun } from '../../lambda/findings/finding-run';
import { UNKNOWN_RUN } from '../../lambda/state/table';

const R1 = '2024-04-14T17:00:00.000Z';
const R2 = '2024-04-15T17:00:00.000Z';
const at = (base: string, minutes: number) => new Date(Date.parse(base) + minutes * 60_000).toISOString();
const NOW = new Date(at(R2, 120));

test.each<[string, Parameters<typeof findingRun>[0], FindingRun | 'held']>([
  ['in the current run', { createdAt: at(R2, 5), starts: [R1, R2], now: NOW }, { run: R2, reason: 'the newest run start before the finding was created' }],
  [
    'a backlog: created in the previous run, counted there',
    { createdAt: at(R1, 5), starts: [R1, R2], now: NOW },
    { run: R1, reason: 'the newest run start before the finding was created' },
  ],
  [
    'times with and without milliseconds compare as instants',
    { createdAt: '2024-04-15T17:00:00Z', starts: [R1, R2], now: NOW },
    { run: R2, reason: 'the newest run start before the finding was created' },
  ],
  [
    'created at the end of its run: still that run',
    { createdAt: at(R1, 30), starts: [R1], candidateEndedAt: at(R1, 30), now: new Date(at(R1, 31)) },
    { run: R1, reason: 'the newest run start before the finding was created' },
  ],
  [
    'created after the newest run ended: its run is not shown yet, held',
    { createdAt: at(R1, 40), starts: [R1], candidateEndedAt: at(R1, 30), now: new Date(at(R1, 45)) },
    'held',
  ],
  ['a job the log has not shown: held', { createdAt: at(R1, 5), starts: [], now: new Date(at(R1, 6)) }, 'held'],
  [
    `held for ${HOLD_FOR_RUN_MINUTES} minutes at most, then run UNKNOWN`,
    { createdAt: at(R1, 40), starts: [R1], candidateEndedAt: at(R1, 30), now: new Date(at(R1, 40 + HOLD_FOR_RUN_MINUTES)) },
    { run: UNKNOWN_RUN, reason: 'its run not shown by the job log in time' },
  ],
  [
    'a job never shown, past the hold: run UNKNOWN',
    { createdAt: at(R1, 5), starts: [], now: NOW },
    { run: UNKNOWN_RUN, reason: 'its run not shown by the job log in time' },
  ],
  [
    'created before every run start the job keeps: run UNKNOWN, not held',
    { createdAt: at(R1, -60), starts: [R1, R2], now: new Date(at(R1, -59)) },
    { run: UNKNOWN_RUN, reason: 'created before the job runs the job log keeps' },
  ],
])('%s', (_, input, want) => {
  const got = findingRun(input);
  if (want === 'held') expect(got).toEqual({ held: expect.any(String) });
  else expect(got).toEqual(want);
});
