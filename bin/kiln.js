#!/usr/bin/env node
// Runs the compiled CLI of this checkout (npm run build first).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv));
