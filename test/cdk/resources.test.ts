import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DEFAULT_SETTINGS, ENV } from '../../lambda/core/settings';
import { MACIE_API_CALLS, MACIE_JOB_LOG_GROUP } from '../../lib/macie-alerts';
import { buildStack } from './stack-fixture';
import { alertFilterPolicy } from '../../lib/subscription-filters';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

const { template } = buildStack({});
const resources = template.toJSON().Resources as Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const functionId = (prefix: string) => {
  const found = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith(`MacieAlerts${prefix}`) && !id.includes('Role'));
  if (!found) throw new Error(`no function ${prefix}`);
  return found[0];
};

describe('state table', () => {
  it('has the keys, index and TTL of lambda/state/table.ts, on demand, PITR, KMS encryption, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
          { AttributeName: 'gsi2pk', AttributeType: 'S' },
          { AttributeName: 'gsi2sk', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            // The daily digest's: keys and the alert facts only, so claims and settles never write to it.
            IndexName: 'gsi2',
            KeySchema: [
              { AttributeName: 'gsi2pk', KeyType: 'HASH' },
              { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['facts', 'ownerPk', 'ownerSk'] },
          },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      },
    });
  });

  it('is deleted on destroy only when asked (removalPolicy destroy)', () => {
    const destroy = buildStack({ removalPolicy: RemovalPolicy.DESTROY }).template;
    destroy.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
    destroy.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });
});

describe('topics and key', () => {
  it('makes two standard topics encrypted with the rotating customer key', () => {
    const topics = ofType('AWS::SNS::Topic');
    expect(topics).toHaveLength(2);
    const keyId = ofType('AWS::KMS::Key')[0][0];
    for (const [, topic] of topics) {
      expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      expect(topic.Properties.FifoTopic).toBeUndefined();
    }
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('lets CloudWatch (this account only) use the key, for alarm notifications', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowCloudWatchAlarmsToPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
          },
        ]),
      },
    });
  });

  it('denies publishing without TLS on both topics, and lets only CloudWatch alarms of this account publish to the alarm topic', () => {
    const policies = ofType('AWS::SNS::TopicPolicy').map(([, p]) => p.Properties.PolicyDocument.Statement as any[]);
    expect(policies).toHaveLength(2);
    for (const statements of policies) {
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
    const allows = policies.flat().filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0].Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
    expect(allows[0].Condition.StringEquals).toEqual({ 'aws:SourceAccount': '111122223333' });
    expect(JSON.stringify(allows[0].Condition.ArnLike)).toContain(':cloudwatch:eu-west-1:111122223333:alarm:*');
  });
});

