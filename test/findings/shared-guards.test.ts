import { processFindingBatch } from '../../lambda/findings/pipeline';
import { findingEvent, fixture, sensitiveFinding, setCurrentRun, sqsBatch, testDeps } from './kit';

/**
 * Two groups of one job run share items: the run's findings ledger (each bumps it) and the run's roll-up of the
 * type (the first claims it, the other checks it). Their units must never be written by two transactions at
 * once (DynamoDB cancels one: TransactionConflict, and the batch goes round again): in one transaction when
 * they fit, else one after the other. The crash tests number every call of the fault-free invocation, so a
 * retry here would shift every kill point.
 */
const RUN = '2024-04-14T17:09:30.000Z';

test.each([1, 2, 3, 4, 5])('120 findings of two buckets and a policy finding: two transactions one after the other, one attempt (try %i)', async () => {
  const deps = await testDeps();
  await setCurrentRun(deps.store, RUN);
  const policy = findingEvent(fixture('findings/policy-S3BucketPublic.json'), { eventId: 'policy-1' });
  const batch = sqsBatch([...Array.from({ length: 120 }, (_, n) => sensitiveFinding(n, { bucket: n % 2 ? 'bucket-b' : 'bucket-a' })), policy]);
  const report = await processFindingBatch(batch, deps);
  expect(report.batchItemFailures).toEqual([]);
  const applied = deps.telemetry.lines.find((l) => l.message === 'finding batch applied');
  expect(applied?.fields).toMatchObject({ events: 121, applied: 121, failed: 0, transactions: 2, attempts: 1 });
});
