/**
 * Macros: kiln's, then each installed package's, then the root project's, registered in the
 * template engine in that order (a later package's macro of the same name overrides an
 * earlier one), and listed as the manifest's macro nodes. Renders nothing.
 */
import { KilnError } from '../errors.js';
import type { TemplateEngine } from '../template/engine.js';
import { exposeContextMacros } from '../template/context.js';
import { builtinMaterializations } from './configs.js';
import type { MacroFiles } from './discovery.js';
import type { ProjectFile } from './files.js';
import type { MacroNode } from './nodes.js';

export function registerMacros(engine: TemplateEngine, files: MacroFiles, rootPackage: string): Map<string, MacroNode> {
  const macros = new Map<string, MacroNode>();
  registerFiles(engine, macros, files.builtinMacros, 'kiln', true);
  exposeContextMacros(engine);
  for (const p of files.packageMacros) engine.addPackageFolder(p.folder, p.packageName);
  for (const p of files.packageMacros) registerFiles(engine, macros, p.files, p.packageName, false);
  registerFiles(engine, macros, files.rootMacros, rootPackage, true);
  return macros;
}

/**
 * Two macros of one name in one package are an error, as in dbt; the same name in another
 * package (the root project overriding kiln's or a package's) is an override.
 */
function registerFiles(
  engine: TemplateEngine,
  macros: Map<string, MacroNode>,
  files: ProjectFile[],
  packageName: string,
  global: boolean,
): void {
  for (const f of files) {
    const repeated = engine.repeatedMacroInFile(f.text);
    if (repeated)
      throw duplicateMacro(
        repeated.name,
        packageName,
        `${f.projectPath}:${repeated.lines[0]}`,
        `${f.projectPath}:${repeated.lines[1]}`,
        { file: f.projectPath, line: repeated.lines[1] },
      );
    for (const m of engine.registerMacroFile(f.text, f.projectPath, packageName, { global })) {
      const uniqueId = `macro.${packageName}.${m.name}`;
      const earlier = macros.get(uniqueId);
      if (earlier && earlier.originalFilePath !== f.projectPath)
        throw duplicateMacro(
          m.name,
          packageName,
          `${earlier.originalFilePath}:${earlier.line}`,
          `${f.projectPath}:${m.line}`,
          { file: f.projectPath, line: m.line },
        );
      macros.set(uniqueId, {
        uniqueId,
        name: m.name,
        packageName,
        path: f.resourcePath,
        originalFilePath: f.projectPath,
        macroSql: m.source,
        line: m.line,
      });
    }
  }
}

function duplicateMacro(
  name: string,
  packageName: string,
  first: string,
  second: string,
  at: { file: string; line: number },
): KilnError {
  return new KilnError('graph', `two macros are named '${name}' in package '${packageName}': ${first} and ${second}`, {
    ...at,
    hint: 'rename or remove one of them',
  });
}

/** kiln's materializations and every `{% materialization name, adapter %}` of the project and its packages. */
export function materializationsOf(engine: TemplateEngine): Set<string> {
  const names = new Set<string>(builtinMaterializations);
  for (const macros of engine.packageMacros.values()) {
    for (const name of macros.keys()) {
      const m = /^materialization_(.+)_([^_]+)$/.exec(name);
      if (m) names.add(m[1]!);
    }
  }
  return names;
}
