import { permissionsOf } from '../support/iam-actions';
import { allows, conformance, functionRoles, requiredPermissions, type FunctionRole, type TemplateJson } from '../support/role-conformance';
import { buildStack } from './stack-fixture';

/** The pieces of the IAM conformance check (roles.recorded.test.ts), on calls and templates made up here. */
describe('permissionsOf: what IAM checks for an SDK call', () => {
  const cases: [string, Parameters<typeof permissionsOf>[0], string[]][] = [
    [
      'a transaction, action by action',
      {
        client: 'DynamoDBClient',
        command: 'TransactWriteItemsCommand',
        input: {
          TransactItems: [{ Put: { TableName: 't' } }, { Update: { TableName: 't' } }, { ConditionCheck: { TableName: 't' } }, { Delete: { TableName: 't' } }],
        },
      },
      ['dynamodb:PutItem on table', 'dynamodb:UpdateItem on table', 'dynamodb:ConditionCheckItem on table', 'dynamodb:DeleteItem on table'],
    ],
    ['a document client put', { client: 'DynamoDBClient', command: 'PutCommand', input: { TableName: 't' } }, ['dynamodb:PutItem on table']],
    ['a batch read', { client: 'DynamoDBClient', command: 'BatchGetItemCommand', input: { RequestItems: { t: {} } } }, ['dynamodb:BatchGetItem on table']],
    [
      'a query on an index',
      { client: 'DynamoDBClient', command: 'QueryCommand', input: { TableName: 't', IndexName: 'gsi1' } },
      ['dynamodb:Query on table/index/gsi1'],
    ],
    ['a query on the table', { client: 'DynamoDBClient', command: 'QueryCommand', input: { TableName: 't' } }, ['dynamodb:Query on table']],
    ['PublishBatch is sns:Publish', { client: 'SNSClient', command: 'PublishBatchCommand', input: {} }, ['sns:Publish on topic']],
    ['Invoke is lambda:InvokeFunction', { client: 'LambdaClient', command: 'InvokeCommand', input: {} }, ['lambda:InvokeFunction on function']],
    ['GetCallerIdentity needs nothing', { client: 'STSClient', command: 'GetCallerIdentityCommand', input: {} }, []],
  ];
  test.each(cases)('%s', (_name, call, expected) => {
    expect(permissionsOf(call).map((p) => `${p.action} on ${p.resource}`)).toEqual(expected);
  });
});

describe('conformance', () => {
  const role = (grants: [string, string][]): FunctionRole => ({
    actor: 'findings',
    grants: grants.map(([action, resource]) => ({ action, resource })),
    unreadable: [],
  });
  const needs = (perms: [string, string][]) => new Map([['findings', perms.map(([action, resource]) => ({ action, resource }))]]);

  test('a call its role does not allow is denied; a grant nothing uses is unused; a kept grant is neither', () => {
    const result = conformance(
      [
        role([
          ['dynamodb:PutItem', 'table'],
          ['dynamodb:GetItem', 'table'],
          ['logs:PutLogEvents', 'log-group'],
        ]),
      ],
      needs([
        ['dynamodb:PutItem', 'table'],
        ['dynamodb:ConditionCheckItem', 'table'],
      ]),
      [{ actors: ['findings'], actions: ['logs:PutLogEvents'], resource: 'log-group', reason: 'Lambda logs' }],
    );
    expect(result).toEqual({ denied: ['findings: dynamodb:ConditionCheckItem on table'], unused: ['findings: dynamodb:GetItem on table'], staleKept: [] });
  });

  test('wildcards match as IAM matches them; a resource must match too', () => {
    expect(allows({ action: 'dynamodb:*', resource: 'table' }, { action: 'dynamodb:ConditionCheckItem', resource: 'table' })).toBe(true);
    expect(allows({ action: 'DynamoDB:putitem', resource: 'table' }, { action: 'dynamodb:PutItem', resource: 'table' })).toBe(true);
    expect(allows({ action: 'dynamodb:Query', resource: 'table' }, { action: 'dynamodb:Query', resource: 'table/index/gsi1' })).toBe(false);
    expect(allows({ action: 'dynamodb:Query', resource: '*' }, { action: 'dynamodb:Query', resource: 'table/index/gsi1' })).toBe(true);
  });

  test('a kept grant that matches no grant any more is stale', () => {
    const result = conformance([role([])], needs([]), [{ actors: ['findings'], actions: ['sqs:SendMessage'], resource: 'failure-queue', reason: 'gone' }]);
    expect(result.staleKept).toEqual(['findings: sqs:SendMessage on failure-queue (gone)']);
  });

  test('publishing to an encrypted topic needs the key too', () => {
    const required = requiredPermissions([{ actor: 'findings', action: 'sns:Publish', resource: 'topic', source: 'x' }], true);
    expect(required.get('findings')!.map((p) => `${p.action} on ${p.resource}`)).toEqual([
      'sns:Publish on topic',
      'kms:GenerateDataKey on key',
      'kms:Decrypt on key',
    ]);
  });
});

describe('functionRoles: the synthesized roles, read with the recorder’s resource names', () => {
  const roles = functionRoles(buildStack({}).template.toJSON() as TemplateJson);
  const grants = (actor: string) =>
    roles
      .find((r) => r.actor === actor)!
      .grants.map((g) => `${g.action} on ${g.resource}`)
      .sort();

  test('findings: exactly what its code does (its transaction’s roll-up guard is a ConditionCheck; the ledger guard an update), its queue and its logs', () => {
    expect(grants('findings')).toEqual(
      [
        'dynamodb:BatchGetItem on table',
        'dynamodb:ConditionCheckItem on table',
        'dynamodb:PutItem on table',
        'dynamodb:Query on table',
        'dynamodb:UpdateItem on table',
        'kms:Decrypt on key',
        'kms:GenerateDataKey on key',
        'logs:CreateLogStream on log-group',
        'logs:PutLogEvents on log-group',
        'sns:Publish on topic',
        'sqs:ChangeMessageVisibility on event-queue',
        'sqs:DeleteMessage on event-queue',
        'sqs:GetQueueAttributes on event-queue',
        'sqs:GetQueueUrl on event-queue',
        'sqs:ReceiveMessage on event-queue',
      ].sort(),
    );
  });

  test('only the sweeper queries the indexes; no function has GetItem; every role is readable', () => {
    expect(roles.filter((r) => r.grants.some((g) => g.resource.includes('/index/'))).map((r) => r.actor)).toEqual(['sweeper']);
    expect(grants('sweeper')).toEqual(expect.arrayContaining(['dynamodb:Query on table/index/gsi1', 'dynamodb:Query on table/index/gsi2']));
    expect(roles.flatMap((r) => r.grants).filter((g) => g.action === 'dynamodb:GetItem')).toEqual([]);
    expect(roles.flatMap((r) => r.unreadable)).toEqual([]);
  });
});
