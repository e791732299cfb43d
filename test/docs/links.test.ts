import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { CONTEXT_KEYS, parseSettings } from '../../lib/context-settings';
import { parseArgs, USAGE, UsageError } from '../../src/cli/args';
import { createStateTable } from '../../src/local/dynamodb-local';
import { testDynamoClient } from '../support/dynamodb';
import { anchors, codeSpans, githubSlug, links, markdownLines, referenceDefinitions, referenceUses } from './markdown';

/**
 * The README and docs/*.md as a reader on GitHub meets them: every link leads somewhere, every command and
 * path they show exists, every setting is documented with its real default, and the README's demo output is
 * what `npm run demo` prints. Each check collects every problem, so one run lists them all.
 */
const ROOT = resolve(__dirname, '..', '..');
const README_MAX_LINES = 250;

const PAGES = [
  'README.md',
  'samples/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (page: string) => readFileSync(join(ROOT, page), 'utf8');
const anchorsOf = new Map(PAGES.map((page) => [page, anchors(text(page))]));

/** Paths GitHub does not have: what .gitignore keeps out of the repository. */
const IGNORED = readFileSync(join(ROOT, '.gitignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
function ignored(path: string): boolean {
  return path.split('/').some((part) =>
    IGNORED.some((pattern) => {
      const name = pattern.replace(/\/$/, '');
      return new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(part);
    }),
  );
}

function checkWebLink(target: string): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'not a well-formed URL';
  }
  if (/\s/.test(target)) return 'a URL with white space';
  if (!url.hostname.includes('.')) return `host "${url.hostname}" is not a domain name`;
  return undefined;
}

/** Why a relative link from `page` does not work on GitHub, or undefined when it does. */
function checkRelativeLink(page: string, target: string): string | undefined {
  const hash = target.indexOf('#');
  const pathPart = decodeURI(hash >= 0 ? target.slice(0, hash) : target);
  const anchor = hash >= 0 ? target.slice(hash + 1) : undefined;
  const resolved = pathPart === '' ? join(ROOT, page) : pathPart.startsWith('/') ? join(ROOT, pathPart) : resolve(ROOT, dirname(page), pathPart);
  const inRepo = relative(ROOT, resolved);
  if (inRepo.startsWith('..')) return 'leads outside the repository';
  if (!existsSync(resolved)) return `${inRepo} does not exist`;
  if (ignored(inRepo)) return `${inRepo} is ignored by git, so not on GitHub`;
  if (anchor === undefined) return undefined;
  if (!statSync(resolved).isFile()) return `#${anchor} on a directory`;
  if (!inRepo.endsWith('.md')) return /^L\d+(-L\d+)?$/.test(anchor) ? undefined : `#${anchor}: a code file has only line anchors (#L10)`;
  const targetAnchors = anchorsOf.get(inRepo) ?? anchors(readFileSync(resolved, 'utf8'));
  return targetAnchors.has(anchor) ? undefined : `no heading of ${inRepo} has the anchor #${anchor}`;
}

describe('GitHub heading anchors', () => {
  test('follow github-slugger: lowercase, punctuation dropped, spaces to hyphens, repeats numbered', () => {
    expect(githubSlug('Quick start (no AWS account needed)')).toBe('quick-start-no-aws-account-needed');
    expect(githubSlug('The `--format json` lines')).toBe('the---format-json-lines');
    expect(githubSlug('Alerts: what you receive, and choosing which')).toBe('alerts-what-you-receive-and-choosing-which');
    expect(githubSlug('lambda/job-log/ and run_state.ts')).toBe('lambdajob-log-and-run_statets');
    expect(githubSlug('Données 🔥 [linked](x.md)')).toBe('données--linked');
    expect([...anchors('# Cost\n## Cost\n```\n# Cost\n```\n### Cost\n## Cost-1\n')]).toEqual(['cost', 'cost-1', 'cost-2', 'cost-1-1']);
  });
});

describe('links in the README and docs/', () => {
  test('every page is found and the README lists every docs page', () => {
    expect(PAGES.filter((p) => p.startsWith('docs/')).length).toBeGreaterThanOrEqual(8);
    const fromReadme = new Set(links(text('README.md')).map((l) => l.target.split('#')[0]));
    expect(PAGES.filter((p) => p.startsWith('docs/') && !fromReadme.has(p))).toEqual([]);
  });

  test('relative links name a file that exists and an anchor of one of its headings; web links are well-formed', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const page of PAGES) {
      for (const link of links(text(page))) {
        checked++;
        const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(link.target)?.[1].toLowerCase();
        const problem =
          link.target === ''
            ? 'empty link'
            : scheme === 'http' || scheme === 'https'
              ? checkWebLink(link.target)
              : scheme === 'mailto'
                ? undefined
                : scheme !== undefined
                  ? `scheme ${scheme}: is not a web link`
                  : checkRelativeLink(page, link.target);
        if (problem) problems.push(`${page}:${link.line}: ${link.target}: ${problem}`);
      }
      const defined = referenceDefinitions(text(page));
      for (const use of referenceUses(text(page))) {
        if (!defined.has(use.label)) problems.push(`${page}:${use.line}: [${use.label}] has no "[${use.label}]: url" definition`);
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(problems).toEqual([]);
  });

  test(`the README is at most ${README_MAX_LINES} lines`, () => {
    expect(text('README.md').replace(/\n$/, '').split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });
});

/** Commands as written: code spans, and the lines of shell code blocks (not program output). */
function commands(page: string): { command: string; line: number }[] {
  const found: { command: string; line: number }[] = [];
  for (const line of markdownLines(text(page))) {
    if (line.fence === undefined) for (const span of codeSpans(line.text)) found.push({ command: span, line: line.number });
    else if (['sh', 'bash', 'shell', 'console', ''].includes(line.fence) && !/^ {0,3}(`{3,}|~{3,})/.test(line.text)) {
      found.push({ command: line.text, line: line.number });
    }
  }
  return found;
}

/** A command's words up to a pipe, a redirection or a comment, without placeholders like [options] and <file>... */
function words(commandLine: string): string[] {
  return commandLine
    .split(/\s(?:\||>|2>|#|&&|;)\s?/)[0]
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '' && !/^\[.*\]$/.test(w) && !/^<.*>(\.\.\.)?$/.test(w) && w !== '...' && w !== '\\');
}

/** Why the CLI's parser rejects these words as an unknown command or option, or undefined. */
function unknownToCli(args: string[]): string | undefined {
  try {
    parseArgs(args);
  } catch (error) {
    if (error instanceof UsageError && /^unknown (command|option)/.test(error.message)) return error.message;
  }
  return undefined;
}

describe('commands in the README and docs/', () => {
  const scripts = Object.keys((JSON.parse(text('package.json')) as { scripts: Record<string, string> }).scripts);

  test('every `npm run` script shown exists in package.json', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const page of PAGES) {
      for (const { command, line } of commands(page)) {
        for (const m of command.matchAll(/\bnpm run(?:\s+(?:-s|--silent))?\s+([\w:.-]+)/g)) {
          checked++;
          if (!scripts.includes(m[1])) problems.push(`${page}:${line}: npm run ${m[1]}: no such script in package.json`);
        }
      }
    }
    expect(checked).toBeGreaterThan(5);
    expect(problems).toEqual([]);
  });

  test('every macie-alerts command and option shown is one src/cli/args.ts accepts, and cli.md shows them all', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const page of PAGES) {
      for (const { command, line } of commands(page)) {
        const cli = /\bmacie-alerts\s+(.*)$/.exec(command) ?? /\bnpm run(?:\s+(?:-s|--silent))?\s+replay\s+--\s+(.*)$/.exec(command);
        if (!cli) continue;
        const args = words(cli[1]);
        const full = cli[0].startsWith('npm') ? ['replay', ...args] : args;
        checked++;
        const unknown = unknownToCli(full);
        if (unknown) problems.push(`${page}:${line}: ${command}: ${unknown}`);
      }
    }
    // The option tables of docs/cli.md: each option there, given to the command of its section.
    let section = '';
    for (const line of markdownLines(text('docs/cli.md'))) {
      if (line.fence === undefined && line.text.startsWith('## ')) section = line.text;
      const firstCell = line.fence === undefined ? /^\|([^|]+)\|/.exec(line.text)?.[1] : undefined;
      for (const span of firstCell ? codeSpans(firstCell).filter((s) => s.startsWith('-')) : []) {
        checked++;
        // An option of the silence (or ack) section belongs to one of its actions: unknown only to all of them.
        const variants = /redriv/i.test(section)
          ? [['redrive', '--stack', 'MacieAlerts-eu-west-1', ...words(span)]]
          : /deployed stack$/i.test(section)
            ? [['selftest', '--stack', 'MacieAlerts-eu-west-1', ...words(span)]]
            : /silenc/i.test(section)
              ? ['add', 'list', 'expire'].map((action) => ['silence', action, ...words(span)])
              : /acknowledg/i.test(section)
                ? [
                    ['ack', 'run:job:first', ...words(span)],
                    ['ack', 'list', ...words(span)],
                    ['ack', 'expire', ...words(span)],
                  ]
                : [['replay', ...words(span), 'input.json']];
        const unknowns = variants.map(unknownToCli);
        const unknown = unknowns.every((u) => u !== undefined) ? unknowns[0] : undefined;
        if (unknown) problems.push(`docs/cli.md:${line.number}: ${span}: ${unknown}`);
      }
    }
    const usageOptions = [...USAGE.matchAll(/^ {2}(-[\w-]+)(?:, (--[\w-]+))?/gm)].flatMap((m) => m.slice(1).filter(Boolean));
    expect(usageOptions.length).toBeGreaterThan(5);
    const shownInCode = new Set(markdownLines(text('docs/cli.md')).flatMap((l) => (l.fence === undefined ? codeSpans(l.text).flatMap(words) : [])));
    for (const option of usageOptions) if (!shownInCode.has(option)) problems.push(`docs/cli.md: ${option} (in the CLI's usage) is not documented`);
    expect(checked).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });

  test('every repository path shown in code exists', () => {
    const problems: string[] = [];
    let checked = 0;
    const pathLike = /(?<![\w/.$-])((?:bin|lib|lambda|src|test|bench|scripts|samples|docs|\.ci)\/[\w.*/-]*)/g;
    for (const page of PAGES) {
      for (const { command, line } of commands(page)) {
        for (const m of command.matchAll(pathLike)) {
          const path = m[1].replace(/[.,:;]+$/, '');
          checked++;
          if (!pathExists(path)) problems.push(`${page}:${line}: ${path} does not exist`);
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });
});

/** A path, or a glob with `*` in its last part, names something in the repository. */
function pathExists(path: string): boolean {
  if (!path.includes('*')) return existsSync(join(ROOT, path));
  const dir = join(ROOT, dirname(path));
  const name = new RegExp(
    `^${path
      .split('/')
      .pop()!
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')}$`,
  );
  return existsSync(dir) && readdirSync(dir).some((f) => name.test(f));
}

describe('settings', () => {
  /** The rows of the settings tables: first cell (keys, as code spans) -> default cell. */
  function settingRows(page: string): Map<string, string> {
    const rows = new Map<string, string>();
    for (const line of markdownLines(text(page))) {
      const cells = line.fence === undefined && line.text.startsWith('| `') ? line.text.split('|').map((c) => c.trim()) : [];
      for (const key of cells.length > 2 ? codeSpans(cells[1]) : []) rows.set(key, cells[2]);
    }
    return rows;
  }
  const all = settingRows('docs/settings.md');

  test('docs/settings.md documents every setting the app reads, with the default the code uses', () => {
    expect(CONTEXT_KEYS.filter((key) => !all.has(key))).toEqual([]);
    const { pipelineSettings, ...stack } = parseSettings({});
    const defaults: Record<string, unknown> = { ...pipelineSettings, ...stack };
    const problems: string[] = [];
    for (const key of CONTEXT_KEYS) {
      const value = defaults[key];
      const shown = typeof value === 'object' && value !== null && !Array.isArray(value) ? JSON.stringify(value) : value;
      if (['string', 'number', 'boolean'].includes(typeof shown) && all.get(key) !== `\`${String(shown)}\``) {
        problems.push(`${key}: the table says ${all.get(key)}, the code's default is ${String(shown)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('the README shows the same keys and defaults as docs/settings.md', () => {
    const readme = settingRows('README.md');
    expect(readme.size).toBeGreaterThan(5);
    expect([...readme].filter(([key, dflt]) => all.get(key) !== dflt)).toEqual([]);
  });
});

describe('the README quick start', () => {
  test('shows output that `npm run demo` really prints', async () => {
    const table = `docs-demo-${randomUUID()}`;
    await createStateTable(testDynamoClient(), table);
    const bin = join(ROOT, 'bin', 'macie-alerts-cli.js');
    // `npm run demo`'s own arguments, with the DynamoDB Local jest started instead of an embedded one.
    const demo = (JSON.parse(text('package.json')) as { scripts: { demo: string } }).scripts.demo.split(' ');
    const args = [bin, 'replay', '--endpoint', process.env.TEST_DYNAMODB_ENDPOINT!, '--table', table, ...demo.slice(demo.indexOf('replay') + 1)];
    const output = await new Promise<string>((done, fail) =>
      execFile(process.execPath, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => (error ? fail(error) : done(stdout))),
    );
    const section = text('README.md')
      .split(/^## /m)
      .find((s) => s.startsWith('Quick start'))!;
    const blocks = [...section.matchAll(/^```text\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) expect(output).toContain(block);
  });
});
