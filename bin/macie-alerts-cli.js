#!/usr/bin/env node

// The CLI's launcher (the `bin` of the macie-alerts-cli workspace package, cli/): runs the TypeScript CLI
// through tsx's require hook, so `npx macie-alerts replay` and `npm run replay` work straight from the
// sources, with no build step. Only this launcher and lambda/handlers/runtime.ts read the process
// environment; the CLI itself gets argv and the standard streams.
const path = require('node:path');
const { register } = require('tsx/cjs/api');

register();
const { run } = require(path.join(__dirname, '..', 'src', 'cli', 'main.ts'));
run(process.argv.slice(2));
