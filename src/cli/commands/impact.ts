/** `kiln impact --state DIR`: what a change breaks downstream, as Markdown, JSON and GitHub annotations. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { impact } from '../../index.js';
import type { Impact } from '../../lineage/impact.js';
import type { Output } from '../output.js';
import { addProjectOptions, toKilnOptions, type ProjectFlags } from '../options.js';
import { annotation, underGithubActions } from '../github.js';

export function registerImpactCommand(program: Command, output: () => Output, setExit: (code: number) => void): void {
  addProjectOptions(
    program
      .command('impact')
      .description(
        'classify each changed column against --state (production artifacts): breaking, non-breaking, metadata-only',
      ),
  )
    .requiredOption('--state <dir>', "the folder of production's manifest.json and column_lineage.json")
    .addOption(
      new Option('--output <format>', 'markdown (for a pull-request comment) or json')
        .choices(['markdown', 'json'])
        .default('markdown'),
    )
    .option('--fail-on-breaking', 'exit with 1 when a change is breaking')
    .action(async (flags: ProjectFlags & { state: string; output: 'markdown' | 'json'; failOnBreaking?: boolean }) => {
      const out = output();
      const result = await impact(toKilnOptions(flags, out));
      const report = await import('../../lineage/impact-report.js');
      out.data(
        flags.output === 'json'
          ? JSON.stringify(report.impactJson(result.impact, flags.state))
          : result.markdown.trimEnd(),
      );
      if (underGithubActions()) for (const line of impactAnnotations(result.impact, report)) out.data(line);
      if (flags.failOnBreaking && result.impact.models.some((m) => m.change === 'breaking')) setExit(1);
    });
}

/** A breaking column is an error on the model's file; other column changes are notices. */
function impactAnnotations(
  impact: Impact,
  { describeColumnChange, describeReaders }: typeof import('../../lineage/impact-report.js'),
): string[] {
  const lines: string[] = [];
  for (const m of impact.models) {
    for (const c of m.columns) {
      if (c.change === 'metadata') continue;
      const title = `${c.breaking ? 'Breaking change' : 'Column change'}: ${m.name}.${c.column}`;
      lines.push(
        annotation(
          c.breaking ? 'error' : 'notice',
          m.file,
          title,
          `${describeColumnChange(c).replace(/`/g, '')}; read downstream by ${describeReaders(c).replace(/`/g, '')}`,
        ),
      );
    }
  }
  return lines;
}
