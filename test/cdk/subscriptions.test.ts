import { ALERT_CATEGORIES, type AlertCategory } from '../../lambda/core/alert';
import { filterPolicyMatches } from '../../lambda/delivery/filter-policy';
import { messageAttributes } from '../../lambda/delivery/sns-message';
import { parseSettings } from '../../lib/context-settings';
import { alertFilterPolicy, type FilterPolicyJson } from '../../lib/subscription-filters';
import { PUBLISHED_ALERTS } from '../golden/published-alerts';
import { EDGE_CASES } from '../support/alert-catalogue';

/** Every alert the pipelines publish in the golden scenarios, and the hand-made edge cases (the self-test among them). */
const CATALOGUE = [...PUBLISHED_ALERTS, ...EDGE_CASES];
import { buildStack, TEAM, TENANT } from './stack-fixture';

type Sub = { Endpoint: string; Protocol: string; FilterPolicy?: unknown; TopicArn: { Ref: string } };

function subscriptions(props: Parameters<typeof buildStack>[0]): Sub[] {
  const resources = buildStack(props).template.findResources('AWS::SNS::Subscription');
  return Object.values(resources).map((r) => r.Properties as Sub);
}
const onAlertTopic = (s: Sub) => s.TopicArn.Ref.startsWith('MacieAlertsAlertTopic');

