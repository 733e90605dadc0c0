/**
 * An impact as people and machines read it: Markdown for a pull-request comment and
 * `target/impact.json` (schema in docs/impact.md). Formatting only.
 */
import { kilnVersion } from '../version.js';
import type { ColumnChange, Impact, ModelImpact } from './impact.js';

export const impactFile = 'impact.json';

const changeWords: Record<ColumnChange['change'], string> = {
  removed: 'removed',
  renamed: 'renamed',
  retyped: 'type changed',
  expression_changed: 'expression changed',
  added: 'added',
  metadata: 'description or metadata changed',
};

/** A column change in words: "removed", "renamed from order_status", ... */
export function describeColumnChange(c: ColumnChange): string {
  return c.change === 'renamed' ? `renamed from \`${c.from}\`` : changeWords[c.change];
}

const shortName = (id: string) => id.split('.').slice(2).join('.');

/** Readers as a short list: `fct_orders.status`, test `not_null_...`. */
export function describeReaders(c: ColumnChange, limit = 6): string {
  if (c.readBy.length === 0) return 'nothing';
  const names = c.readBy.map((r) =>
    r.column === null ? `test \`${shortName(r.node)}\`` : `\`${shortName(r.node)}.${r.column}\` (${r.kind})`,
  );
  return names.length > limit
    ? `${names.slice(0, limit).join(', ')} and ${names.length - limit} more`
    : names.join(', ');
}

export function impactMarkdown(impact: Impact): string {
  const count = (c: ModelImpact['change']) => impact.models.filter((m) => m.change === c).length;
  const lines = [
    `## kiln impact: ${count('breaking')} breaking, ${count('non-breaking')} ` +
      `non-breaking, ${count('metadata-only')} metadata-only`,
    '',
  ];
  if (impact.models.length === 0) lines.push('No model, seed or snapshot changed.');
  const order: Array<ModelImpact['change']> = ['breaking', 'non-breaking', 'metadata-only'];
  for (const m of [...impact.models].sort((a, b) => order.indexOf(a.change) - order.indexOf(b.change))) {
    lines.push(`### ${m.change}: \`${m.name}\`${m.isNew ? ' (new)' : ''} — \`${m.file}\``, '');
    if (m.columns.length === 0)
      lines.push(
        m.sqlChanged
          ? 'The SQL changed; no output column did (rows may differ).'
          : 'Only its description or metadata changed.',
        '',
      );
    else {
      lines.push('| column | change | breaking | read downstream by |', '| --- | --- | --- | --- |');
      for (const c of m.columns)
        lines.push(
          `| \`${c.column}\` | ${describeColumnChange(c)} | ${c.breaking ? '**yes**' : 'no'} | ${describeReaders(c)} |`,
        );
      lines.push('');
    }
    const a = m.affected;
    if (m.change === 'breaking') {
      lines.push(
        `Affected downstream: ${a.models.length} models, ${a.columns.length} ` +
          `columns, ${a.tests.length} tests, ${a.exposures.length} exposures` +
          (a.exposures.length ? ` (${a.exposures.map((e) => `\`${shortName(e)}\``).join(', ')})` : '') +
          '.',
        '',
      );
    }
  }
  if (impact.breakingReach.length > 0)
    lines.push(
      `Rebuild what the breaking changes reach: \`kiln build --select ` +
        `impact:breaking\` (${impact.breakingReach.length} nodes).`,
    );
  return lines.join('\n').trimEnd() + '\n';
}

export function impactJson(impact: Impact, stateDir: string): Record<string, unknown> {
  return {
    metadata: { kiln_version: kilnVersion, generated_at: new Date().toISOString(), state: stateDir },
    models: impact.models.map((m) => ({
      unique_id: m.node,
      name: m.name,
      original_file_path: m.file,
      change: m.change,
      new: m.isNew,
      sql_changed: m.sqlChanged,
      columns: m.columns.map((c) => ({
        name: c.column,
        change: c.change,
        ...(c.from ? { from: c.from } : {}),
        breaking: c.breaking,
        read_by: c.readBy,
      })),
      affected: m.affected,
    })),
    breaking_reach: impact.breakingReach,
  };
}
