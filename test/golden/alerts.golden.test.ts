import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMAIL_SUBJECT_MAX } from '../../lambda/delivery/render-email';
import { EXAMPLES_HEADER, renderScenario } from './render-golden';
import { PUBLISHED_ALERTS_JSON, publishedAlerts, type PublishedAlert } from './published-alerts';
import { runScenario, SCENARIOS } from './scenarios';

/**
 * Golden renderings of every alert kind, from real pipeline output. `npm run docs:alerts` (UPDATE_GOLDEN=1)
 * rewrites the golden files and docs/alert-examples.md; without it, any difference fails.
 */

const OUTPUT = join(__dirname, 'output');
const DOCS = join(__dirname, '..', '..', 'docs', 'alert-examples.md');
const ALERTS = join(OUTPUT, 'alerts.json');
const update = process.env.UPDATE_GOLDEN === '1';
const rendered = new Map<string, string>();
const published = new Map<string, readonly PublishedAlert[]>();

describe.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', (name, scenario) => {
  let records: Awaited<ReturnType<typeof runScenario>>['records'];
  beforeAll(async () => {
    records = (await runScenario(scenario)).records;
    rendered.set(name, renderScenario(scenario, records));
    published.set(name, publishedAlerts(scenario, records));
  }, 60_000);

  test('publishes at least one alert, each within SNS limits (the recording publisher refuses what SNS refuses)', () => {
    expect(records.length).toBeGreaterThan(0);
  });

  test('its renderings equal the golden file', () => {
    const file = join(OUTPUT, `${name}.md`);
    if (update) {
      mkdirSync(OUTPUT, { recursive: true });
      writeFileSync(file, rendered.get(name)!);
    }
    expect(existsSync(file) ? readFileSync(file, 'utf8') : '(no golden file: run npm run docs:alerts)').toBe(rendered.get(name));
  });

  test('two different alerts never share a subject, and what tells them apart is within what SNS keeps', () => {
    const subjects = new Map<string, string>();
    for (const { alert, message } of records) {
      expect(message.Subject.length).toBeLessThanOrEqual(EMAIL_SUBJECT_MAX);
      const other = subjects.get(message.Subject);
      if (other !== undefined && other !== alert.id) throw new Error(`alerts ${other} and ${alert.id} share the subject "${message.Subject}"`);
      subjects.set(message.Subject, alert.id);
    }
  });
});

test('the scenarios hold summaries of two runs of one job, so the subject check compares them', () => {
  const runsByJob = new Map<string, Set<string>>();
  for (const alerts of published.values())
    for (const { alert } of alerts)
      if (alert.category === 'JOB_RUN_SUMMARY' && alert.job)
        runsByJob.set(alert.job.id, (runsByJob.get(alert.job.id) ?? new Set()).add(alert.job.runDate ?? ''));
  expect(Math.max(...[...runsByJob.values()].map((runs) => runs.size))).toBeGreaterThanOrEqual(2);
});

test('docs/alert-examples.md is the golden output, generated', () => {
  const page = [EXAMPLES_HEADER, ...SCENARIOS.map((s) => rendered.get(s.name))].join('\n');
  if (update) writeFileSync(DOCS, page);
  expect(readFileSync(DOCS, 'utf8')).toBe(page);
});

test("test/golden/output/alerts.json (the alerts other suites test) is every scenario's published alerts, generated", () => {
  const json = PUBLISHED_ALERTS_JSON(SCENARIOS.flatMap((s) => published.get(s.name) ?? []));
  if (update) writeFileSync(ALERTS, json);
  expect(existsSync(ALERTS) ? readFileSync(ALERTS, 'utf8') : '(no alerts.json: run npm run docs:alerts)').toBe(json);
});
