import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_SUITES, operatorPolicy, pageBlock, policyBlock } from '../support/operator-policy';
import { currentTestRun, otherSuitesDone, recordedCalls } from '../support/recorded-calls';

/**
 * The IAM policy docs/cli.md gives operators is what the CLI's suites recorded in this run (every AWS call
 * `silence`, `redrive` and `selftest` make): a command that starts calling something new, or stops, changes
 * the policy, and `npm run cli-policy` writes it. Runs after every other suite (test/support/test-run.js),
 * when the run holds the CLI's suites.
 */
const run = currentTestRun();
const cliSuitesRan = CLI_SUITES.every((s) => run?.suites.includes(s));

(cliSuitesRan ? describe : describe.skip)('the operators’ policy in docs/cli.md', () => {
  beforeAll(async () => {
    await otherSuitesDone(run!, 30 * 60_000);
  }, 31 * 60_000);

  test('is the policy the CLI’s recorded calls need (run `npm run cli-policy` to write it)', () => {
    const page = readFileSync(join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
    expect(pageBlock(page)).toBe(policyBlock(operatorPolicy(recordedCalls(run!))));
  });
});