describe('filter policies generated from settings', () => {
  it.each([
    ['email, no minimum: everything but the SMS budget notice', { endpoint: 'a@example.com' }, 'email', { sms: ['true', 'false'] }],
    [
      'email, MEDIUM',
      { endpoint: 'a@example.com', minSeverity: 'MEDIUM' },
      'email',
      { $or: [{ category: ['TEST'] }, { severityScore: [{ numeric: ['>=', 2] }] }], sms: ['true', 'false'] },
    ],
    [
      'email, HIGH, categories',
      { endpoint: 'a@example.com', minSeverity: 'HIGH', categories: ['API_CALL', 'POLICY_FINDING'] },
      'email',
      {
        $or: [{ category: ['TEST'] }, { severityScore: [{ numeric: ['>=', 3] }], category: ['API_CALL', 'POLICY_FINDING', 'PIPELINE'] }],
        sms: ['true', 'false'],
      },
    ],
    [
      'email, categories, no minimum',
      { endpoint: 'a@example.com', categories: ['API_CALL'] },
      'email',
      { category: ['API_CALL', 'PIPELINE', 'TEST'], sms: ['true', 'false'] },
    ],
    [
      'sms, no minimum: still no samples, within the budget, or the notice',
      { endpoint: '+12065550100' },
      'sms',
      { sample: ['false'], $or: [{ sms: ['notice'] }, { sms: ['true'] }] },
    ],
    [
      'sms, LOW',
      { endpoint: '+12065550100', minSeverity: 'LOW' },
      'sms',
      { sample: ['false'], $or: [{ sms: ['notice'] }, { category: ['TEST'], sms: ['true'] }, { severityScore: [{ numeric: ['>=', 1] }], sms: ['true'] }] },
    ],
    ['https, INFO explicitly', { endpoint: 'https://h.example.com/x', minSeverity: 'INFO' }, 'https', { sms: ['true', 'false'] }],
  ] as const)('%s', (_name, subscriber, kind, expected) => {
    expect(alertFilterPolicy(subscriber, kind)).toEqual(expected);
  });

  it('puts the exact policy on the alert-topic subscription and none on the alarm-topic one', () => {
    const subs = subscriptions({
      emailSubscribers: [{ endpoint: 'ops@example.com', minSeverity: 'HIGH', categories: ['BUCKET_ERROR'] }],
      smsSubscribers: [{ endpoint: '+12065550100', minSeverity: 'MEDIUM' }],
      httpsSubscribers: [{ endpoint: 'https://hooks.example.com/macie' }],
    });
    expect(subs.filter(onAlertTopic).map(({ Endpoint, Protocol, FilterPolicy }) => ({ Endpoint, Protocol, FilterPolicy }))).toEqual(
      expect.arrayContaining([
        {
          Endpoint: 'ops@example.com',
          Protocol: 'email',
          FilterPolicy: {
            $or: [{ category: ['TEST'] }, { severityScore: [{ numeric: ['>=', 3] }], category: ['BUCKET_ERROR', 'PIPELINE'] }],
            sms: ['true', 'false'],
          },
        },
        {
          Endpoint: '+12065550100',
          Protocol: 'sms',
          FilterPolicy: {
            sample: ['false'],
            $or: [{ sms: ['notice'] }, { category: ['TEST'], sms: ['true'] }, { severityScore: [{ numeric: ['>=', 2] }], sms: ['true'] }],
          },
        },
        { Endpoint: 'https://hooks.example.com/macie', Protocol: 'https', FilterPolicy: { sms: ['true', 'false'] } },
      ]),
    );
    const alarmSubs = subs.filter((s) => !onAlertTopic(s));
    expect(alarmSubs.map((s) => [s.Protocol, s.Endpoint, s.FilterPolicy]).sort()).toEqual(
      [
        ['email', 'ops@example.com', undefined],
        ['https', 'https://hooks.example.com/macie', undefined],
        ['sms', '+12065550100', undefined],
      ].sort(),
    );
    expect(subs).toHaveLength(6);
  });

  it('spells a severity given in another case (plain JavaScript props) as the policy needs it, not as no minimum', () => {
    const subs = subscriptions({ emailSubscribers: [{ endpoint: 'ops@example.com', minSeverity: 'high' as never }] });
    expect(subs.filter(onAlertTopic).map((s) => s.FilterPolicy)).toEqual([
      { $or: [{ category: ['TEST'] }, { severityScore: [{ numeric: ['>=', 3] }] }], sms: ['true', 'false'] },
    ]);
  });

  it('stays within SNS limits (5 keys, 150 combinations) for the widest subscriber', () => {
    const policy = alertFilterPolicy(
      {
        endpoint: '+12065550100',
        minSeverity: 'LOW',
        categories: [
          'JOB_STATUS',
          'JOB_RUN_SUMMARY',
          'ACCOUNT_ERROR',
          'BUCKET_ERROR',
          'UNKNOWN_EVENT',
          'POLICY_FINDING',
          'SENSITIVE_DATA_FINDING',
          'API_CALL',
          'STUCK_RUN',
        ],
      },
      'sms',
    )!;
    const keys = (p: FilterPolicyJson): Set<string> =>
      new Set(Object.entries(p).flatMap(([k, v]) => (k === '$or' ? (v as FilterPolicyJson[]).flatMap((b) => [...keys(b)]) : [k])));
    // SNS adds up the combinations of each $or branch, and multiplies those of the other keys.
    const combinations = (p: FilterPolicyJson): number =>
      Object.entries(p).reduce((n, [k, v]) => n * (k === '$or' ? (v as FilterPolicyJson[]).reduce((sum, b) => sum + combinations(b), 0) : v.length), 1);
    const everything = alertFilterPolicy({ endpoint: '+12065550100', minSeverity: 'LOW', categories: [...ALERT_CATEGORIES] }, 'sms')!;
    const everythingByEmail = alertFilterPolicy({ endpoint: 'a@example.com', minSeverity: 'LOW', categories: [...ALERT_CATEGORIES] }, 'email')!;
    for (const p of [policy, everything, everythingByEmail]) {
      expect(keys(p).size).toBeLessThanOrEqual(5);
      expect(combinations(p)).toBeLessThanOrEqual(150);
    }
    // Every category once (TEST and DIGEST in the branch of any severity, the others in the other), and the notice.
    expect(combinations(everything)).toBe(ALERT_CATEGORIES.length + 1);
    // By email, every category with sms "true" and "false".
    expect(combinations(everythingByEmail)).toBe(ALERT_CATEGORIES.length * 2);
  });
});

/** What SNS does with a policy and a message's attributes (lambda/delivery/filter-policy.ts, with its own table test). */
const delivers = filterPolicyMatches;

