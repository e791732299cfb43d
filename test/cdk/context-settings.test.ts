import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { DEFAULT_BATCHING, DEFAULT_SETTINGS, SettingsError } from '../../lambda/core/settings';
import { checkContextKeys, CONTEXT_KEYS, parseSettings, parseSubscribers, settingsToProps, settingsWarnings } from '../../lib/context-settings';
import { buildStack, TEAM, TENANT } from './stack-fixture';

describe('parseSettings (CDK context and the replay config file)', () => {
  it('gives the documented defaults for an empty object', () => {
    expect(parseSettings({})).toEqual({
      pipelineSettings: DEFAULT_SETTINGS,
      emailSubscribers: [],
      smsSubscribers: [],
      httpsSubscribers: [],
      chatMinSeverity: 'INFO',
      sweeperRateMinutes: 60,
      apiCallAlerts: true,
      healthEventAlerts: true,
      removalPolicy: RemovalPolicy.RETAIN,
      logRetentionDays: 30,
      logLevel: 'INFO',
      dashboard: true,
      regions: [],
      findingsBatchSize: 100,
      findingsBatchWindowSeconds: 10,
      findingsMaxConcurrency: 2,
      apiCallsBatchSize: 10,
      apiCallsBatchWindowSeconds: 0,
      apiCallsMaxConcurrency: 2,
    });
    expect(DEFAULT_BATCHING).toMatchObject({ findingsBatchSize: 100, findingsBatchWindowSeconds: 10, findingsMaxConcurrency: 2 });
  });

  it('reads every key, as strings the way `-c key=value` delivers them', () => {
    const parsed = parseSettings({
      alertEmails: 'sec@example.com:MEDIUM,ops@example.com',
      alertSmsNumbers: '+12065550100:HIGH',
      alertHttpsEndpoints: 'https://hooks.example.com:8443/macie:LOW:API_CALL|POLICY_FINDING',
      slackWorkspaceId: 'T01ABCDEF',
      slackChannelId: 'C01ABCDEF',
      teamsTenantId: TENANT,
      teamsTeamId: TEAM,
      teamsChannelId: '19:abc@thread.tacv2',
      chatMinSeverity: 'MEDIUM',
      minFindingSeverity: 'HIGH',
      repeatIntervalMinutes: '30',
      policyFindingRepeatHours: '12',
      longRunningRunHours: '48',
      stateRetentionDays: '30',
      severityOverrides: 'BUCKET_DOES_NOT_EXIST=HIGH',
      knownErrors: 'alert',
      findingAlertsPer: 'Bucket',
      digestHourUtc: '7',
      smsMaxPerHour: '5',
      sweeperRateMinutes: '15',
      apiCallAlerts: 'false',
      healthEventAlerts: 'false',
      regions: 'eu-west-1, us-east-1',
      removalPolicy: 'destroy',
      logRetentionDays: '90',
      logLevel: 'DEBUG',
      dashboard: 'false',
      findingsBatchSize: '500',
      findingsBatchWindowSeconds: '30',
      findingsMaxConcurrency: '4',
      apiCallsBatchSize: '5',
      apiCallsBatchWindowSeconds: '0',
      apiCallsMaxConcurrency: '3',
    });
    expect(parsed).toEqual({
      pipelineSettings: {
        minFindingSeverity: 'HIGH',
        repeatIntervalMinutes: 30,
        policyFindingRepeatHours: 12,
        longRunningRunHours: 48,
        stateRetentionDays: 30,
        severityOverrides: { BUCKET_DOES_NOT_EXIST: 'HIGH' },
        knownErrors: 'alert',
        findingAlertsPer: 'bucket',
        digestHourUtc: 7,
        smsMaxPerHour: 5,
      },
      emailSubscribers: [{ endpoint: 'sec@example.com', minSeverity: 'MEDIUM' }, { endpoint: 'ops@example.com' }],
      smsSubscribers: [{ endpoint: '+12065550100', minSeverity: 'HIGH' }],
      httpsSubscribers: [{ endpoint: 'https://hooks.example.com:8443/macie', minSeverity: 'LOW', categories: ['API_CALL', 'POLICY_FINDING'] }],
      slack: { workspaceId: 'T01ABCDEF', channelId: 'C01ABCDEF' },
      teams: { tenantId: TENANT, teamId: TEAM, channelId: '19%3Aabc%40thread.tacv2' },
      chatMinSeverity: 'MEDIUM',
      sweeperRateMinutes: 15,
      apiCallAlerts: false,
      healthEventAlerts: false,
      removalPolicy: RemovalPolicy.DESTROY,
      logRetentionDays: 90,
      logLevel: 'DEBUG',
      dashboard: false,
      regions: ['eu-west-1', 'us-east-1'],
      findingsBatchSize: 500,
      findingsBatchWindowSeconds: 30,
      findingsMaxConcurrency: 4,
      apiCallsBatchSize: 5,
      apiCallsBatchWindowSeconds: 0,
      apiCallsMaxConcurrency: 3,
    });
  });

  it('accepts JSON values as cdk.json holds them', () => {
    const parsed = parseSettings({
      alertEmails: [{ endpoint: 'a@example.com', minSeverity: 'HIGH', categories: ['STUCK_RUN'] }],
      alertSmsNumbers: '[{"endpoint":"+447700900123"}]',
      severityOverrides: { JOB_PAUSED_BY_USER: 'MEDIUM' },
      apiCallAlerts: false,
      regions: ['ap-southeast-2'],
      sweeperRateMinutes: 5,
    });
    expect(parsed.emailSubscribers).toEqual([{ endpoint: 'a@example.com', minSeverity: 'HIGH', categories: ['STUCK_RUN'] }]);
    expect(parsed.smsSubscribers).toEqual([{ endpoint: '+447700900123' }]);
    expect(parsed.pipelineSettings.severityOverrides).toEqual({ JOB_PAUSED_BY_USER: 'MEDIUM' });
    expect(parsed.apiCallAlerts).toBe(false);
    expect(parsed.regions).toEqual(['ap-southeast-2']);
    expect(parsed.sweeperRateMinutes).toBe(5);
  });

  it.each<[string, Record<string, unknown>, string, unknown]>([
    ['minFindingSeverity', { minFindingSeverity: 'urgent' }, 'minFindingSeverity', 'urgent'],
    ['repeatIntervalMinutes', { repeatIntervalMinutes: 'hourly' }, 'repeatIntervalMinutes', 'hourly'],
    ['an email', { alertEmails: 'sec@example.com,nobody' }, 'alertEmails', 'nobody'],
    ['a short-form severity', { alertEmails: 'sec@example.com:URGENT' }, 'alertEmails', 'sec@example.com:URGENT'],
    ['a category', { alertEmails: [{ endpoint: 'a@example.com', categories: ['FINDINGS'] }] }, 'alertEmails[0].categories', ['FINDINGS']],
    [
      'an unknown subscriber field',
      { alertEmails: [{ endpoint: 'a@example.com', severity: 'HIGH' }] },
      'alertEmails[0]',
      { endpoint: 'a@example.com', severity: 'HIGH' },
    ],
    ['a duplicate, quoting the second entry whole', { alertEmails: 'a@example.com,a@example.com:HIGH' }, 'alertEmails', 'a@example.com:HIGH'],
    ['a short-form category, quoting the entry whole', { alertEmails: 'sec@example.com:HIGH:BUCKETS' }, 'alertEmails', 'sec@example.com:HIGH:BUCKETS'],
    ['an endpoint with a severity, quoting the entry whole', { alertEmails: 'sec@example.com,nobody:HIGH' }, 'alertEmails', 'nobody:HIGH'],
    ['an entry of a JSON list in the short form, quoted whole', { alertSmsNumbers: ['+12065550100', '555-0100:high'] }, 'alertSmsNumbers', '555-0100:high'],
    ['broken JSON', { alertSmsNumbers: '[{"endpoint":' }, 'alertSmsNumbers', '[{"endpoint":'],
    ['an SMS number', { alertSmsNumbers: '555-0100' }, 'alertSmsNumbers', '555-0100'],
    ['an http URL', { alertHttpsEndpoints: 'http://hooks.example.com' }, 'alertHttpsEndpoints', 'http://hooks.example.com'],
    ['Slack without channel', { slackWorkspaceId: 'T01ABCDEF' }, 'slackChannelId', undefined],
    ['Slack channel id', { slackWorkspaceId: 'T01ABCDEF', slackChannelId: '#alerts' }, 'slackChannelId', '#alerts'],
    ['Teams incomplete', { teamsTenantId: TENANT, teamsTeamId: TEAM }, 'teamsChannelId', undefined],
    ['Teams tenant', { teamsTenantId: 'contoso', teamsTeamId: TEAM, teamsChannelId: '19:a@thread.tacv2' }, 'teamsTenantId', 'contoso'],
    ['chatMinSeverity', { chatMinSeverity: 'LOUD' }, 'chatMinSeverity', 'LOUD'],
    ['sweeperRateMinutes', { sweeperRateMinutes: '0' }, 'sweeperRateMinutes', '0'],
    ['apiCallAlerts', { apiCallAlerts: 'no' }, 'apiCallAlerts', 'no'],
    ['dashboard', { dashboard: 'off' }, 'dashboard', 'off'],
    ['regions', { regions: 'eu-west-1,Ireland' }, 'regions', 'eu-west-1,Ireland'],
    ['removalPolicy', { removalPolicy: 'snapshot' }, 'removalPolicy', 'snapshot'],
    ['logRetentionDays', { logRetentionDays: '45' }, 'logRetentionDays', '45'],
    ['logLevel', { logLevel: 'TRACE' }, 'logLevel', 'TRACE'],
    ['severityOverrides', { severityOverrides: 'JOB_CANCELLED=CRITICAL' }, 'severityOverrides.JOB_CANCELLED', 'CRITICAL'],
    ['knownErrors', { knownErrors: 'silence' }, 'knownErrors', 'silence'],
    ['findingAlertsPer', { findingAlertsPer: 'run' }, 'findingAlertsPer', 'run'],
    ['digestHourUtc 24', { digestHourUtc: '24' }, 'digestHourUtc', '24'],
    ["smsMaxPerHour above the counter's bound", { smsMaxPerHour: '101' }, 'smsMaxPerHour', '101'],
    ['smsMaxPerHour negative', { smsMaxPerHour: -1 }, 'smsMaxPerHour', -1],
    ['smsMaxPerHour a fraction', { smsMaxPerHour: 2.5 }, 'smsMaxPerHour', 2.5],
    ['digestHourUtc negative', { digestHourUtc: -1 }, 'digestHourUtc', -1],
    ['digestHourUtc a time of day', { digestHourUtc: '09:00' }, 'digestHourUtc', '09:00'],
    ['digestHourUtc a fraction', { digestHourUtc: 9.5 }, 'digestHourUtc', 9.5],
    ['a digest with state kept too briefly for it', { digestHourUtc: '9', stateRetentionDays: '2' }, 'stateRetentionDays', '2'],
    // Lambda's limits for an SQS event source mapping.
    ['findingsBatchSize 0', { findingsBatchSize: '0' }, 'findingsBatchSize', '0'],
    ['findingsBatchSize above 10,000', { findingsBatchSize: '10001' }, 'findingsBatchSize', '10001'],
    ['findingsBatchSize not a number', { findingsBatchSize: 'lots' }, 'findingsBatchSize', 'lots'],
    ['a batch size above 10 without a window', { findingsBatchSize: '11', findingsBatchWindowSeconds: '0' }, 'findingsBatchWindowSeconds', '0'],
    ['the API-call batch size above 10 with the default window (0)', { apiCallsBatchSize: '50' }, 'apiCallsBatchWindowSeconds', 0],
    ['findingsBatchWindowSeconds above 300', { findingsBatchWindowSeconds: '301' }, 'findingsBatchWindowSeconds', '301'],
    ['findingsBatchWindowSeconds a fraction', { findingsBatchWindowSeconds: '2.5' }, 'findingsBatchWindowSeconds', '2.5'],
    ['findingsMaxConcurrency 1', { findingsMaxConcurrency: '1' }, 'findingsMaxConcurrency', '1'],
    ['apiCallsMaxConcurrency above 1,000', { apiCallsMaxConcurrency: '1001' }, 'apiCallsMaxConcurrency', '1001'],
  ])('rejects %s, naming the setting and the value', (_name, input, setting, value) => {
    let error: unknown;
    try {
      parseSettings(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).setting).toBe(setting);
    expect((error as SettingsError).value).toEqual(value);
    expect((error as SettingsError).message).toContain(`Invalid setting ${setting}=`);
  });

  it.each([
    ['0', 0],
    ['23', 23],
    ['09', 9],
    [7, 7],
    ['off', undefined],
    ['', undefined],
  ])('reads digestHourUtc %p as %p (0 to 23 turns the daily digest on)', (given, hour) => {
    expect(parseSettings({ digestHourUtc: given }).pipelineSettings.digestHourUtc).toBe(hour);
  });

  it('knows every key the README documents (no silent typos in the list)', () => {
    expect([...CONTEXT_KEYS].sort()).toEqual(
      [
        'alertEmails',
        'alertSmsNumbers',
        'alertHttpsEndpoints',
        'slackWorkspaceId',
        'slackChannelId',
        'teamsTenantId',
        'teamsTeamId',
        'teamsChannelId',
        'chatMinSeverity',
        'minFindingSeverity',
        'repeatIntervalMinutes',
        'policyFindingRepeatHours',
        'longRunningRunHours',
        'stateRetentionDays',
        'severityOverrides',
        'knownErrors',
        'findingAlertsPer',
        'digestHourUtc',
        'smsMaxPerHour',
        'sweeperRateMinutes',
        'apiCallAlerts',
        'healthEventAlerts',
        'regions',
        'removalPolicy',
        'logRetentionDays',
        'logLevel',
        'dashboard',
        'findingsBatchSize',
        'findingsBatchWindowSeconds',
        'findingsMaxConcurrency',
        'apiCallsBatchSize',
        'apiCallsBatchWindowSeconds',
        'apiCallsMaxConcurrency',
      ].sort(),
    );
  });
});

