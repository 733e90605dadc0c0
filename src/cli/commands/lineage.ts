/** `kiln lineage MODEL.COLUMN` and `kiln lineage [--coverage]`: column lineage, written to target/ and printed. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { columnLineage } from '../../index.js';
import type { ReachedColumn } from '../../lineage/walk.js';
import type { Output } from '../output.js';
import { addProjectOptions, toKilnOptions, type ProjectFlags } from '../options.js';

export function registerLineageCommand(program: Command, output: () => Output): void {
  addProjectOptions(
    program
      .command('lineage [column]')
      .description(
        'upstream and downstream columns of MODEL.COLUMN; without one, ' +
          'writes target/column_lineage.json and prints its coverage (no ' +
          'warehouse needed)',
      ),
  )
    .option('--upstream', 'only the columns it comes from')
    .option('--downstream', 'only the columns and tests that read it')
    .option('--coverage', 'models and snapshots whose SQL was read, per dialect, and why others were not')
    .addOption(new Option('--output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(
      async (
        column: string | undefined,
        flags: ProjectFlags & { upstream?: boolean; downstream?: boolean; coverage?: boolean; output: 'text' | 'json' },
      ) => {
        const out = output();
        const { lineage } = await columnLineage(toKilnOptions(flags, out));
        const { downstreamOf, lineageCoverage, resolveColumnArgument, upstreamOf } =
          await import('../../lineage/walk.js');
        if (flags.coverage || !column) {
          const coverage = lineageCoverage(lineage);
          if (flags.output === 'json') return out.data(JSON.stringify({ dialects: coverage }));
          for (const d of coverage) {
            out.data(`${d.dialect}: ${d.parsed} parsed, ${d.unparsed.length} unparsed`);
            for (const u of d.unparsed) out.data(`  ${u.node}: ${u.reason}`);
          }
          return;
        }
        const { node, column: name } = resolveColumnArgument(lineage, column);
        const both = !flags.upstream && !flags.downstream;
        const upstream = flags.upstream || both ? upstreamOf(lineage, node, name) : undefined;
        const downstream = flags.downstream || both ? downstreamOf(lineage, node, name) : undefined;
        if (flags.output === 'json') {
          out.data(JSON.stringify({ ...(upstream ? { upstream } : {}), ...(downstream ? { downstream } : {}) }));
          return;
        }
        const print = (title: string, list: ReachedColumn[]) => {
          out.data(`${title} of ${node}.${name}:`);
          if (list.length === 0) out.data('  (none)');
          for (const r of list) out.data(`  ${r.column === null ? r.node : `${r.node}.${r.column}`}  ${r.kind}`);
        };
        if (upstream) print('upstream', upstream);
        if (downstream) print('downstream', downstream);
      },
    );
}
