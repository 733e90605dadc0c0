/** `kiln source freshness`. */
import type { Command } from 'commander';
import { sourceFreshness } from '../../index.js';
import type { Output } from '../output.js';
import { addProjectOptions, addSelectionOptions, toKilnOptions, type SelectedFlags } from '../options.js';

export function registerSourceCommands(program: Command, output: () => Output, setExit: (code: number) => void): void {
  const source = program.command('source').description('commands about sources');
  addSelectionOptions(
    addProjectOptions(
      source.command('freshness').description('check how recently each source was loaded; writes target/sources.json'),
    ),
  )
    .option('-o, --output <file>', 'file name for the results, in the target path', 'sources.json')
    .action(async (flags: SelectedFlags & { output: string }) => {
      const out = output();
      const r = await sourceFreshness({ ...toKilnOptions(flags, out), output: flags.output });
      const labels = {
        pass: ['PASS', 32],
        warn: ['WARN', 33],
        error: ['ERROR STALE', 31],
        'runtime error': ['ERROR', 31],
      } as const;
      r.results.forEach((res, i) => {
        const [label, colour] = labels[res.status];
        if (out.format === 'json')
          out.json({
            level: 'info',
            event: 'freshness',
            node_id: res.uniqueId,
            status: res.status,
            max_loaded_at: res.maxLoadedAt,
            age_seconds: res.ageSeconds,
            message: res.message,
          });
        else
          out.info(
            `${i + 1} of ${r.results.length} ${out.paint(colour, label)} ` +
              `freshness of ${res.uniqueId.split('.').slice(2).join('.')} — ${res.message}`,
          );
      });
      const count = (s: string) => r.results.filter((x) => x.status === s).length;
      if (out.format !== 'json')
        out.info(
          `\nDone. PASS=${count('pass')} WARN=${count('warn')} ERROR=${count('error') + count('runtime error')} ` +
            `TOTAL=${r.results.length}`,
        );
      setExit(r.success ? 0 : 1);
    });
}
