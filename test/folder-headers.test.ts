/**
 * Each folder of src/ opens with a README.md a newcomer reads first: what it owns, what it
 * must not do, its entry points. The "must not" is the one ARCHITECTURE.md's table gives the
 * folder, and every module a README names exists, so neither drifts from the code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers/cli.js';

const src = join(repoRoot, 'src');
const folders = readdirSync(src, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

/** ARCHITECTURE.md's "must not" cell for src/<folder>/ (src/adapters/<name>/ for adapters). */
function tableMustNot(architecture: string, folder: string): string | undefined {
  const rows = architecture.split('\n').filter((l) => l.startsWith(`| \`src/${folder}/`));
  const row = rows.find((l) => l.startsWith(`| \`src/${folder}/\``)) ?? rows[0];
  return row
    ?.replace(/\s*\|\s*$/, '')
    .split(' | ')
    .pop();
}

/** Every file under a folder, by base name. */
function filesUnder(dir: string): Set<string> {
  const out = new Set<string>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.add(e.name);
  return out;
}

test('every folder of src/ has a README saying what it owns, what it must not do and its entry points', () => {
  assert.ok(folders.length >= 15, `found ${folders.length} folders`);
  const architecture = readFileSync(join(repoRoot, 'ARCHITECTURE.md'), 'utf8');
  for (const folder of folders) {
    const file = join(src, folder, 'README.md');
    assert.ok(existsSync(file), `src/${folder}/ has no README.md`);
    const text = readFileSync(file, 'utf8');
    const lines = text.trimEnd().split('\n').length;
    assert.ok(lines >= 5 && lines <= 15, `src/${folder}/README.md has ${lines} lines (5 to 15)`);
    assert.equal(text.split('\n')[0], `# src/${folder}/`, `src/${folder}/README.md opens with its path`);
    assert.match(text, /\*\*Owns\*\* /, `src/${folder}/README.md says what it owns`);
    assert.match(text, /\*\*Entry points?:\*\* /, `src/${folder}/README.md names its entry points`);
    const mustNot = /\*\*Must not\*\* ([\s\S]*?)\.\n(\n|$)/.exec(text)?.[1];
    assert.ok(mustNot, `src/${folder}/README.md says what it must not do`);
    const cell = tableMustNot(architecture, folder);
    assert.ok(cell, `ARCHITECTURE.md's table has a row for src/${folder}/`);
    assert.equal(
      collapse(mustNot),
      collapse(cell),
      `src/${folder}/: README and ARCHITECTURE.md say the same "must not"`,
    );
    const present = filesUnder(join(src, folder));
    for (const [, name] of text.matchAll(/`([\w./-]+\.ts)`/g)) {
      const exists = name!.includes('/')
        ? existsSync(join(src, folder, name!)) || existsSync(join(repoRoot, name!))
        : present.has(name!);
      assert.ok(exists, `src/${folder}/README.md names ${name}, which does not exist`);
    }
  }
});
