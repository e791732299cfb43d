/**
 * Writes the IAM policy that docs/cli.md ("Permissions") gives operators for `silence`, `redrive` and
 * `selftest`, from the calls the CLI's suites make: `npm run cli-policy`. It runs those suites with the AWS
 * call recorder on (test/support/aws-call-recorder.ts), in a folder of its own, then rewrites the page's
 * policy block. test/cli/operator-policy.recorded.test.ts fails when the page and the recordings differ.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { recordedCalls } from '../test/support/recorded-calls';
import { CLI_SUITES, operatorPolicy, withPolicy } from '../test/support/operator-policy';

const root = resolve(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'macie-alerts-cli-policy-'));
try {
  const jest = spawnSync(process.execPath, [join(root, 'node_modules', 'jest', 'bin', 'jest.js'), ...CLI_SUITES], {
    cwd: root,
    env: { ...process.env, MACIE_ALERTS_AWS_CALLS_DIR: dir },
    stdio: 'inherit',
  });
  if (jest.status !== 0) throw new Error('the CLI suites failed: the policy was not written');
  const page = join(root, 'docs', 'cli.md');
  writeFileSync(page, withPolicy(readFileSync(page, 'utf8'), operatorPolicy(recordedCalls({ dir, suites: [], full: false }))));
  process.stdout.write('cli-policy: docs/cli.md written\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