describe('settingsToProps: the context keys stay numbers, the props take Durations', () => {
  it.each([
    ['sweeperRateMinutes', { sweeperRateMinutes: '15' }, (p: ReturnType<typeof settingsToProps>) => p.sweeperRate, Duration.minutes(15)],
    [
      'findingsBatchWindowSeconds',
      { findingsBatchWindowSeconds: '30' },
      (p: ReturnType<typeof settingsToProps>) => p.findingsBatchingWindow,
      Duration.seconds(30),
    ],
    [
      'apiCallsBatchWindowSeconds',
      { apiCallsBatchWindowSeconds: '2' },
      (p: ReturnType<typeof settingsToProps>) => p.apiCallsBatchingWindow,
      Duration.seconds(2),
    ],
    [
      'repeatIntervalMinutes',
      { repeatIntervalMinutes: '30' },
      (p: ReturnType<typeof settingsToProps>) => p.pipelineSettings?.repeatInterval,
      Duration.minutes(30),
    ],
    [
      'policyFindingRepeatHours',
      { policyFindingRepeatHours: '12' },
      (p: ReturnType<typeof settingsToProps>) => p.pipelineSettings?.policyFindingRepeat,
      Duration.hours(12),
    ],
    ['longRunningRunHours', { longRunningRunHours: '48' }, (p: ReturnType<typeof settingsToProps>) => p.pipelineSettings?.longRunningRun, Duration.hours(48)],
    ['stateRetentionDays', { stateRetentionDays: '30' }, (p: ReturnType<typeof settingsToProps>) => p.pipelineSettings?.stateRetention, Duration.days(30)],
  ])('%s', (_key, context, prop, expected) => {
    expect(prop(settingsToProps(parseSettings(context)))?.toIsoString()).toBe(expected.toIsoString());
  });

  it('synthesizes the same stack from the context keys as from the Durations they stand for', () => {
    const context = { sweeperRateMinutes: '15', findingsBatchWindowSeconds: '30', repeatIntervalMinutes: '30', stateRetentionDays: '30', digestHourUtc: '7' };
    const fromContext = buildStack(settingsToProps(parseSettings(context))).template.toJSON();
    const fromProps = buildStack({
      sweeperRate: Duration.minutes(15),
      findingsBatchingWindow: Duration.seconds(30),
      pipelineSettings: { repeatInterval: Duration.minutes(30), stateRetention: Duration.days(30), digestHourUtc: 7 },
    }).template.toJSON();
    expect(fromContext).toEqual(fromProps);
    expect(JSON.stringify(fromContext)).toContain('rate(15 minutes)');
    expect(JSON.stringify(fromContext)).toContain('"REPEAT_INTERVAL_MINUTES":"30"');
  });
});

