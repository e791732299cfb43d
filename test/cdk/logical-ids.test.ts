import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildStack, TEAM, TENANT } from './stack-fixture';

/**
 * Construct ids are a contract with deployed stacks: a changed logical id makes CloudFormation replace the
 * resource (a new, empty state table; new topics whose subscribers must confirm again). This test holds every
 * logical id and type of the synthesized template, with every optional part switched on, against the list
 * recorded in logical-ids.json. A deliberate change rewrites the list with RECORD_LOGICAL_IDS=1 and says why
 * in its commit.
 */
const FIXTURE = join(__dirname, 'logical-ids.json');

/** Every optional part on: subscribers of each kind, both chats, API-call alerts and the dashboard. */
function everyPart() {
  return buildStack({
    emailSubscribers: [{ endpoint: 'ops@example.com', minSeverity: 'HIGH' }],
    smsSubscribers: [{ endpoint: '+12065550100' }],
    httpsSubscribers: [{ endpoint: 'https://hooks.example.com/macie' }],
    slack: { workspaceId: 'T0123456789', channelId: 'C0123456789' },
    teams: { tenantId: TENANT, teamId: TEAM, channelId: '19%3Aabc%40thread.tacv2' },
    chatMinSeverity: 'HIGH',
  }).template.toJSON();
}

function logicalIds(template: Record<string, Record<string, { Type?: string }>>): Record<string, Record<string, string>> {
  const typed = (section: Record<string, { Type?: string }> = {}) =>
    Object.fromEntries(
      Object.entries(section)
        .map(([id, value]) => [id, value.Type ?? 'Output'])
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  return { Resources: typed(template.Resources), Outputs: typed(template.Outputs) };
}

describe('the synthesized template keeps its logical ids', () => {
  test('every resource and output has the logical id and type recorded in logical-ids.json', () => {
    const actual = logicalIds(everyPart());
    if (process.env.RECORD_LOGICAL_IDS === '1') writeFileSync(FIXTURE, `${JSON.stringify(actual, null, 2)}\n`);
    expect(actual).toEqual(JSON.parse(readFileSync(FIXTURE, 'utf8')));
  });
});
