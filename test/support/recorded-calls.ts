import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { RecordedCall } from './aws-call-recorder';

const { RUN_DIR_ENV, isRecorded, doneMarker } = require('./test-run.js') as {
  RUN_DIR_ENV: string;
  isRecorded: (path: string) => boolean;
  doneMarker: (dir: string, path: string) => string;
};

const ROOT = resolve(__dirname, '..', '..');

/**
 * The jest run a recorded suite is part of (test-run.js): which test files it holds, whether that is every
 * test file of the repository, and, once the other suites are done, every call they recorded.
 */
export interface TestRun {
  readonly dir: string;
  /** The run's other suites (recorded suites excluded), relative to the repository. */
  readonly suites: readonly string[];
  /** Every test file of the repository is in the run: a grant no recording uses is then unused by the tests. */
  readonly full: boolean;
}

/** The current run, or undefined when jest was not started with the repository's config (nothing recorded). */
export function currentTestRun(): TestRun | undefined {
  const dir = process.env[RUN_DIR_ENV];
  if (!dir || !existsSync(join(dir, 'tests.json'))) return undefined;
  const tests = JSON.parse(readFileSync(join(dir, 'tests.json'), 'utf8')) as string[];
  const inRun = new Set(tests.map((t) => relative(ROOT, t)));
  const full = allTestFiles(join(ROOT, 'test')).every((t) => inRun.has(relative(ROOT, t)));
  return { dir, suites: tests.filter((t) => !isRecorded(t)).map((t) => relative(ROOT, t)), full };
}

/** Resolves once every other suite of the run has reported its result (any outcome); rejects after `timeoutMs`. */
export async function otherSuitesDone(run: TestRun, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = run.suites.filter((s) => !existsSync(doneMarker(run.dir, resolve(ROOT, s))));
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`suites still running after ${timeoutMs / 60_000} minutes: ${pending.join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every call recorded in the run so far (by every worker and every handler process). */
export function recordedCalls(run: TestRun): RecordedCall[] {
  const dir = join(run.dir, 'calls');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as RecordedCall),
    );
}

function allTestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allTestFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}