describe('words in any case', () => {
  it('reads severities in any case and spells them as the scale does, wherever a setting takes one', () => {
    const parsed = parseSettings({
      minFindingSeverity: 'medium',
      chatMinSeverity: 'High',
      severityOverrides: 'BUCKET_DOES_NOT_EXIST=low',
      alertEmails: 'sec@example.com:high:API_CALL,ops@example.com:Info',
      alertSmsNumbers: [{ endpoint: '+12065550100', minSeverity: 'medium' }],
      alertHttpsEndpoints: 'https://hooks.example.com/macie:low',
    });
    expect(parsed.pipelineSettings).toMatchObject({ minFindingSeverity: 'MEDIUM', severityOverrides: { BUCKET_DOES_NOT_EXIST: 'LOW' } });
    expect(parsed.chatMinSeverity).toBe('HIGH');
    expect(parsed.emailSubscribers).toEqual([
      { endpoint: 'sec@example.com', minSeverity: 'HIGH', categories: ['API_CALL'] },
      { endpoint: 'ops@example.com', minSeverity: 'INFO' },
    ]);
    expect(parsed.smsSubscribers).toEqual([{ endpoint: '+12065550100', minSeverity: 'MEDIUM' }]);
    expect(parsed.httpsSubscribers).toEqual([{ endpoint: 'https://hooks.example.com/macie', minSeverity: 'LOW' }]);
  });

  it('reads removalPolicy, logLevel and knownErrors in any case too', () => {
    const parsed = parseSettings({ removalPolicy: 'DESTROY', logLevel: 'debug', knownErrors: 'Alert' });
    expect(parsed).toMatchObject({ removalPolicy: RemovalPolicy.DESTROY, logLevel: 'DEBUG', pipelineSettings: { knownErrors: 'alert' } });
  });
});