describe('handlers', () => {
  const expected: Record<string, { entry: string; memory: number; timeout: number }> = {
    JobLogHandler: { entry: 'job-log', memory: 512, timeout: 300 },
    FindingsHandler: { entry: 'findings', memory: 256, timeout: 120 },
    ApiCallHandler: { entry: 'api-calls', memory: 256, timeout: 120 },
    Sweeper: { entry: 'sweeper', memory: 256, timeout: 300 },
  };

  it.each(Object.entries(expected))('%s: arm64, Node.js 24, JSON logs, memory and timeout for its work', (id, spec) => {
    const fn = resources[functionId(id)].Properties;
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.MemorySize).toBe(spec.memory);
    expect(fn.Timeout).toBe(spec.timeout);
    expect(fn.Handler).toBe('index.handler');
    expect(fn.LoggingConfig).toEqual({
      LogFormat: 'JSON',
      SystemLogLevel: 'WARN',
      LogGroup: { Ref: expect.stringMatching(new RegExp(`^MacieAlerts${id}Logs`)) },
    });
  });

  it.each(Object.keys(expected))('%s: environment carries every pipeline setting, the table, the topic and Powertools config', (id) => {
    const env = resources[functionId(id)].Properties.Environment.Variables;
    expect(env).toEqual({
      [ENV.minFindingSeverity]: DEFAULT_SETTINGS.minFindingSeverity,
      [ENV.repeatIntervalMinutes]: String(DEFAULT_SETTINGS.repeatIntervalMinutes),
      [ENV.policyFindingRepeatHours]: String(DEFAULT_SETTINGS.policyFindingRepeatHours),
      [ENV.longRunningRunHours]: String(DEFAULT_SETTINGS.longRunningRunHours),
      [ENV.stateRetentionDays]: String(DEFAULT_SETTINGS.stateRetentionDays),
      [ENV.severityOverrides]: '{}',
      [ENV.knownErrors]: DEFAULT_SETTINGS.knownErrors,
      [ENV.findingAlertsPer]: DEFAULT_SETTINGS.findingAlertsPer,
      [ENV.smsMaxPerHour]: String(DEFAULT_SETTINGS.smsMaxPerHour),
      [ENV.tableName]: { Ref: expect.stringMatching(/^MacieAlertsStateTable/) },
      [ENV.topicArn]: { Ref: expect.stringMatching(/^MacieAlertsAlertTopic/) },
      POWERTOOLS_SERVICE_NAME: `macie-alerts-${expected[id].entry}`,
      POWERTOOLS_METRICS_NAMESPACE: 'MacieAlerts',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('passes digestHourUtc to the functions only when the digest is on', () => {
    expect(resources[functionId('Sweeper')].Properties.Environment.Variables[ENV.digestHourUtc]).toBeUndefined();
    const on = buildStack({ pipelineSettings: { digestHourUtc: 7 } }).template.toJSON().Resources as Resources;
    const sweeper = Object.entries(on).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('MacieAlertsSweeper'))![1];
    expect(sweeper.Properties.Environment.Variables[ENV.digestHourUtc]).toBe('7');
  });

  it("passes the SMS subscriptions' filter policies, each once, only when there are SMS subscribers and a budget", () => {
    expect(resources[functionId('JobLogHandler')].Properties.Environment.Variables[ENV.smsFilterPolicies]).toBeUndefined();
    const env = (props: Parameters<typeof buildStack>[0]) => {
      const built = buildStack(props).template.toJSON().Resources as Resources;
      return Object.entries(built).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('MacieAlertsJobLogHandler'))![1].Properties.Environment
        .Variables;
    };
    const sms = [
      { endpoint: '+12065550100', minSeverity: 'HIGH' as const },
      { endpoint: '+12065550101', minSeverity: 'HIGH' as const },
    ];
    expect(JSON.parse(env({ smsSubscribers: sms })[ENV.smsFilterPolicies])).toEqual([alertFilterPolicy(sms[0], 'sms')]);
    expect(env({ smsSubscribers: sms, pipelineSettings: { smsMaxPerHour: 0 } })[ENV.smsFilterPolicies]).toBeUndefined();
  });

  it('gives every function its own log group with 30 days retention', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups).toHaveLength(6); // five handlers + the custom resource provider
    for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBe(30);
    expect(
      buildStack({ logRetention: logs.RetentionDays.ONE_YEAR }).template.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 365 } }),
    ).not.toEqual({});
  });

  it.each(['JobLogHandler', 'Sweeper'])('%s: async invocation retried twice, then recorded in its own encrypted, TLS-only queue', (id) => {
    const fnId = functionId(id);
    const config = ofType('AWS::Lambda::EventInvokeConfig').find(([, c]) => c.Properties.FunctionName.Ref === fnId);
    expect(config).toBeDefined();
    expect(config![1].Properties.MaximumRetryAttempts).toBe(2);
    expect(config![1].Properties.MaximumEventAgeInSeconds).toBe(6 * 3600);
    const queueId = config![1].Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0];
    expect(queueId).toMatch(new RegExp(`^MacieAlerts${id}Failures`));
    expect(resources[queueId].Properties.SqsManagedSseEnabled).toBe(true);
    const queuePolicy = ofType('AWS::SQS::QueuePolicy').find(([, p]) => p.Properties.Queues[0].Ref === queueId);
    expect(queuePolicy![1].Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });
});

