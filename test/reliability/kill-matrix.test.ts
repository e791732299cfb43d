import { claim, describeKillMatrix, publish, read, readAlerts, settle, silences, stateWrite, call } from './kill-matrix-suite';

// Each state write claims its first 10 new alerts at birth (outbox.ts): only batch 1's last 5 are read and claimed.
describeKillMatrix({
  env: {},
  startAt: Date.now(),
  expectedCalls: [
    [silences, read, stateWrite, readAlerts, publish, settle, claim, publish, settle],
    [silences, read, stateWrite, publish, settle],
    [silences, read, call('DynamoDB', 'Query', 'read'), stateWrite, publish, settle],
  ],
  alerts: 15,
});
