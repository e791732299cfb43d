import { resolve } from 'node:path';
import { asOrigin, currentOrigin, currentTestFile, installSdkRecorder, type CallOrigin } from './aws-call-recorder';

/**
 * Jest setup of every suite (setupFilesAfterEnv): records the AWS calls the suite's code makes
 * (aws-call-recorder.ts), each attributed to the function or CLI command whose entry point it ran under.
 * The entry points are wrapped here, in the test harness, so production code carries nothing for it: a call
 * a test makes itself (creating a table, seeding an item) has no origin and is not recorded.
 */
const ROOT = resolve(__dirname, '..', '..');

interface Entry {
  readonly actor: string;
  readonly module: string;
  readonly exports: readonly string[];
}

/** What a test calls to run each function's code (its handler, its pipeline) and each CLI command that needs AWS permissions. */
export const ENTRIES: readonly Entry[] = [
  { actor: 'job-log', module: 'lambda/handlers/job-log', exports: ['handler'] },
  { actor: 'job-log', module: 'lambda/job-log/pipeline', exports: ['processSubscriptionEvent', 'processLogsPayload'] },
  { actor: 'findings', module: 'lambda/handlers/findings', exports: ['handler'] },
  { actor: 'findings', module: 'lambda/findings/pipeline', exports: ['processFindingBatch'] },
  { actor: 'api-calls', module: 'lambda/handlers/api-calls', exports: ['handler'] },
  { actor: 'api-calls', module: 'lambda/api-calls/pipeline', exports: ['processApiCallBatch'] },
  { actor: 'health', module: 'lambda/handlers/health', exports: ['handler'] },
  { actor: 'health', module: 'lambda/health/pipeline', exports: ['processHealthBatch'] },
  { actor: 'sweeper', module: 'lambda/handlers/sweeper', exports: ['handler'] },
  { actor: 'sweeper', module: 'lambda/sweeper/sweep', exports: ['sweep'] },
  { actor: 'sweeper', module: 'lambda/sweeper/digest', exports: ['raiseDueDigests'] },
  { actor: 'cli:silence', module: 'src/cli/silence', exports: ['silenceCommand'] },
  { actor: 'cli:ack', module: 'src/cli/ack', exports: ['ackCommand'] },
  { actor: 'cli:redrive', module: 'src/cli/redrive', exports: ['redrive'] },
  { actor: 'cli:selftest', module: 'src/cli/selftest', exports: ['selfTest'] },
];

/** A function's self-test (lambda/handlers/self-test.ts): its calls are the function's, marked as its self-test's. */
const SELF_TEST_ENTRY = { module: 'lambda/handlers/self-test', exports: ['runSelfTest'] };

function wrapped(actual: Record<string, unknown>, names: readonly string[], originOf: () => CallOrigin): Record<string, unknown> {
  const module: Record<string, unknown> = { __esModule: true, ...actual };
  for (const name of names) {
    const fn = actual[name];
    if (typeof fn !== 'function') throw new Error(`record-aws-calls: ${name} is not a function any more: update ENTRIES`);
    module[name] = (...args: unknown[]) => asOrigin(originOf(), () => (fn as (...a: unknown[]) => unknown)(...args));
  }
  return module;
}

/** In a function of its own: swc's jest transform hoists a jest.mock call above the statements of its block. */
function mockModule(path: string, factory: () => unknown): void {
  jest.mock(path, factory);
}

for (const entry of ENTRIES) {
  const path = resolve(ROOT, entry.module);
  mockModule(path, () => wrapped(jest.requireActual(path), entry.exports, () => ({ actor: entry.actor })));
}

const selfTestPath = resolve(ROOT, SELF_TEST_ENTRY.module);
mockModule(selfTestPath, () =>
  wrapped(jest.requireActual(selfTestPath), SELF_TEST_ENTRY.exports, () => {
    const caller = currentOrigin();
    if (!caller) throw new Error('record-aws-calls: a self-test ran outside any function: run it through a handler');
    return { ...caller, selfTest: true };
  }),
);

installSdkRecorder(currentOrigin, currentTestFile);
