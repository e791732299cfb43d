import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS } from '../../lambda/core/telemetry';
import { codeSpans, markdownLines } from './markdown';

/** docs/operations.md lists the metrics a user can alarm on: the same list, with the same dimensions, as the code. */
test('docs/operations.md lists every metric of the catalogue with its dimension, and no other', () => {
  const page = readFileSync(join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const line of markdownLines(page)) {
    const cells = line.fence === undefined && line.text.startsWith('| `') ? line.text.split('|').map((c) => c.trim()) : [];
    const [name] = cells.length > 3 ? codeSpans(cells[1]) : [];
    if (name && /^[A-Z]/.test(name)) rows.set(name, codeSpans(cells[2])[0]);
  }
  const expected = Object.entries(METRICS).map(([name, spec]) => [name, 'dimension' in spec ? spec.dimension : 'service']);
  expect([...rows].sort()).toEqual(expected.sort());
});
