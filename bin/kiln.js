#!/usr/bin/env node
// Runs the compiled CLI. A clone that was never built (or whose dependencies are not installed)
// gets one line saying what to run, not Node's module-resolution stack trace.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/[/]$/, '');
const notReady = (what) => {
  process.stderr.write(
    `error: kiln is not ready to run: ${what}; run \`npm install\` in ${root} (it builds kiln), then try again\n`,
  );
  process.exit(1);
};

if (!existsSync(new URL('../dist/src/cli/main.js', import.meta.url)))
  notReady('it has not been built (dist/ is missing)');
import('../dist/src/cli/main.js').then(
  (m) => m.main(process.argv),
  (e) => {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND' || process.argv.includes('--debug')) throw e;
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(e.message)?.[1] ?? 'a module';
    notReady(`${missing} is missing`);
  },
);
