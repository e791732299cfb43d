/** Tests run TypeScript through swc (no type-check: `tsc --noEmit` does that once, in `npm test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // One DynamoDB Local for the whole run; each suite makes its own table in it.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Generous: CI shares two cores with other work, a suite's beforeAll may synthesize a whole stack, and no
  // test asserts on time; a hang still fails.
  testTimeout: 300000,
  maxWorkers: 2,
};
