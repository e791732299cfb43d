// jest.config.js `reporters` (test-run.js says what it does).
module.exports = require('./test-run').TestRunReporter;
