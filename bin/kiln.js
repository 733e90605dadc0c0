#!/usr/bin/env node
// Runs the compiled CLI: its bundle with V8's code cache when the build made one as new as dist/src/ (see
// src/cli/bundle.ts), else dist/src/ itself, as under --debug (whose stack traces then name kiln's own modules).
// A clone that was never built (or whose dependencies are not installed) gets one line saying what to run, not
// Node's module-resolution stack trace.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/[/]$/, '');
const debug = process.argv.includes('--debug');
const notReady = (what) => {
  process.stderr.write(
    `error: kiln is not ready to run: ${what}; run \`npm install\` in ${root} (it builds kiln), then try again\n`,
  );
  process.exit(1);
};
const missingModule = (e) => {
  if ((e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') || debug) throw e;
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec(e.message)?.[1] ?? 'a module';
  notReady(`${missing} is missing`);
};

if (!existsSync(new URL('../dist/src/cli/main.js', import.meta.url)))
  notReady('it has not been built (dist/ is missing)');

// `kiln --version` alone, once built, needs nothing but package.json: answering it here, before the CLI's bundle
// loads, keeps it within a few milliseconds of Node's own start (what commander prints: the version, a newline).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}
const start = async () => {
  const bundled = debug ? undefined : (await import('../dist/src/cli/bundle-loader.js')).loadCliBundle(root);
  const { main } = bundled ?? (await import('../dist/src/cli/main.js'));
  return main(process.argv);
};
start().catch(missingModule);
