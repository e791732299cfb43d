/**
 * What IAM authorizes for one AWS SDK call: its actions, each on a resource named by kind (`table`,
 * `table/index/gsi1`, `topic`, `queue`, `function`, `stack`, `*`), since test tables and topics have names
 * of their own. The rules are IAM's: a TransactWriteItems is authorized item by item (Put -> PutItem,
 * Update -> UpdateItem, Delete -> DeleteItem, ConditionCheck -> ConditionCheckItem: DynamoDB developer
 * guide, "Using IAM with DynamoDB transactions"), a Query on an index needs the index ARN, a PublishBatch
 * is sns:Publish, an Invoke is lambda:InvokeFunction, and sts:GetCallerIdentity needs no permission at all.
 */
export interface SdkCall {
  /** The client's name as the SDK gives it: DynamoDBClient, SNSClient, ... */
  readonly client: string;
  /** The command's name: TransactWriteItemsCommand, PublishBatchCommand, ... (document client names too: PutCommand). */
  readonly command: string;
  readonly input: unknown;
}

export interface Permission {
  readonly action: string;
  readonly resource: string;
}

const SERVICE_OF_CLIENT: Readonly<Record<string, string>> = {
  DynamoDBClient: 'dynamodb',
  DynamoDBDocumentClient: 'dynamodb',
  SNSClient: 'sns',
  SQSClient: 'sqs',
  LambdaClient: 'lambda',
  CloudFormationClient: 'cloudformation',
  STSClient: 'sts',
  CloudWatchClient: 'cloudwatch',
};

/** @aws-sdk/lib-dynamodb's command names, as the DynamoDB operations they send. */
const DOCUMENT_OPERATIONS: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

/** TransactWriteItems' members and the action IAM checks for each. */
const TRANSACT_WRITE_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** The operation name of a command: PutItemCommand -> PutItem, PutCommand (lib-dynamodb) -> PutItem. */
export function operationOf(call: Pick<SdkCall, 'client' | 'command'>): string {
  const name = call.command.replace(/Command$/, '');
  return serviceOf(call) === 'dynamodb' ? (DOCUMENT_OPERATIONS[name] ?? name) : name;
}

export function serviceOf(call: Pick<SdkCall, 'client'>): string {
  const service = SERVICE_OF_CLIENT[call.client];
  if (!service) throw new Error(`iam-actions: no IAM mapping for client ${call.client}: add its service to SERVICE_OF_CLIENT`);
  return service;
}

export function permissionsOf(call: SdkCall): Permission[] {
  const service = serviceOf(call);
  const operation = operationOf(call);
  const input = (call.input ?? {}) as Record<string, unknown>;
  switch (service) {
    case 'dynamodb':
      return dynamodbPermissions(operation, input);
    case 'sns':
      // PublishBatch has no action of its own: IAM checks sns:Publish.
      return [{ action: operation === 'PublishBatch' ? 'sns:Publish' : `sns:${operation}`, resource: 'topic' }];
    case 'lambda':
      return [{ action: operation === 'Invoke' ? 'lambda:InvokeFunction' : `lambda:${operation}`, resource: 'function' }];
    case 'sts':
      // "No permissions are required to perform this operation" (STS API reference, GetCallerIdentity).
      return operation === 'GetCallerIdentity' ? [] : [{ action: `sts:${operation}`, resource: '*' }];
    case 'cloudformation':
      return [{ action: `cloudformation:${operation}`, resource: 'stack' }];
    case 'sqs':
      return [{ action: `sqs:${operation}`, resource: 'queue' }];
    default:
      return [{ action: `${service}:${operation}`, resource: '*' }];
  }
}

function dynamodbPermissions(operation: string, input: Record<string, unknown>): Permission[] {
  const table = (name: unknown) => (typeof name === 'string' ? 'table' : '*');
  switch (operation) {
    case 'TransactWriteItems':
      return ((input.TransactItems ?? []) as Record<string, { TableName?: string }>[]).flatMap((item) =>
        Object.entries(item).flatMap(([member, op]) => {
          const action = TRANSACT_WRITE_ACTIONS[member];
          if (!action) throw new Error(`iam-actions: unknown TransactWriteItems member ${member}`);
          return [{ action, resource: table(op?.TableName) }];
        }),
      );
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as { Get?: { TableName?: string } }[]).map((item) => ({
        action: 'dynamodb:GetItem',
        resource: table(item.Get?.TableName),
      }));
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((input.RequestItems ?? {}) as object).map(() => ({ action: `dynamodb:${operation}`, resource: 'table' }));
    case 'Query':
    case 'Scan':
      return [{ action: `dynamodb:${operation}`, resource: typeof input.IndexName === 'string' ? `table/index/${input.IndexName}` : table(input.TableName) }];
    default:
      return [{ action: `dynamodb:${operation}`, resource: table(input.TableName) }];
  }
}
