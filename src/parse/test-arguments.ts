/**
 * Generic tests checked against their macros while parsing, so a mistake in a properties
 * file is reported at its line rather than as a SQL error when the test runs: the test must
 * exist, a column test must stand under a column, every argument without a default must be
 * given, and the built-in tests' arguments must have their types (`values:` is a list).
 */
import { KilnError } from '../errors.js';
import { builtinTestArgumentSchemas } from '../config/schemas.js';
import { closestWord, schemaProblem } from '../config/yaml.js';
import type { TemplateEngine, MacroInfo } from '../template/engine.js';
import type { TestNode } from './nodes.js';

export function checkTestArguments(tests: Iterable<TestNode>, engine: TemplateEngine): void {
  for (const t of tests) {
    const meta = t.testMetadata;
    if (!meta) continue;
    // The line costs a second parse of the YAML: looked up only for an error.
    const where = () => ({ file: t.declaredAt?.file ?? t.originalFilePath, line: t.declaredAt?.line });
    const label = meta.namespace ? `${meta.namespace}.${meta.name}` : meta.name;
    const macro = testMacro(engine, meta.name, meta.namespace, t.packageName);
    // A package that is not installed is reported, with what to run, when the test renders.
    if (!macro && meta.namespace && !engine.packageMacros.has(meta.namespace)) continue;
    if (!macro) {
      const known = [...engine.macros.keys()].filter((n) => n.startsWith('test_')).map((n) => n.slice(5));
      const near = meta.namespace ? undefined : closestWord(meta.name, known);
      throw new KilnError('yaml', `unknown generic test '${label}'${near ? ` (did you mean '${near}'?)` : ''}`, {
        ...where(),
        hint: meta.namespace
          ? `if '${meta.namespace}' is a package, list it in packages.yml and run \`kiln deps\``
          : `define it with {% test ${meta.name}(model, column_name) %} in ` +
            `a macro file, or use one of: ${known.sort().join(', ')}`,
      });
    }
    const given = meta.kwargs;
    for (const p of engine.macroParameters(macro)) {
      if (!p.required || p.name === 'model' || p.name in given) continue;
      if (p.name === 'column_name') {
        throw new KilnError(
          'yaml',
          `'${label}' tests a column: list it under a column's data_tests, ` +
            `not the ${t.attachedNode ? 'model' : 'table'}'s`,
          { ...where(), hint: `columns:\n      - name: id\n        data_tests: [${meta.name}]` },
        );
      }
      throw new KilnError('yaml', `test '${label}' needs the argument '${p.name}'`, {
        ...where(),
        hint: `e.g. - ${meta.name}: {${p.name}: ...}`,
      });
    }
    const schema =
      meta.namespace === undefined && macro.packageName === 'kiln' ? builtinTestArgumentSchemas[meta.name] : undefined;
    const problem = schema && schemaProblem(schema, given);
    if (problem) throw new KilnError('yaml', `test '${label}': the argument ${problem.message}`, where());
  }
}

/** The macro a test entry runs: in its namespace, else the test's own package's, else kiln's or the root project's. */
function testMacro(
  engine: TemplateEngine,
  name: string,
  namespace: string | undefined,
  packageName: string,
): MacroInfo | undefined {
  const macro = `test_${name}`;
  if (namespace) return engine.macroInfo(macro, namespace);
  return engine.macroInfo(macro, packageName) ?? engine.macroInfo(macro);
}