describe('findings and API-call queues (EventBridge -> SQS -> Lambda)', () => {
  const queues = {
    FindingsHandler: { queue: 'FindingsQueue', batchSize: 100, window: 10 },
    ApiCallHandler: { queue: 'ApiCallQueue', batchSize: 10, window: undefined },
    HealthHandler: { queue: 'HealthQueue', batchSize: 10, window: undefined },
  } as const;
  const queueOf = (name: string) => ofType('AWS::SQS::Queue').find(([id]) => id.startsWith(`MacieAlerts${name}`) && !id.includes('DeadLetters'))!;
  const mappingOf = (fn: string) => ofType('AWS::Lambda::EventSourceMapping').find(([, m]) => m.Properties.FunctionName.Ref === functionId(fn))![1].Properties;

  it.each(Object.entries(queues))('%s reads its own queue in batches, with partial batch responses and bounded concurrency', (fn, spec) => {
    const [queueId] = queueOf(spec.queue);
    const mapping = mappingOf(fn);
    expect(mapping).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: functionId(fn) },
      BatchSize: spec.batchSize,
      ...(spec.window === undefined ? {} : { MaximumBatchingWindowInSeconds: spec.window }),
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // Invoked by its mapping, not asynchronously: no async retry configuration, no failure queue of its own.
    expect(ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => c.Properties.FunctionName.Ref === functionId(fn))).toEqual([]);
    expect(ofType('AWS::SQS::Queue').filter(([id]) => id.startsWith(`MacieAlerts${fn}Failures`))).toEqual([]);
  });

  it.each(Object.entries(queues))(
    '%s queue: SSE-SQS (never aws/sqs, which EventBridge cannot use), TLS only, redrive to an alarmed DLQ after 5 receives, visibility 6x the function timeout',
    (fn, spec) => {
      const [queueId, queue] = queueOf(spec.queue);
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      expect(queue.Properties.KmsMasterKeyId).toBeUndefined();
      const timeout = resources[functionId(fn)].Properties.Timeout as number;
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
      const dlqId = queue.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
      expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
      expect(dlqId).toMatch(new RegExp(`^MacieAlerts${spec.queue}DeadLetters`));
      expect(resources[dlqId].Properties).toEqual({ MessageRetentionPeriod: 14 * 86400, SqsManagedSseEnabled: true });
      // A message keeps its first enqueue time in the DLQ: the DLQ must keep messages longer than the queue does.
      expect(queue.Properties.MessageRetentionPeriod).toBeLessThan(resources[dlqId].Properties.MessageRetentionPeriod);
      for (const id of [queueId, dlqId]) {
        const policy = ofType('AWS::SQS::QueuePolicy').find(([, p]) => p.Properties.Queues[0].Ref === id)![1];
        expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
      }
      const alarm = ofType('AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] === dlqId)![1].Properties;
      expect(alarm).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        AlarmActions: [{ Ref: expect.stringMatching(/^MacieAlertsAlarmTopic/) }],
      });
    },
  );

  it('takes the batching settings from props, and the visibility timeout makes room for the window', () => {
    const { template: custom } = buildStack({
      findingsBatchSize: 500,
      findingsBatchingWindow: Duration.minutes(1),
      findingsMaxConcurrency: 5,
      apiCallsBatchSize: 25,
      apiCallsBatchingWindow: Duration.seconds(2),
      apiCallsMaxConcurrency: 3,
    });
    custom.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 60,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    custom.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 2,
      ScalingConfig: { MaximumConcurrency: 3 },
    });
    custom.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 6 * 120 + 60, RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }) });
  });
});

describe('Macie job log group', () => {
  it('is never a CloudFormation-managed log group (so destroy cannot delete it)', () => {
    const managed = ofType('AWS::Logs::LogGroup').filter(([, g]) => g.Properties.LogGroupName === MACIE_JOB_LOG_GROUP);
    expect(managed).toEqual([]);
  });

  it('is created if missing by a create-only custom resource that ignores "already exists" and does nothing on delete', () => {
    const [[, cr]] = ofType('Custom::AWS');
    expect(JSON.parse(cr.Properties.Create)).toEqual({
      service: 'CloudWatchLogs',
      action: 'CreateLogGroup',
      parameters: { logGroupName: MACIE_JOB_LOG_GROUP },
      physicalResourceId: { id: MACIE_JOB_LOG_GROUP },
      ignoreErrorCodesMatching: 'ResourceAlreadyExistsException',
    });
    expect(cr.Properties.Update).toBeUndefined();
    expect(cr.Properties.Delete).toBeUndefined();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'logs:CreateLogGroup',
            Effect: 'Allow',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:eu-west-1:111122223333:log-group:${MACIE_JOB_LOG_GROUP}`]] },
          },
        ],
      },
    });
  });

  it('is subscribed to the job-log handler after it exists, and only its log group may invoke it', () => {
    const [[filterId, filter]] = ofType('AWS::Logs::SubscriptionFilter');
    expect(filter.Properties).toEqual({
      LogGroupName: MACIE_JOB_LOG_GROUP,
      FilterName: 'macie-alerts-job-log',
      FilterPattern: '',
      DestinationArn: { 'Fn::GetAtt': [functionId('JobLogHandler'), 'Arn'] },
    });
    const deps = (template.toJSON().Resources[filterId].DependsOn ?? []) as string[];
    expect(deps.some((d) => d.startsWith('MacieAlertsEnsureMacieJobLogGroup'))).toBe(true);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [functionId('JobLogHandler'), 'Arn'] },
      Principal: 'logs.amazonaws.com',
      SourceArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:eu-west-1:111122223333:log-group:${MACIE_JOB_LOG_GROUP}:*`]] },
    });
  });
});

