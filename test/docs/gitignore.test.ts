import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** .gitignore keeps build leftovers out and never hides a file the repository tracks. */
const ROOT = join(__dirname, '..', '..');
const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' });

describe('.gitignore', () => {
  test('ignores what `npm pack` leaves behind', () => {
    expect(git('check-ignore', '--no-index', 'macie-alerts-0.1.0.tgz')).toBe('macie-alerts-0.1.0.tgz\n');
  });

  test('lists no file the repository tracks', () => {
    expect(git('ls-files', '--cached', '--ignored', '--exclude-standard')).toBe('');
  });
});
