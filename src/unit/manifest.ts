/** A unit test in manifest.json's `unit_tests` section, with dbt's field names. */
import type { UnitTestNode, UnitTestRows } from '../parse/nodes.js';

const rowsJson = (r: UnitTestRows) => ({ format: r.format, rows: r.rows ?? null, fixture: r.fixture ?? null });

export function unitTestJson(n: UnitTestNode): Record<string, unknown> {
  return {
    unique_id: n.uniqueId,
    resource_type: 'unit_test',
    name: n.name,
    package_name: n.packageName,
    path: n.path,
    original_file_path: n.originalFilePath,
    fqn: n.fqn,
    model: n.model.split('.').pop(),
    description: n.description,
    given: n.given.map((g) => ({ input: g.input, ...rowsJson(g) })),
    expect: rowsJson(n.expect),
    overrides: { macros: n.overrides.macros, vars: n.overrides.vars, env_vars: n.overrides.envVars },
    config: n.config,
    tags: n.tags,
    meta: n.meta,
    depends_on: n.dependsOn,
    checksum: { name: 'sha256', checksum: n.checksum },
  };
}