describe('the daily digest, taken alone or left out', () => {
  const everythingButDigest = ALERT_CATEGORIES.filter((c) => c !== 'DIGEST');
  const received = (policy: FilterPolicyJson | undefined) =>
    CATALOGUE.filter(({ alert }) => delivers(policy, messageAttributes(alert))).map(({ alert }) => alert.category);
  const all = CATALOGUE.map(({ alert }) => alert.category);

  it('digest only: categories DIGEST (with PIPELINE, as always)', () => {
    const policy = alertFilterPolicy({ endpoint: 'ops@example.com', categories: ['DIGEST'] }, 'email');
    expect(policy).toEqual({ category: ['DIGEST', 'PIPELINE', 'TEST'], sms: ['true', 'false'] });
    expect([...new Set(received(policy))].sort()).toEqual(['DIGEST', 'PIPELINE', 'TEST']);
  });

  it('everything but the digest: every other category', () => {
    const policy = alertFilterPolicy({ endpoint: 'ops@example.com', categories: everythingButDigest }, 'email');
    expect(policy).toEqual({ category: everythingButDigest, sms: ['true', 'false'] });
    expect(received(policy)).toEqual(all.filter((c) => c !== 'DIGEST'));
  });

  it('a minimum severity above INFO leaves the (INFO) digest out, unless the categories name it', () => {
    expect(received(alertFilterPolicy({ endpoint: 'a@example.com', minSeverity: 'MEDIUM' }, 'email'))).not.toContain('DIGEST');
    const policy = alertFilterPolicy({ endpoint: '+12065550100', minSeverity: 'HIGH', categories: ['API_CALL', 'DIGEST'] }, 'sms');
    expect(policy).toEqual({
      sample: ['false'],
      $or: [
        { sms: ['notice'] },
        { category: ['TEST', 'DIGEST'], sms: ['true'] },
        { severityScore: [{ numeric: ['>=', 3] }], category: ['API_CALL', 'PIPELINE'], sms: ['true'] },
      ],
    });
    const got = CATALOGUE.filter(({ alert }) => delivers(policy, messageAttributes(alert))).map(({ alert }) => alert);
    expect([...new Set(got.map((a) => a.category))]).toEqual(['API_CALL', 'DIGEST', 'TEST']);
    expect(got.every((a) => a.category === 'DIGEST' || a.category === 'TEST' || a.severity === 'HIGH')).toBe(true);
  });

  it('puts both on the subscriptions the stack makes from -c, short form and JSON', () => {
    const settings = parseSettings({
      alertEmails: `digest@example.com:INFO:DIGEST,rest@example.com:INFO:${everythingButDigest.join('|')}`,
      alertSmsNumbers: [{ endpoint: '+12065550100', minSeverity: 'HIGH', categories: ['API_CALL', 'DIGEST'] }],
    });
    const { regions: _r, ...props } = settings;
    const subs = Object.values(buildStack(props).template.findResources('AWS::SNS::Subscription'))
      .map((r) => r.Properties as Sub)
      .filter(onAlertTopic);
    expect(subs.map(({ Endpoint, FilterPolicy }) => ({ Endpoint, FilterPolicy }))).toEqual([
      { Endpoint: 'digest@example.com', FilterPolicy: { category: ['DIGEST', 'PIPELINE', 'TEST'], sms: ['true', 'false'] } },
      { Endpoint: 'rest@example.com', FilterPolicy: { category: everythingButDigest, sms: ['true', 'false'] } },
      {
        Endpoint: '+12065550100',
        FilterPolicy: {
          sample: ['false'],
          $or: [
            { sms: ['notice'] },
            { category: ['TEST', 'DIGEST'], sms: ['true'] },
            { severityScore: [{ numeric: ['>=', 3] }], category: ['API_CALL', 'PIPELINE'], sms: ['true'] },
          ],
        },
      },
    ]);
  });

  it('every category, DIGEST included, can be named', () => {
    expect(ALERT_CATEGORIES).toContain<AlertCategory>('DIGEST');
    expect(parseSettings({ alertEmails: 'a@example.com:INFO:DIGEST' }).emailSubscribers).toEqual([
      { endpoint: 'a@example.com', minSeverity: 'INFO', categories: ['DIGEST'] },
    ]);
  });
});

describe('the TEST alerts of `macie-alerts selftest`', () => {
  const receivesTest = (policy: FilterPolicyJson | undefined) =>
    CATALOGUE.filter(({ alert }) => alert.category === 'TEST').every(({ alert }) => delivers(policy, messageAttributes(alert)));

  it.each([
    ['no filter', { endpoint: 'a@example.com' }, 'email'],
    ['HIGH only', { endpoint: 'a@example.com', minSeverity: 'HIGH' }, 'email'],
    ['one category', { endpoint: 'a@example.com', categories: ['API_CALL'] }, 'email'],
    ['HIGH, one category, SMS', { endpoint: '+12065550100', minSeverity: 'HIGH', categories: ['SENSITIVE_DATA_FINDING'] }, 'sms'],
    ['the digest only', { endpoint: 'a@example.com', minSeverity: 'MEDIUM', categories: ['DIGEST'] }, 'https'],
  ] as const)('reach every subscriber, whatever its filter: %s', (_name, subscriber, kind) => {
    expect(receivesTest(alertFilterPolicy(subscriber, kind))).toBe(true);
  });

  it('and nothing else gets through with them', () => {
    const policy = alertFilterPolicy({ endpoint: 'a@example.com', minSeverity: 'HIGH', categories: ['API_CALL'] }, 'email');
    const got = CATALOGUE.filter(({ alert }) => delivers(policy, messageAttributes(alert))).map(({ alert }) => alert);
    expect(got.every((a) => a.category === 'TEST' || (a.severity === 'HIGH' && ['API_CALL', 'PIPELINE'].includes(a.category)))).toBe(true);
  });
});

