#!/usr/bin/env node
'use strict';
// The macie-alerts-cli package's `bin`. The launcher stays at bin/macie-alerts-cli.js, where `npm run demo`
// and the tests run it; this package only carries the CLI's dependencies (tsx, DynamoDB Local, the AWS SDK
// clients), so that an app installing the macie-alerts construct library installs none of them.
require('../bin/macie-alerts-cli.js');
