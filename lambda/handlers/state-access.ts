/**
 * What each function does with the state table beyond what all do: its role is granted exactly this and its
 * self-test does it. A ConditionCheck in a transaction needs dynamodb:ConditionCheckItem.
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
