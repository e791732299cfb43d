// jest.config.js `testSequencer` (test-run.js says what it does).
module.exports = require('./test-run').RecordedLastSequencer;