describe('parseSubscribers short form', () => {
  it('leaves URL ports and paths alone and reads only UPPER_CASE suffixes', () => {
    expect(parseSubscribers('x', 'https', 'https://h.example.com:8443/a:b/c')).toEqual([{ endpoint: 'https://h.example.com:8443/a:b/c' }]);
    expect(parseSubscribers('x', 'https', 'https://h.example.com/hook:HIGH')).toEqual([{ endpoint: 'https://h.example.com/hook', minSeverity: 'HIGH' }]);
  });
});

describe('unknown settings and suspicious values', () => {
  test('a mistyped key fails with the setting it probably meant', () => {
    expect(() => checkContextKeys({ alertEmail: 'sec@example.com' })).toThrow(
      /Invalid setting alertEmail="sec@example.com": unknown setting; did you mean alertEmails\?/,
    );
    expect(() => checkContextKeys({ repeatIntervalMinute: '30' })).toThrow(/did you mean repeatIntervalMinutes\?/);
    expect(() => checkContextKeys({ somethingElse: 'x' })).toThrow(/unknown setting \(see the README/);
  });

  test("our keys and CDK's own keys (feature flags, aws:cdk:..., lookups, telemetry) pass", () => {
    expect(() =>
      checkContextKeys({
        alertEmails: 'a@example.com',
        '@aws-cdk/core:checkSecretUsage': true,
        'aws:cdk:bundling-stacks': [],
        'availability-zones:account=111122223333:region=eu-west-1': ['a'],
        'cli-telemetry': false,
      }),
    ).not.toThrow();
  });

  test('a severity override for an event type Macie does not publish is kept, with a warning', () => {
    const settings = parseSettings({ severityOverrides: 'BUCKET_ACCES_DENIED=HIGH,BUCKET_DOES_NOT_EXIST=HIGH', alertEmails: 'a@example.com' });
    expect(settings.pipelineSettings.severityOverrides).toEqual({ BUCKET_ACCES_DENIED: 'HIGH', BUCKET_DOES_NOT_EXIST: 'HIGH' });
    expect(settingsWarnings(settings)).toEqual([expect.stringMatching(/^severityOverrides: BUCKET_ACCES_DENIED is not a Macie job event type/)]);
  });

  test('a stack with no subscriber at all deploys, with a warning: its alerts would reach nobody', () => {
    expect(settingsWarnings(parseSettings({}))).toEqual([
      expect.stringMatching(/^no subscribers: alerts are published to the alert topic and nobody receives them; set alertEmails, /),
    ]);
    for (const one of [
      { alertEmails: 'a@example.com' },
      { alertSmsNumbers: '+12065550100' },
      { alertHttpsEndpoints: 'https://h.example.com/x' },
      { slackWorkspaceId: 'T01ABCDEF', slackChannelId: 'C01ABCDEF' },
    ]) {
      expect(settingsWarnings(parseSettings(one))).toEqual([]);
    }
  });

  test('chatMinSeverity without a chat channel deploys, with a warning that it does nothing', () => {
    const given = { alertEmails: 'a@example.com', chatMinSeverity: 'high' };
    expect(settingsWarnings(parseSettings(given), given)).toEqual([
      'chatMinSeverity=HIGH does nothing without a chat channel: set slackWorkspaceId and slackChannelId, or the three teams* settings',
    ]);
    const withChat = { ...given, teamsTenantId: TENANT, teamsTeamId: TEAM, teamsChannelId: '19:abc@thread.tacv2' };
    expect(settingsWarnings(parseSettings(withChat), withChat)).toEqual([]);
  });

  test('regions as a JSON list, as the README allows for lists', () => {
    expect(parseSettings({ regions: '["eu-west-1", "us-east-1"]' }).regions).toEqual(['eu-west-1', 'us-east-1']);
    expect(() => parseSettings({ regions: '["eu-west-1"' })).toThrow(/Invalid setting regions=.*not valid JSON/);
  });
});
