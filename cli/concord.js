#!/usr/bin/env node
// The `concord` command: TypeScript sources run directly through tsx, so what ops run is what the repository holds.
// The SDK's Node 20 end-of-support notice is tracked in the README; keep operator output readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('./main.ts');
