import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { StateAccess } from '../lambda/handlers/state-access';
import { TABLE_KEYS } from '../lambda/state/table';

/**
 * The one DynamoDB table of every run's state (layout shared with the handlers through lambda/state/table.ts),
 * and the grants on it. A part of MacieAlerts: the table is made in the construct's own scope, so its logical
 * id stays what deployed stacks have.
 */
export class StateTable {
  readonly table: dynamodb.TableV2;

  constructor(owner: Construct, removalPolicy: RemovalPolicy) {
    const { partitionKey, sortKey, ttlAttribute, gsi1, gsi2 } = TABLE_KEYS;
    this.table = new dynamodb.TableV2(owner, 'StateTable', {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      timeToLiveAttribute: ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      globalSecondaryIndexes: [
        {
          indexName: gsi1.indexName,
          partitionKey: { name: gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: gsi1.sortKey, type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        },
        {
          // The daily digest's: only the few attributes it reads, none of which changes after a write.
          indexName: gsi2.indexName,
          partitionKey: { name: gsi2.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: gsi2.sortKey, type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.INCLUDE,
          nonKeyAttributes: [...gsi2.projected],
        },
      ],
      removalPolicy,
    });
  }

  /**
   * Exactly the state table actions the function's code performs (STATE_ACCESS), ConditionCheckItem included for
   * transactions; no GetItem (StateStore reads with BatchGetItem). test/cdk/roles.recorded.test.ts holds this.
   */
  grant(role: iam.Role, access: StateAccess): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:BatchGetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          ...(access.conditionChecks ? ['dynamodb:ConditionCheckItem'] : []),
        ],
        resources: [this.table.tableArn],
      }),
    );
    if (access.indexes) {
      const { gsi1, gsi2 } = TABLE_KEYS;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [gsi1, gsi2].map((index) => `${this.table.tableArn}/index/${index.indexName}`) }),
      );
    }
  }
}
