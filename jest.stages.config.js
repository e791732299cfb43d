/** The pure stages' tests, with no DynamoDB Local (no global setup, no Java): `npm run test:stages`. */
const base = require('./jest.config');

module.exports = {
  ...base,
  globalSetup: undefined,
  globalTeardown: undefined,
  testMatch: ['**/test/job-log/stages/**/*.test.ts', '**/test/state/job-items-stored-forms.test.ts'],
  // A stage test that reaches for DynamoDB fails at once, naming the rule.
  moduleNameMapper: { '(^|/)(support/dynamodb|local/dynamodb-local)$': '<rootDir>/test/job-log/stages/no-dynamodb.ts' },
};
