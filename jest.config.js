/** Tests run TypeScript through swc (no type-check: `tsc --noEmit` does that once, in `npm test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // One DynamoDB Local for the whole run; each suite makes its own table in it.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Every suite records the AWS calls its code makes; the `*.recorded.test.ts` suites run last and check them
  // against the stack's roles and the CLI's policy (test/support/test-run.js).
  setupFilesAfterEnv: ['<rootDir>/test/support/record-aws-calls.ts'],
  testSequencer: '<rootDir>/test/support/test-run-sequencer.js',
  reporters: ['default', '<rootDir>/test/support/test-run-reporter.js'],
  // Generous: CI shares two cores with other work, a suite's beforeAll may synthesize a whole stack, and no
  // test asserts on time; a hang still fails.
  testTimeout: 300000,
  maxWorkers: 2,
};
