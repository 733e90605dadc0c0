/** `kiln docs generate` and `kiln docs serve`. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { generateDocs, serveDocs } from '../../index.js';
import type { Output } from '../output.js';
import { addProjectOptions, addSelectionOptions, toKilnOptions, type SelectedFlags } from '../options.js';

export function registerDocsCommands(program: Command, output: () => Output): void {
  const docs = program.command('docs').description('generate or serve the documentation site');
  addSelectionOptions(
    addProjectOptions(
      docs.command('generate').description('write manifest.json, catalog.json and the docs site into the target path'),
    ),
  )
    .option('--static', 'one self-contained HTML file (static_index.html)')
    .option('--no-compile', 'skip compiling nodes (the site shows no compiled SQL)')
    .option('--empty-catalog', 'do not read the warehouse for column types')
    .action(async (flags: SelectedFlags & { static?: boolean; compile: boolean; emptyCatalog?: boolean }) => {
      const out = output();
      const result = await generateDocs({
        ...toKilnOptions(flags, out),
        static: flags.static,
        noCompile: flags.compile === false,
        emptyCatalog: flags.emptyCatalog,
      });
      out.info(`Wrote ${result.files.length} files: ${result.files.map((f) => f.split('/').pop()).join(', ')}`);
    });
  docs
    .command('serve')
    .description('serve the generated site on 127.0.0.1')
    .option('--project-dir <dir>', 'the folder holding dbt_project.yml', '.')
    .option('--target-path <dir>', 'where the site was generated')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '8080')
    .option('--no-browser', 'do not open a browser')
    .action(
      async (flags: { projectDir: string; targetPath?: string; host: string; port: string; browser: boolean }) => {
        const out = output();
        const { loadProject } = await import('../../config/project.js');
        const project = loadProject(flags.projectDir, {}, flags.targetPath);
        const server = await serveDocs({
          dir: resolve(project.targetPath),
          host: flags.host,
          port: Number(flags.port),
          open: flags.browser !== false,
        });
        out.info(`Serving the docs at ${server.url} (Ctrl-C to stop)`);
        await new Promise<void>((done) => {
          const stop = () => void server.close().then(done);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      },
    );
}
