/**
 * The syntax trees of kiln's own macro files (templates/), parsed at build time. Every
 * process registers all of them, and lexing and parsing ~60 KB of cold code cost more than
 * anything else a small project's parse does; reading the trees as JSON costs a tenth of it.
 * A tree is found by the hash of the file's text and used only while the lexer and parser
 * are the ones that made it (their compiled files' hash is stored beside the trees), so an
 * edited macro file or parser is parsed at run time, never answered from a stale tree.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { packageRoot } from '../package-root.js';
import { macroStatements } from './jinja/index.js';
import type { Stmt } from './jinja/nodes.js';

interface TreesFile {
  parser: string;
  trees: Record<string, Stmt[]>;
}

const generatedFile = fileURLToPath(new URL('./generated/macro-trees.json', import.meta.url));
const parserFiles = ['./jinja/lexer.js', './jinja/parser.js'].map((f) => fileURLToPath(new URL(f, import.meta.url)));

/** A macro file's identity: the engine records it for the caches, and trees are found by it. */
export function macroFileHash(source: string): string {
  return createHash('sha1').update(source).digest('hex');
}

/** The hash of the lexer and parser that run here; undefined when their files cannot be read (run from source). */
function parserHash(): string | undefined {
  const hash = createHash('sha1');
  try {
    for (const f of parserFiles) hash.update(readFileSync(f));
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}

let loaded: Map<string, Stmt[]> | undefined;

/** Trees of `file` made by this parser, by the hash of their text (none when it is missing or another parser's). */
export function readMacroTrees(file = generatedFile): Map<string, Stmt[]> {
  let data: TreesFile;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as TreesFile;
  } catch {
    return new Map();
  }
  const parser = parserHash();
  return new Map(parser !== undefined && data.parser === parser ? Object.entries(data.trees) : []);
}

/** The statements `macroStatements` gives for the text with this hash, if that text is one of kiln's macro files. */
export function prebuiltMacroStatements(hash: string): Stmt[] | undefined {
  loaded ??= readMacroTrees();
  return loaded.get(hash);
}

/** Objects with their keys of undefined value dropped, as JSON drops them. */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, withoutUndefined(v)]),
  );
}

/** The tree of a macro file as JSON, unless JSON cannot hold it exactly (a float, a big integer, -0). */
function exactJson(tree: Stmt[]): Stmt[] | undefined {
  let text: string;
  try {
    text = JSON.stringify(tree);
  } catch {
    return undefined;
  }
  const back = JSON.parse(text) as Stmt[];
  return isDeepStrictEqual(back, withoutUndefined(tree)) ? back : undefined;
}

function sqlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sqlFiles(join(dir, e.name)) : e.name.endsWith('.sql') ? [join(dir, e.name)] : [],
  );
}

/** Writes the trees of every macro file under `templatesDir` that JSON holds exactly (the build step). */
export function writeMacroTrees(templatesDir = join(packageRoot, 'templates'), file = generatedFile): number {
  const trees: Record<string, Stmt[]> = {};
  for (const f of sqlFiles(templatesDir)) {
    const source = readFileSync(f, 'utf8');
    const tree = exactJson(macroStatements(source));
    if (tree) trees[macroFileHash(source)] = tree;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ parser: parserHash() ?? '', trees } satisfies TreesFile));
  return Object.keys(trees).length;
}