describe('EventBridge rules', () => {
  const rule = (predicate: (p: Record<string, any>) => boolean) =>
    ofType('AWS::Events::Rule')
      .map(([id, r]) => [id, r.Properties] as const)
      .find(([, p]) => predicate(p))!;

  it('filters findings in the pattern: not archived, score >= minimum (LOW by default)', () => {
    const [, finding] = rule((p) => p.EventPattern?.source?.[0] === 'aws.macie');
    expect(finding.EventPattern).toEqual({
      source: ['aws.macie'],
      'detail-type': ['Macie Finding'],
      detail: { archived: [false], severity: { score: [{ numeric: ['>=', 1] }] } },
    });
    const high = buildStack({ pipelineSettings: { minFindingSeverity: 'HIGH' } }).template;
    high.hasResourceProperties('AWS::Events::Rule', { EventPattern: { detail: { severity: { score: [{ numeric: ['>=', 3] }] } } } });
  });

  it('sends Macie API calls including read-only ones (rule state), with the spec list of calls', () => {
    const [, api] = rule((p) => p.EventPattern?.source?.[0] === 'aws.macie2');
    expect(api.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    expect(api.EventPattern).toEqual({
      source: ['aws.macie2'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['macie2.amazonaws.com'], eventName: [...MACIE_API_CALLS] },
    });
    // The spec's table, in full: the rule must not drift from the pipeline's classification.
    expect([...MACIE_API_CALLS].sort()).toEqual([
      'CreateFindingsFilter',
      'DeleteAllowList',
      'DeleteCustomDataIdentifier',
      'DeleteFindingsFilter',
      'DeleteMember',
      'DisableMacie',
      'DisableOrganizationAdminAccount',
      'DisassociateFromAdministratorAccount',
      'DisassociateFromMasterAccount',
      'DisassociateMember',
      'GetSensitiveDataOccurrences',
      'PutClassificationExportConfiguration',
      'UpdateClassificationJob',
      'UpdateFindingsFilter',
      'UpdateMacieSession',
      'UpdateRevealConfiguration',
    ]);
  });

  it('sends every AWS Health event about Macie to the Health queue, and drops rule, queue and handler when healthEventAlerts is false', () => {
    const [, health] = rule((p) => p.EventPattern?.source?.[0] === 'aws.health');
    expect(health.EventPattern).toEqual({ source: ['aws.health'], 'detail-type': ['AWS Health Event'], detail: { service: ['MACIE'] } });
    const queueId = ofType('AWS::SQS::Queue').find(([id]) => /^MacieAlertsHealthQueue[0-9A-F]{8}$/.test(id))![0];
    expect(health.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^MacieAlertsHealthRuleDeadLetters/), 'Arn'] } },
      }),
    ]);
    const off = buildStack({ healthEventAlerts: false }).template;
    expect(JSON.stringify(off.toJSON())).not.toContain('aws.health');
    off.resourceCountIs('AWS::Lambda::Function', 5);
  });

  it('drops the API-call rule and handler when apiCallAlerts is false', () => {
    const off = buildStack({ apiCallAlerts: false }).template;
    expect(JSON.stringify(off.toJSON())).not.toContain('aws.macie2');
    off.resourceCountIs('AWS::Lambda::Function', 5); // four handlers + custom resource provider
  });

  it('runs the sweeper at the configured rate (60 minutes by default)', () => {
    expect(rule((p) => p.ScheduleExpression !== undefined)[1].ScheduleExpression).toBe('rate(1 hour)');
    buildStack({ sweeperRate: Duration.minutes(15) }).template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
  });

  const targetOf = (source: string) => {
    const [ruleId, props] = rule((p) => (source === 'schedule' ? p.ScheduleExpression !== undefined : p.EventPattern?.source?.[0] === source));
    expect(props.Targets).toHaveLength(1);
    const target = props.Targets[0];
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 24, MaximumEventAgeInSeconds: 12 * 3600 });
    const dlqId = target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
    expect(resources[dlqId].Type).toBe('AWS::SQS::Queue');
    expect(resources[dlqId].Properties.SqsManagedSseEnabled).toBe(true);
    expect(resources[dlqId].Properties.FifoQueue).toBeUndefined();
    return { ruleId, target };
  };

  it.each([
    ['aws.macie', 'FindingsQueue'],
    ['aws.macie2', 'ApiCallQueue'],
  ])('%s rule: to its queue, with its own retry policy and encrypted DLQ; only that rule may send to the queue', (source, queue) => {
    const { ruleId, target } = targetOf(source);
    const queueId = target.Arn['Fn::GetAtt'][0];
    expect(queueId).toMatch(new RegExp(`^MacieAlerts${queue}`));
    const policy = ofType('AWS::SQS::QueuePolicy').find(([, p]) => p.Properties.Queues[0].Ref === queueId)![1];
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual({
      Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
    });
  });

  it('schedule rule: to the sweeper, with its own retry policy and encrypted DLQ, and an invoke permission scoped to the rule', () => {
    const { ruleId, target } = targetOf('schedule');
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [functionId('Sweeper'), 'Arn'] });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [functionId('Sweeper'), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });
});

