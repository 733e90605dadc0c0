/**
 * The README as a new user reads it: every `node bin/kiln.js ...` example in it runs on
 * project-example, succeeds and shows something (project-example has data tests, unit tests
 * and tags for each), with no stack trace.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, copyExample, removeDir, repoRoot } from './helpers/cli.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const dir = copyExample();
after(() => removeDir(dir));

/** The README's example command lines, arguments split as a shell would (none are quoted). */
const examples = [...readme.matchAll(/^node bin\/kiln\.js (.+?)(?:\s+#.*)?$/gm)].map((m) => m[1]!.trim().split(/\s+/));

test('the README has examples for build, run, test, ls, compile and the unit tests', () => {
  const commands = examples.map((args) => args[0]);
  for (const c of ['build', 'run', 'test', 'ls', 'compile']) assert.ok(commands.includes(c), `an example of kiln ${c}`);
  assert.ok(examples.some((args) => args.includes('test_type:unit')));
});

test('every README example succeeds on project-example and shows something', () => {
  // The build first, as the README has it: the rest read what it built.
  const ordered = [...examples].sort((a, b) => Number(b[0] === 'build') - Number(a[0] === 'build'));
  for (const args of ordered) {
    const r = kiln(args.map((a) => (a === 'project-example' ? dir : a)));
    const shown = `kiln ${args.join(' ')}\n${r.stdout}${r.stderr}`;
    assert.equal(r.code, 0, shown);
    assert.doesNotMatch(
      r.stdout + r.stderr,
      /^\s+at |ERR_|warning: the selector .* matched no nodes|nothing to do/m,
      shown,
    );
    if (['build', 'run', 'test'].includes(args[0]!)) {
      const done = /^Done\. PASS=(\d+) WARN=(\d+) ERROR=0 SKIP=0 TOTAL=(\d+)$/m.exec(r.stdout);
      assert.ok(done && Number(done[3]) > 0, shown);
    } else assert.ok(r.stdout.trim().split('\n').length >= 3, shown);
    if (args.includes('test_type:unit'))
      assert.match(r.stdout, /^Done\. PASS=3 WARN=0 ERROR=0 SKIP=0 TOTAL=3$/m, shown);
  }
});
