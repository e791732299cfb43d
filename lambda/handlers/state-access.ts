/**
 * What each function does with the state table beyond what all of them do (BatchGetItem, Query, PutItem and
 * UpdateItem on the table): its role is granted exactly this (lib/state-table.ts), its self-test makes these
 * calls (self-test.ts), and test/cdk/roles.recorded.test.ts holds both against every call the tests record.
 * IAM authorizes each action of a TransactWriteItems on its own, so a ConditionCheck in one needs
 * dynamodb:ConditionCheckItem ("Using IAM with DynamoDB transactions").
 */
export type FunctionName = 'job-log' | 'findings' | 'api-calls' | 'health' | 'sweeper';

export interface StateAccess {
  /** ConditionCheck in a transaction: the findings' roll-up guard (a group rolled up checks its type's roll-up is still open; the ledger guard is an update); job-log: see the kept grant in roles.recorded.test.ts. */
  readonly conditionChecks: boolean;
  /** Query on the table's indexes (gsi1, gsi2): the sweeper's lists and the daily digest. */
  readonly indexes: boolean;
}

export const STATE_ACCESS: Readonly<Record<FunctionName, StateAccess>> = {
  'job-log': { conditionChecks: true, indexes: false },
  findings: { conditionChecks: true, indexes: false },
  'api-calls': { conditionChecks: false, indexes: false },
  health: { conditionChecks: false, indexes: false },
  sweeper: { conditionChecks: false, indexes: true },
};