describe('IAM', () => {
  const statements = (roleIdPrefix: string) => {
    const policy = ofType('AWS::IAM::Policy').find(([, p]) => p.Properties.Roles[0].Ref.startsWith(`MacieAlerts${roleIdPrefix}Role`));
    return policy![1].Properties.PolicyDocument.Statement as any[];
  };
  const tableArn = { 'Fn::GetAtt': [expect.stringMatching(/^MacieAlertsStateTable/), 'Arn'] };

  const items = ['dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
  // A ConditionCheck in a transaction is authorized as dynamodb:ConditionCheckItem (the findings' roll-up guard; job-log's writeChanges of an unchanged item).
  const withChecks = [...items, 'dynamodb:ConditionCheckItem'];
  it.each([
    ['JobLogHandler', { Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], queue: 'JobLogHandlerFailures' }, withChecks],
    [
      'FindingsHandler',
      {
        Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        queue: 'FindingsQueue',
      },
      withChecks,
    ],
    [
      'ApiCallHandler',
      {
        Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        queue: 'ApiCallQueue',
      },
      items,
    ],
  ])('%s: its queue, exactly its state table actions, publish to the alert topic, nothing else', (id, sqsAccess, tableActions) => {
    const expectedStatements = [
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^MacieAlerts${id}Logs`)), 'Arn'] },
      },
      {
        Action: sqsAccess.Action,
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^MacieAlerts${sqsAccess.queue}(?!DeadLetters)`)), 'Arn'] },
      },
      { Action: tableActions, Effect: 'Allow', Resource: tableArn },
      { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: expect.stringMatching(/^MacieAlertsAlertTopic/) } },
      { Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^MacieAlertsTopicKey/), 'Arn'] } },
    ];
    expect(statements(id)).toEqual(expect.arrayContaining(expectedStatements));
    expect(statements(id)).toHaveLength(expectedStatements.length);
  });

  it('sweeper: item access without ConditionCheckItem, plus Query on the two indexes only', () => {
    expect(statements('Sweeper')).toContainEqual({ Action: items, Effect: 'Allow', Resource: tableArn });
    expect(statements('Sweeper')).toContainEqual({
      Action: 'dynamodb:Query',
      Effect: 'Allow',
      Resource: [{ 'Fn::Join': ['', [tableArn, '/index/gsi1']] }, { 'Fn::Join': ['', [tableArn, '/index/gsi2']] }],
    });
    expect(statements('Sweeper')).toHaveLength(6);
  });

  it('has no wildcard action anywhere, and a wildcard resource only where the service requires it', () => {
    const all = ofType('AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as any[]);
    const actions = all.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
    // A resource ending in :* is a log group's own ARN attribute (its streams); no bare "*".
    expect(all.filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')))).toEqual([]);
    // The roles carry no managed policy except the CDK custom resource provider's basic execution role.
    const managed = ofType('AWS::IAM::Role').flatMap(([, r]) => r.Properties.ManagedPolicyArns ?? []);
    expect(JSON.stringify(managed)).toBe(
      JSON.stringify([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']] }]),
    );
  });
});

describe('alarms', () => {
  const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);

  const isBacklog = (a: Record<string, any>) => a.MetricName === 'ApproximateAgeOfOldestMessage';

  it('all notify the alarm topic when > 0 (the backlog alarm: past its age), and treat missing data as fine', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^MacieAlertsAlarmTopic/) }]);
      if (!isBacklog(a)) expect(a.Threshold).toBe(0);
      expect(a.ComparisonOperator).toBe('GreaterThanThreshold');
      expect(a.TreatMissingData).toBe('notBreaching');
      expect(a.AlarmDescription).toMatch(/^Macie alerts pipeline \(category PIPELINE\): /);
    }
  });

  it('cover each handler error, each queue, the subscription filter deliveries and failed notifications', () => {
    const byMetric = (ns: string, name: string) => alarms.filter((a) => a.Namespace === ns && a.MetricName === name);
    expect(byMetric('AWS/Lambda', 'Errors')).toHaveLength(5);
    expect(byMetric('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toHaveLength(9);
    for (const name of ['DeliveryErrors', 'DeliveryThrottling']) {
      const [a] = byMetric('AWS/Logs', name);
      expect(a.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'LogGroupName', Value: MACIE_JOB_LOG_GROUP },
          { Name: 'DestinationType', Value: 'Lambda' },
          { Name: 'FilterName', Value: 'macie-alerts-job-log' },
        ]),
      );
    }
    const [failed] = byMetric('AWS/SNS', 'NumberOfNotificationsFailed');
    expect(failed.Dimensions).toEqual([{ Name: 'TopicName', Value: { 'Fn::GetAtt': [expect.stringMatching(/^MacieAlertsAlertTopic/), 'TopicName'] } }]);
    expect(alarms).toHaveLength(5 + 9 + 2 + 1 + 3);
  });

  it.each([
    ['FindingsQueue', 'finding', 10],
    ['ApiCallQueue', 'API call', 0],
    ['HealthQueue', 'AWS Health event', 0],
  ])("fire when the %s's oldest record waited 5 minutes past the visibility timeout: failed twice, or not read", (queueName, record, windowSeconds) => {
    const backlogs = alarms.filter(isBacklog);
    expect(backlogs).toHaveLength(3);
    const queueId = ofType('AWS::SQS::Queue').find(([id]) => new RegExp(`^MacieAlerts${queueName}[0-9A-F]{8}$`).test(id))![0];
    const visibility = resources[queueId].Properties.VisibilityTimeout as number;
    expect(visibility).toBe(6 * 120 + windowSeconds);
    const backlog = backlogs.filter((a) => a.Dimensions[0].Value['Fn::GetAtt'][0] === queueId);
    expect(backlog).toHaveLength(1);
    expect(backlog[0]).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: visibility + 300,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(backlog[0].AlarmDescription).toContain(`The oldest ${record} in ${queueName} waited more than ${Math.round((visibility + 300) / 60)} minutes`);
  });

  it("raises the findings backlog alarm's threshold with a longer batching window, and has none for API calls when they are off", () => {
    expect(
      Object.values(buildStack({ apiCallAlerts: false }).template.toJSON().Resources as Resources).filter(
        (r) => r.Type === 'AWS::CloudWatch::Alarm' && isBacklog(r.Properties),
      ),
    ).toHaveLength(2);
    expect(
      Object.values(buildStack({ apiCallAlerts: false, healthEventAlerts: false }).template.toJSON().Resources as Resources).filter(
        (r) => r.Type === 'AWS::CloudWatch::Alarm' && isBacklog(r.Properties),
      ),
    ).toHaveLength(1);
    // A longer batching window waits longer before the first receive, and the threshold with it.
    const slower = buildStack({ findingsBatchingWindow: Duration.minutes(5) }).template.toJSON().Resources as Resources;
    const [slowAlarm] = Object.values(slower).filter(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && isBacklog(r.Properties) && r.Properties.AlarmDescription.includes('FindingsQueue'),
    );
    expect(slowAlarm.Properties.Threshold).toBe(6 * 120 + 300 + 300);
  });
});
