/**
 * No module of src/ imports itself back through others at load time: a runtime import cycle
 * makes the load order decide what a module sees (an export still undefined while the cycle
 * loads). Type-only imports and dynamic `import()` are erased or deferred, so they do not count.
 * Nor does any folder of src/ (a direct child: parse/, run/, session.ts, ...): the folders
 * follow the data flow, so a reader can learn them in one order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const srcRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** The relative modules a file loads when it loads: imports and re-exports that are not type-only. */
function runtimeImports(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  for (const st of sf.statements) {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      const bindings = clause?.namedBindings;
      const onlyTypes =
        clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            bindings &&
            ts.isNamedImports(bindings) &&
            bindings.elements.length > 0 &&
            bindings.elements.every((e) => e.isTypeOnly)));
      if (!onlyTypes) spec = st.moduleSpecifier;
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier) {
      const onlyTypes =
        st.isTypeOnly ||
        (st.exportClause &&
          ts.isNamedExports(st.exportClause) &&
          st.exportClause.elements.length > 0 &&
          st.exportClause.elements.every((e) => e.isTypeOnly));
      if (!onlyTypes) spec = st.moduleSpecifier;
    }
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith('.'))
      found.push(resolve(dirname(file), spec.text.replace(/\.js$/, '.ts')));
  }
  return found;
}

/** Each cycle once, as the files along it (relative to src/). */
function cycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (!graph.has(g)) continue;
      if (state.get(g) === 'open') out.push([...stack.slice(stack.indexOf(g)), g].map((x) => relative(srcRoot, x)));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return out;
}

test('the checker sees a runtime cycle and ignores type-only imports', () => {
  const a = join(srcRoot, 'a.ts');
  const b = join(srcRoot, 'b.ts');
  const graph = new Map([
    [
      a,
      runtimeImports(
        a,
        "import { x } from './b.js';\nimport type { Y } from './c.js';\nimport { type Z } from './c.js';",
      ),
    ],
    [b, runtimeImports(b, "export { y } from './a.js';")],
    [join(srcRoot, 'c.ts'), runtimeImports(join(srcRoot, 'c.ts'), "import type { T } from './a.js';")],
  ]);
  assert.deepEqual(cycles(graph), [['a.ts', 'b.ts', 'a.ts']]);
});

test('src/ has no runtime import cycle', () => {
  const graph = new Map<string, string[]>();
  for (const f of sourceFiles(srcRoot)) graph.set(f, runtimeImports(f, readFileSync(f, 'utf8')));
  assert.ok(graph.size > 100, `read ${graph.size} modules`);
  assert.deepEqual(
    cycles(graph).map((c) => c.join(' -> ')),
    [],
  );
});

/** The folder of src/ a module belongs to: its first path segment (a module directly in src/ is its own). */
function folderOf(file: string): string {
  return join(srcRoot, relative(srcRoot, file).split(/[\\/]/)[0]!);
}

/** Module imports lifted to folders: an edge per pair of folders, with the imports that make it. */
function folderGraph(modules: Map<string, string[]>): { graph: Map<string, string[]>; why: Map<string, string[]> } {
  const graph = new Map<string, string[]>();
  const why = new Map<string, string[]>();
  for (const [from, imports] of modules) {
    const a = folderOf(from);
    if (!graph.has(a)) graph.set(a, []);
    for (const to of imports) {
      const b = folderOf(to);
      if (a === b || !modules.has(to)) continue;
      if (!graph.get(a)!.includes(b)) graph.get(a)!.push(b);
      const key = `${relative(srcRoot, a)} -> ${relative(srcRoot, b)}`;
      (why.get(key) ?? why.set(key, []).get(key)!).push(`${relative(srcRoot, from)} imports ${relative(srcRoot, to)}`);
    }
  }
  return { graph, why };
}

test('the folder checker sees two folders that import each other, whichever modules do it', () => {
  const file = (p: string) => join(srcRoot, p);
  const modules = new Map([
    [file('parse/a.ts'), [file('unit/b.ts'), file('parse/c.ts')]],
    [file('parse/c.ts'), []],
    [file('unit/b.ts'), []],
    [file('unit/d.ts'), [file('parse/c.ts')]],
    [file('session.ts'), [file('parse/a.ts')]],
  ]);
  const { graph, why } = folderGraph(modules);
  assert.deepEqual(cycles(graph), [['parse', 'unit', 'parse']]);
  assert.deepEqual(why.get('unit -> parse'), ['unit/d.ts imports parse/c.ts']);
});

test('no two folders of src/ import each other, directly or through others', () => {
  const modules = new Map<string, string[]>();
  for (const f of sourceFiles(srcRoot)) modules.set(f, runtimeImports(f, readFileSync(f, 'utf8')));
  const { graph, why } = folderGraph(modules);
  assert.ok(graph.size > 15, `read ${graph.size} folders`);
  const found = cycles(graph).map(
    (c) =>
      `${c.join(' -> ')} (${c
        .slice(1)
        .map((to, i) => why.get(`${c[i]} -> ${to}`)![0])
        .join('; ')})`,
  );
  assert.deepEqual(found, []);
});

test('domain modules never load the API: only its clients (the CLI, the orchestrator, the entry module) import src/api.ts or src/tasks/', () => {
  const clients = new Set(['cli', 'orchestrate', 'tasks', 'api.ts', 'index.ts'].map((f) => join(srcRoot, f)));
  const isApi = (file: string) => file === join(srcRoot, 'api.ts') || folderOf(file) === join(srcRoot, 'tasks');
  const offenders: string[] = [];
  for (const f of sourceFiles(srcRoot)) {
    if (clients.has(folderOf(f))) continue;
    for (const to of runtimeImports(f, readFileSync(f, 'utf8')))
      if (isApi(to)) offenders.push(`${relative(srcRoot, f)} imports ${relative(srcRoot, to)}`);
  }
  assert.deepEqual(offenders, []);
});
