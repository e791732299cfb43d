import { COMMAND_LIST } from '../../src/cli/args';
import { main } from '../../src/cli/main';

/** What `macie-alerts` says when it is not given a command it knows. */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const code = await main(argv, { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } });
  return { code, ...out };
}

describe('macie-alerts without a command it knows', () => {
  test('bare, it prints the command list (exit 2, as for any missing argument)', async () => {
    const run = await cli([]);
    expect(run).toEqual({ code: 2, stdout: '', stderr: COMMAND_LIST });
    for (const command of ['replay', 'redrive', 'silence']) expect(run.stderr).toMatch(new RegExp(`^  ${command} {2,}\\S`, 'm'));
  });

  test('an unknown command is named, then the command list', async () => {
    const run = await cli(['relpay', 'samples/']);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `macie-alerts: unknown command "relpay": expected \`replay\`, \`redrive\`, \`silence\`, \`ack\` or \`selftest\`\n${COMMAND_LIST}`,
    });
  });

  test("a known command's mistake points to that command's --help", async () => {
    const run = await cli(['redrive']);
    expect(run.stderr).toBe(
      'macie-alerts: redrive needs --stack NAME: the stack `cdk deploy` made (e.g. MacieAlerts-eu-west-1)\nRun `macie-alerts redrive --help` for usage.\n',
    );
  });

  test('--help starts with the command list, then every command', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith(COMMAND_LIST)).toBe(true);
    for (const usage of ['Usage: macie-alerts replay', 'Usage: macie-alerts redrive', 'Usage: macie-alerts silence add']) expect(run.stdout).toContain(usage);
  });
});
