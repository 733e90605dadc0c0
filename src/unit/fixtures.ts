/**
 * Rows of a unit test input or expectation, from inline YAML or a fixture file under
 * `<test-path>/fixtures/`: dict rows keep their YAML types, CSV cells are text (an empty
 * cell is NULL), SQL is a query used as it is.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { KilnError } from '../errors.js';
import { findFixture } from '../parse/fixture-files.js';
import { parseCsv } from '../seeds/csv.js';
import type { ProjectConfig } from '../config/project.js';
import type { UnitTestNode, UnitTestRows } from '../parse/nodes.js';

export type Fixture =
  | {
      kind: 'rows';
      columns: string[];
      rows: Array<Record<string, unknown>>;
      file: string;
      line?: number;
      csv?: boolean;
    }
  | { kind: 'sql'; sql: string; file: string; line?: number };

export function loadFixture(spec: UnitTestRows, test: UnitTestNode, project: ProjectConfig, what: string): Fixture {
  let text: unknown = spec.rows;
  let file = test.originalFilePath;
  let line = spec.line ?? test.declaredAt.line;
  if (spec.fixture !== undefined) {
    const found = findFixture(project, spec.fixture, spec.format);
    if (!found) {
      throw new KilnError(
        'config',
        `unit test '${test.name}': ${what} names fixture '${spec.fixture}', ` +
          `but no ${spec.format} file of that name is under ` +
          project.testPaths.map((p) => `${p}/fixtures/`).join(' or '),
        {
          file: test.originalFilePath,
          line: test.declaredAt.line,
          hint: `create ${project.testPaths[0] ?? 'tests'}/fixtures/${spec.fixture}.${spec.format}`,
        },
      );
    }
    text = readFileSync(found, 'utf8');
    file = relative(project.projectDir, found);
    line = 1;
  }
  if (spec.format === 'sql')
    return {
      kind: 'sql',
      sql: String(text ?? '')
        .trim()
        .replace(/;\s*$/, ''),
      file,
      line,
    };
  if (spec.format === 'csv') {
    const table = parseCsv(String(text ?? ''), file);
    const [header, ...body] = table;
    if (!header) return { kind: 'rows', columns: [], rows: [], file, line };
    const columns = header.map((h) => h.trim());
    const rows = body.map((cells, i) => {
      if (cells.length !== columns.length)
        throw new KilnError(
          'config',
          `unit test '${test.name}': ${what} CSV row ${i + 2} has ${cells.length} values for ${columns.length} columns`,
          { file, line, hint: 'quote values that contain commas: "a, b"' },
        );
      return Object.fromEntries(columns.map((c, j) => [c, cells[j] === '' ? null : cells[j]]));
    });
    return { kind: 'rows', columns, rows, file, line, csv: true };
  }
  const rows = (text as Array<Record<string, unknown>> | undefined) ?? [];
  const columns: string[] = [];
  for (const row of rows) for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k);
  return { kind: 'rows', columns, rows, file, line };
}
