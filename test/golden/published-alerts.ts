import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '../../lambda/core/alert';
import type { PublishedRecord } from '../../lambda/delivery/recording-publisher';
import type { Scenario } from './scenarios';

/**
 * Every alert the golden scenarios publish, as data: suites that test what is done with alerts (rendering,
 * SNS limits, subscription filters) take them from here rather than from alerts written by hand.
 * alerts.golden.test.ts writes test/golden/output/alerts.json (`npm run docs:alerts`) and fails when it
 * differs from what the pipelines publish; reading the file keeps those suites off DynamoDB Local.
 */

export interface PublishedAlert {
  /** `<scenario> <n>: <category> <event type>`. */
  readonly name: string;
  readonly alert: Alert;
}

export function publishedAlerts(scenario: Scenario, records: readonly PublishedRecord[]): PublishedAlert[] {
  return records.map(({ alert }, i) => ({ name: `${scenario.name} ${i + 1}: ${alert.category} ${alert.eventType}`, alert }));
}

export const PUBLISHED_ALERTS_JSON = (alerts: readonly PublishedAlert[]) => `${JSON.stringify(alerts, null, 2)}\n`;

export const PUBLISHED_ALERTS: readonly PublishedAlert[] = JSON.parse(readFileSync(join(__dirname, 'output', 'alerts.json'), 'utf8'));

/** The first published alert of a category (and event type, if given): the golden output holds one. */
export function publishedAlert(category: Alert['category'], eventType?: string): Alert {
  const found = PUBLISHED_ALERTS.find(({ alert }) => alert.category === category && (eventType === undefined || alert.eventType === eventType));
  if (!found) throw new Error(`no published ${category} ${eventType ?? ''} alert in test/golden/output/alerts.json`);
  return found.alert;
}
