/** Commands that read the project without running it: parse, compile, ls. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { join } from 'node:path';
import { compile, compileInline, compileProject, dryRun, ls, parse } from '../../index.js';
import { formatBytes } from '../../compile/dry-run.js';
import { KilnError } from '../../errors.js';
import type { Output } from '../output.js';
import type { SourceNode } from '../../parse/nodes.js';
import {
  addProjectOptions,
  addSelectionOptions,
  emptyOption,
  toKilnOptions,
  type ProjectFlags,
  type SelectedFlags,
} from '../options.js';

export function registerInspectCommands(program: Command, output: () => Output): void {
  addProjectOptions(
    program.command('parse').description('parse the project and write target/manifest.json (no warehouse needed)'),
  )
    // dbt before 1.5 wrote perf_info.json only with this flag; kiln, as dbt since, always writes it.
    .option('--write-perf-info', 'accepted for scripts written for dbt before 1.5 (perf_info.json is always written)')
    .action(async (flags: ProjectFlags) => {
      const out = output();
      const started = Date.now();
      const p = await parse(toKilnOptions(flags, out));
      const m = p.parsed.manifest;
      const count = (t: string) => [...m.nodes.values()].filter((n) => n.resourceType === t).length;
      const seconds = ((Date.now() - started) / 1000).toFixed(2);
      out.info(
        `Parsed ${count('model')} models, ${count('seed')} seeds, ${count('test')} ` +
          `tests, ${m.sources.size} sources, ${m.macros.size} macros in ${seconds}s; ` +
          `wrote ${join(p.parsed.project.targetPath, 'manifest.json')}`,
      );
    });

  const compileCmd = addSelectionOptions(
    addProjectOptions(
      program
        .command('compile')
        .description('render the selected nodes to SQL in target/compiled/ (no warehouse needed)'),
    ),
  );
  compileCmd.option(
    '--dry-run',
    'ask the warehouse what each selected model would scan, without running it (BigQuery)',
  );
  compileCmd.addOption(emptyOption());
  compileCmd.option(
    '--inline <sql>',
    "compile this query with the project's refs, sources and macros and print it (nothing written)",
  );
  compileCmd.action(async (flags: SelectedFlags & { dryRun?: boolean; empty?: boolean; inline?: string }) => {
    const out = output();
    if (flags.inline !== undefined) {
      const clash = (['select', 'models', 'exclude', 'selector', 'dryRun'] as const).find(
        (k) => flags[k] !== undefined,
      );
      if (clash)
        throw new KilnError('config', `--inline cannot be combined with --${clash === 'dryRun' ? 'dry-run' : clash}`, {
          hint: 'compile either one ad-hoc query or selected nodes',
        });
      out.data((await compileInline(flags.inline, toKilnOptions(flags, out))).sql);
      return;
    }
    if (flags.dryRun) {
      const report = await dryRun(toKilnOptions(flags, out));
      for (const m of report.models) {
        out.data(
          m.error === undefined
            ? `${m.name}: ${formatBytes(m.bytesProcessed!)} (${m.bytesProcessed} bytes)`
            : `${m.name}: ERROR ${m.error}`,
        );
      }
      out.data(
        `total: ${formatBytes(report.totalBytes)} (${report.totalBytes} bytes) for ${report.models.length} models`,
      );
      const failed = report.models.filter((m) => m.error !== undefined);
      if (failed.length)
        throw new KilnError(
          'database',
          `the dry run failed for ${failed.length} of ${report.models.length} ` +
            `models: ${failed.map((m) => m.name).join(', ')}`,
        );
      return;
    }
    if (!flags.select?.length) {
      const summary = await compileProject(toKilnOptions(flags, out));
      out.info(`Compiled ${summary.compiled} nodes into ${summary.targetPath}/compiled`, true);
      return;
    }
    const result = await compile(toKilnOptions(flags, out));
    const nodes = result.project.parsed.manifest.nodes;
    const main = [...result.compiled].filter(([id]) => nodes.get(id)?.resourceType !== 'test');
    if (flags.select?.length && main.length === 1) out.data(main[0]![1]);
    else
      out.info(
        `Compiled ${result.compiled.size} nodes into ${result.project.parsed.project.targetPath}/compiled`,
        true,
      );
  });

  const lsCmd = addSelectionOptions(
    addProjectOptions(program.command('ls').alias('list').description('print the selected nodes, one per line')),
  );
  lsCmd
    .addOption(
      new Option('--output <format>', 'what to print per node')
        .choices(['selector', 'name', 'path', 'json'])
        .default('selector'),
    )
    .option(
      '--resource-type <type...>',
      'only these resource types (model, seed, test, source, exposure, analysis, ...)',
    )
    .option('--output-keys <keys...>', 'keys of each node for --output json')
    .action(async (flags: SelectedFlags & { output: 'selector' | 'name' | 'path' | 'json'; outputKeys?: string[] }) => {
      const out = output();
      const { ids, project } = await ls(toKilnOptions(flags, out));
      const m = project.parsed.manifest;
      for (const id of ids) {
        const n = m.nodes.get(id) ?? m.sources.get(id) ?? m.exposures!.get(id)!;
        if (flags.output === 'name') out.data(n.name);
        else if (flags.output === 'path') out.data(n.originalFilePath);
        else if (flags.output === 'json') {
          const section = (key: string) => (project.manifest[key] ?? {}) as Record<string, Record<string, unknown>>;
          const full =
            section('nodes')[id] ??
            section('sources')[id] ??
            section('unit_tests')[id] ??
            section('exposures')[id] ??
            {};
          const keys: string[] | undefined = flags.outputKeys;
          out.data(
            JSON.stringify(
              keys
                ? Object.fromEntries(keys.map((k) => [k, full[k]]))
                : {
                    name: n.name,
                    resource_type: n.resourceType,
                    unique_id: id,
                    package_name: n.packageName,
                    original_file_path: n.originalFilePath,
                    config: n.config,
                    tags: n.tags,
                  },
            ),
          );
        } else if (n.resourceType === 'source')
          out.data(`source:${n.packageName}.${(n as SourceNode).sourceName}.${n.name}`);
        else if (n.resourceType === 'exposure') out.data(`exposure:${n.packageName}.${n.name}`);
        else out.data(n.resourceType === 'unit_test' ? `unit_test:${n.fqn.join('.')}` : n.fqn.join('.'));
      }
    });
}
