/**
 * One jest run's shared folder, for the suites that check what every other suite recorded
 * (`*.recorded.test.ts`, see aws-call-recorder.ts). Plain JavaScript: jest loads its sequencer and reporters
 * without transforming them.
 *
 * - The sequencer (jest.config.js `testSequencer`) orders the run as jest's default sequencer does, then puts
 *   the recorded suites last, makes the run's folder, writes the list of the run's test files into it and
 *   names it in the environment, which jest's workers and the handler processes they start inherit.
 * - The reporter (jest.config.js `reporters`) marks each test file done as its result comes back to the main
 *   process (passed, failed or crashed alike), so a recorded suite can wait for every other suite of the
 *   run, in whatever worker and order they ran; it removes the folder when the run ends.
 *
 * A folder named in the environment before jest starts is used instead, and kept: scripts/cli-policy.ts
 * reads what the CLI's suites recorded there.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const RUN_DIR_ENV = 'MACIE_ALERTS_AWS_CALLS_DIR';
const RUNS = join(tmpdir(), 'macie-alerts-test-runs');
const STALE_MS = 24 * 3600 * 1000;

/** The folder this process made (removed at the end), as opposed to one it was given. */
let ownFolder;

const isRecorded = (path) => path.endsWith('.recorded.test.ts');
const doneMarker = (dir, path) => join(dir, 'done', createHash('sha1').update(path).digest('hex'));

class RecordedLastSequencer extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    const ordered = [...sorted.filter((t) => !isRecorded(t.path)), ...sorted.filter((t) => isRecorded(t.path))];
    startRun(ordered.map((t) => t.path));
    return ordered;
  }
}

function startRun(testPaths) {
  const given = process.env[RUN_DIR_ENV];
  if (given) {
    mkdirSync(join(given, 'done'), { recursive: true });
    writeFileSync(join(given, 'tests.json'), JSON.stringify(testPaths));
    return;
  }
  mkdirSync(RUNS, { recursive: true });
  // Folders of runs that were killed before their reporter could remove them.
  for (const name of readdirSync(RUNS)) {
    const path = join(RUNS, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another run removed it first.
    }
  }
  const dir = join(RUNS, `${process.pid}-${Date.now()}`);
  mkdirSync(join(dir, 'done'), { recursive: true });
  writeFileSync(join(dir, 'tests.json'), JSON.stringify(testPaths));
  process.env[RUN_DIR_ENV] = dir;
  ownFolder = dir;
}

class TestRunReporter {
  onTestFileResult(test) {
    const dir = process.env[RUN_DIR_ENV];
    if (dir) writeFileSync(doneMarker(dir, test.path), test.path);
  }

  onRunComplete() {
    if (ownFolder && !process.env.MACIE_ALERTS_KEEP_TEST_RUN) rmSync(ownFolder, { recursive: true, force: true });
  }
}

module.exports = { RecordedLastSequencer, TestRunReporter, RUN_DIR_ENV, isRecorded, doneMarker };
