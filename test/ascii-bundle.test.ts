/**
 * The command line's bundle is written as ASCII, so a start reads it as one-byte text: every character above U+007F
 * becomes a `\u` escape that means the same where it stands, except in a tagged template's text, which is kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { runInNewContext } from 'node:vm';
import { asciiSource } from '../src/cli/ascii-bundle.js';
import { bundleFiles } from '../src/cli/bundle-loader.js';
import { repoRoot } from './helpers/cli.js';

const source = [
  '// a comment: “quoted” — ±15:59',
  '/* ≤12 bytes */',
  'const café = "naïve";',
  "const eszett = 'Straße ẞ'.replace(/ẞ/g, 'ß');",
  "const escaped = 'a…b'.replace(/\\…/g, '.');",
  "const cls = /^[«»„“]+$/.test('«»');",
  "const astral = /^😀$/u.test('😀') && /^.$/u.test('😀');",
  "const doubled = '\\\\é';",
  'const raw = String.raw`— ${1} ✕`;',
  '({ café, eszett, escaped, cls, astral, doubled, raw, rawLength: raw.length });',
].join('\n');

test('asciiSource: the same program, ASCII but for the text of a tagged template', async () => {
  const ascii = await asciiSource(source);
  const run = (text: string) => JSON.stringify(runInNewContext(text));
  assert.equal(run(ascii), run(source));
  assert.match(run(source), /"doubled":"\\\\é"/);
  assert.equal(
    ascii.replace(/String\.raw`[^`]*`/, ''),
    ascii.replace(/String\.raw`[^`]*`/, '').replace(/[^\x00-\x7f]/g, '?'),
  );
  assert.match(ascii, /String\.raw`— \$\{1\} ✕`/);
  assert.match(ascii, /\/\\u1e9e\/g/);
});

test('asciiSource leaves an ASCII text as it is', async () => {
  const text = 'const a = "\\u2014"; // plain\n';
  assert.equal(await asciiSource(text), text);
});

test('the built bundle is ASCII', () => {
  assert.ok(isAscii(readFileSync(bundleFiles(repoRoot).bundle)));
});
