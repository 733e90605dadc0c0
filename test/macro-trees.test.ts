/**
 * kiln's own macro files are parsed at build time: the trees written are the parser's, every
 * file of templates/ has one in the build, and a tree is not used for other text or by
 * another parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JinjaEnvironment, callValue, macroStatements } from '../src/template/jinja/index.js';
import {
  macroFileHash,
  prebuiltMacroStatements,
  readMacroTrees,
  writeMacroTrees,
} from '../src/template/macro-trees.js';
import { TemplateEngine } from '../src/template/engine.js';
import { removeDir, repoRoot, tempDir, writeProject } from './helpers/cli.js';

const templatesDir = join(repoRoot, 'templates');
const macroFiles = (readdirSync(templatesDir, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.sql'))
  .map((f) => join(templatesDir, f));

test('the trees written at build time are what the parser gives for each of kiln macro files', () => {
  const dir = tempDir('kiln-macro-trees-');
  try {
    const file = join(dir, 'trees.json');
    assert.equal(writeMacroTrees(templatesDir, file), macroFiles.length, 'every file has a tree');
    const trees = readMacroTrees(file);
    for (const f of macroFiles) {
      const source = readFileSync(f, 'utf8');
      const tree = trees.get(macroFileHash(source));
      assert.ok(tree, f);
      assert.equal(JSON.stringify(tree), JSON.stringify(macroStatements(source)), f);
    }
  } finally {
    removeDir(dir);
  }
});

test("the build's trees are found for kiln's macro files, and give the engine the macros parsing gives", () => {
  for (const f of macroFiles) {
    const source = readFileSync(f, 'utf8');
    assert.ok(prebuiltMacroStatements(macroFileHash(source)), `npm run build wrote the tree of ${f}`);
    // The same text with a comment added is parsed at run time and every macro compiled at once (so each of kiln's
    // compiles, which lets the engine compile their bodies on first call): same macros, same lines and texts.
    const fromTree = new TemplateEngine().registerMacroFile(source, f, 'kiln');
    const parsed = new TemplateEngine().registerMacroFile(`${source}{# #}`, f, 'kiln');
    assert.deepEqual(fromTree, parsed, f);
  }
});

test('a tree is not used for edited text, by another parser, or with a float JSON cannot hold', () => {
  const dir = writeProject({
    'macros/a.sql': '{% macro a() %}{{ 1 }}{% endmacro %}',
    'macros/float.sql': '{% macro f() %}{{ 1.0 }}{% endmacro %}',
  });
  try {
    const file = join(dir, 'trees.json');
    assert.equal(writeMacroTrees(dir, file), 1, "1.0 is a Python float, which JSON would read back as kiln's int 1");
    const trees = readMacroTrees(file);
    assert.ok(trees.get(macroFileHash('{% macro a() %}{{ 1 }}{% endmacro %}')));
    assert.equal(trees.get(macroFileHash('{% macro a() %}{{ 2 }}{% endmacro %}')), undefined);
    const data = JSON.parse(readFileSync(file, 'utf8')) as { parser: string };
    writeFileSync(file, JSON.stringify({ ...data, parser: 'another' }));
    assert.equal(readMacroTrees(file).size, 0, "another parser's trees are not used");
    assert.equal(readMacroTrees(join(dir, 'missing.json')).size, 0);
  } finally {
    removeDir(dir);
  }
});

test('with macroBodiesOnCall a macro body is compiled at its first call, where an error found compiling it then shows', () => {
  const source = '{% macro ok() %}fine{% endmacro %}{% macro bad() %}{% for loop in [1] %}{% endfor %}{% endmacro %}';
  assert.throws(() => new JinjaEnvironment().compile(source, 'm.sql', { macrosOnly: true }), /special loop variable/);
  const env = new JinjaEnvironment();
  const frame = env.compile(source, 'm.sql', { macrosOnly: true, macroBodiesOnCall: true }).execute(env.state).frame;
  assert.equal(callValue(frame.lookup('ok'), [], undefined), 'fine');
  assert.throws(() => callValue(frame.lookup('bad'), [], undefined), /special loop variable/);
});
