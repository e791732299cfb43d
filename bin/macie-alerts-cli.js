#!/usr/bin/env node
'use strict';
// The package's `bin`: runs the TypeScript CLI through tsx's require hook, so `npx macie-alerts replay` and
// `npm run replay` work straight from the sources, with no build step. Only this launcher and
// lambda/handlers/runtime.ts read the process environment; the CLI itself gets argv and the standard streams.
const path = require('node:path');
const { register } = require('tsx/cjs/api');

// Node 20 is this package's supported engine; the SDK's notice about its 2027 releases is noise in replay output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { run } = require(path.join(__dirname, '..', 'src', 'cli', 'main.ts'));
run(process.argv.slice(2));
