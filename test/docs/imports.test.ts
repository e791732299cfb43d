import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * docs/development.md says, room by room, what each folder of lambda/ may import, and what lib/ and src/
 * may. This test reads those lines and checks every relative import of every file against them, so the rule
 * and the code cannot drift: a new edge is a change to the page first.
 */
const root = resolve(__dirname, '..', '..');
const lambdaDir = join(root, 'lambda');

function roomsAllowed(): Map<string, Set<string> | 'all'> {
  const page = readFileSync(join(root, 'docs', 'development.md'), 'utf8');
  const allowed = new Map<string, Set<string> | 'all'>();
  for (const section of page.split(/^### /m).slice(1)) {
    const heading = /^`lambda\/([^`/]+)\/?`/.exec(section);
    if (!heading) continue;
    const room = heading[1];
    const rule = /(May import|imports types only, from):?\s+([\s\S]*?)(?:\n\n|$)/.exec(section);
    if (!rule) throw new Error(`docs/development.md: the section of lambda/${room} says nothing about what it may import`);
    if (/every room/.test(rule[2])) {
      allowed.set(room, 'all');
      continue;
    }
    // The rule is the list up to its first full stop or parenthesis; what follows explains it.
    const list = rule[2].split(/\.\s|\.$|\(/)[0];
    const named = /^nothing else/.test(list) ? [] : [...list.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    allowed.set(room, new Set(named));
  }
  return allowed;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The room of a file: its folder under lambda/, or its own name for a file at the top (pipeline-deps.ts). */
function roomOf(path: string): string {
  const [first, ...rest] = relative(lambdaDir, path).split('/');
  return rest.length > 0 ? first : first.replace(/\.ts$/, '.ts');
}

describe('lambda/ imports run the way docs/development.md says', () => {
  const allowed = roomsAllowed();

  test('the page has a rule for every room', () => {
    const rooms = [...new Set(filesUnder(lambdaDir).map(roomOf))].sort();
    expect(rooms.filter((r) => !allowed.has(r))).toEqual([]);
  });

  test('no file imports a room its rule does not name', () => {
    const violations: string[] = [];
    for (const file of filesUnder(lambdaDir)) {
      const from = roomOf(file);
      const rule = allowed.get(from);
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(`${lambdaDir}/`)) {
          violations.push(`${relative(root, file)} imports ${spec}, outside lambda/`);
          continue;
        }
        const to = roomOf(`${target}.ts`);
        if (to === from || rule === 'all' || rule?.has(to)) continue;
        violations.push(`${relative(root, file)} (${from}) imports ${to} (${spec})`);
      }
    }
    expect(violations).toEqual([]);
  });
});

/**
 * The "May import" lines of the folders outside lambda/ (`lib/`, `src/`): each names folders (`lambda/`) or
 * single files (`lib/region-name.ts`) a file of the folder may import from outside its own folder.
 */
function foldersAllowed(): Map<string, string[]> {
  const page = readFileSync(join(root, 'docs', 'development.md'), 'utf8');
  const allowed = new Map<string, string[]>();
  for (const section of page.split(/^### /m).slice(1)) {
    const heading = /^`(lib|src)\/`/.exec(section);
    if (!heading) continue;
    const rule = /May import:?\s+([\s\S]*?)(?:\n\n|$)/.exec(section);
    if (!rule) throw new Error(`docs/development.md: the section of ${heading[1]}/ says nothing about what it may import`);
    const list = rule[1].split(/\.\s|\.$|\(/)[0];
    allowed.set(
      heading[1],
      [...list.matchAll(/`([^`]+)`/g)].map((m) => m[1]),
    );
  }
  return allowed;
}

describe('lib/ and src/ import what docs/development.md says', () => {
  const allowed = foldersAllowed();

  test('the page has a rule for lib/ and for src/', () => {
    expect([...allowed.keys()].sort()).toEqual(['lib', 'src']);
  });

  test.each(['lib', 'src'])('no file of %s/ imports a file outside it that its rule does not name', (folder) => {
    const folderDir = join(root, folder);
    const names = allowed.get(folder) ?? [];
    const violations: string[] = [];
    for (const file of filesUnder(folderDir)) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = relative(root, resolve(dirname(file), spec));
        if (target.startsWith(`${folder}/`)) continue;
        const named = names.some((name) => (name.endsWith('/') ? target.startsWith(name) : `${target}.ts` === name));
        if (!named) violations.push(`${relative(root, file)} imports ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });
});

describe('the tests hold AWS to its rules', () => {
  test('every suite mocks AWS clients through test/support/aws-mock.ts (SNS limits, recorded calls), never aws-sdk-client-mock directly', () => {
    const testDir = join(root, 'test');
    const direct = filesUnder(testDir)
      .filter((file) => file !== join(testDir, 'support', 'aws-mock.ts'))
      .filter((file) => /^import [^\n]* from 'aws-sdk-client-mock'/m.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(direct).toEqual([]);
  });
});