describe('chat', () => {
  it('creates no chat resources by default', () => {
    const t = buildStack({}).template;
    t.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
    t.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 0);
  });

  it('subscribes Slack and Teams to both topics with a permissionless role and a deny-all guardrail', () => {
    const { template } = buildStack({
      slack: { workspaceId: 'T01ABCDEF', channelId: 'C01ABCDEF' },
      teams: { tenantId: TENANT, teamId: TEAM, channelId: '19%3Aabc%40thread.tacv2' },
    });
    const topicRefs = [{ Ref: expect.stringMatching(/^MacieAlertsAlertTopic/) }, { Ref: expect.stringMatching(/^MacieAlertsAlarmTopic/) }];
    const guardrail = [{ Ref: expect.stringMatching(/^MacieAlertsChatGuardrail/) }];
    const role = { 'Fn::GetAtt': [expect.stringMatching(/^MacieAlertsChatRole/), 'Arn'] };
    const [slack] = Object.values(template.findResources('AWS::Chatbot::SlackChannelConfiguration')).map((r) => r.Properties);
    expect(slack).toEqual(
      expect.objectContaining({
        SlackWorkspaceId: 'T01ABCDEF',
        SlackChannelId: 'C01ABCDEF',
        SnsTopicArns: topicRefs,
        GuardrailPolicies: guardrail,
        IamRoleArn: role,
        LoggingLevel: 'ERROR',
      }),
    );
    const [teams] = Object.values(template.findResources('AWS::Chatbot::MicrosoftTeamsChannelConfiguration')).map((r) => r.Properties);
    expect(teams).toEqual(
      expect.objectContaining({
        TeamsTenantId: TENANT,
        TeamId: TEAM,
        TeamsChannelId: '19%3Aabc%40thread.tacv2',
        SnsTopicArns: topicRefs,
        GuardrailPolicies: guardrail,
        IamRoleArn: role,
        LoggingLevel: 'ERROR',
      }),
    );
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) => id.startsWith('MacieAlertsChatRole'));
    expect(roles).toHaveLength(1);
    expect(roles[0][1].Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'chatbot.amazonaws.com' });
    expect(roles[0][1].Properties.ManagedPolicyArns).toBeUndefined();
    expect(roles[0][1].Properties.Policies).toBeUndefined();
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] },
    });
  });
});

describe('chat minimum severity', () => {
  const slack = { workspaceId: 'T01ABCDEF', channelId: 'C01ABCDEF' };

  it('outputs the exact filter policy for the chat subscription when chatMinSeverity is above INFO', () => {
    const { template } = buildStack({ slack, chatMinSeverity: 'MEDIUM' });
    const outputs = Object.entries(template.findOutputs('*')).filter(([id]) => id.includes('ChatFilterPolicy'));
    expect(outputs).toHaveLength(1);
    expect(JSON.parse(outputs[0][1].Value as string)).toEqual({
      $or: [{ category: ['TEST'] }, { severityScore: [{ numeric: ['>=', 2] }] }],
      sms: ['true', 'false'],
    });
  });

  it("outputs a chat policy at INFO too, which keeps the SMS budget's notice out of chat, and none without a chat channel", () => {
    const outputs = Object.entries(buildStack({ slack }).template.findOutputs('*')).filter(([id]) => id.includes('ChatFilterPolicy'));
    expect(outputs.map(([, o]) => JSON.parse(o.Value as string))).toEqual([{ sms: ['true', 'false'] }]);
    const ids = Object.keys(buildStack({ chatMinSeverity: 'HIGH' as const }).template.findOutputs('*'));
    expect(ids.filter((id) => id.includes('ChatFilterPolicy'))).toEqual([]);
  });
});
