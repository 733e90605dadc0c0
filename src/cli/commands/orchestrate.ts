/**
 * `kiln orchestrate`: the jobs of kiln_jobs.yml on their triggers, with an API and a monitoring page, in the
 * foreground.
 */
import type { Command } from 'commander';
import { KilnError } from '../../errors.js';
import type { Output } from '../output.js';
import { runInterruptibly } from '../interrupt.js';
import { addProjectOptions, toKilnOptions, type ProjectFlags } from '../options.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new KilnError('config', `--port must be a port number (0 to 65535), got '${v}'`);
  return n;
}

export function registerOrchestrateCommand(
  program: Command,
  output: () => Output,
  setExit: (code: number) => void,
): void {
  addProjectOptions(
    program
      .command('orchestrate')
      .description('run the jobs of kiln_jobs.yml on their triggers, with an HTTP API and a monitoring page'),
  )
    .option('--port <n>', 'the port of the API and the page (0: any free port)', parsePort, 8580)
    .option('--host <address>', 'the address to listen on', '127.0.0.1')
    .option('--history <file>', 'the run history database (default: .kiln/history.duckdb in the project)')
    .action(async (flags: ProjectFlags & { port: number; host: string; history?: string }) => {
      const out = output();
      const code = await runInterruptibly(out, async (signal) => {
        const { orchestrate } = await import('../../orchestrate/service.js');
        const service = await orchestrate({
          ...toKilnOptions(flags, out),
          port: flags.port,
          host: flags.host,
          historyFile: flags.history,
          onAlert: (alert) => out.warn(`alert: ${alert.message}`),
        });
        service.orchestrator.subscribe((e) => {
          if (e.type !== 'run') return;
          const r = e.run;
          if (out.format === 'json')
            out.json({
              level: 'info',
              event: 'orchestrate_run',
              run_id: r.run_id,
              job: r.job,
              status: r.status,
              trigger: r.trigger,
              reason: r.reason,
              duration: r.duration,
              message: r.message,
            });
          else
            out.info(
              `${r.job}: ${r.status} (${r.trigger}: ${r.reason})` +
                (r.duration !== null && r.status !== 'skipped' ? ` in ${r.duration.toFixed(1)}s` : '') +
                (r.message && r.status !== 'success' ? ` — ${r.message}` : ''),
            );
        });
        const jobs = service.orchestrator.config.jobs.length;
        if (out.format === 'json')
          out.json({
            level: 'info',
            event: 'orchestrate_started',
            url: service.url,
            jobs,
            history: service.historyFile,
            pid: process.pid,
          });
        else {
          out.info(`kiln orchestrate: ${jobs} job${jobs === 1 ? '' : 's'}, monitoring page and API at ${service.url}`);
          const token = service.tokenFile ? `in ${service.tokenFile}` : 'from KILN_ORCHESTRATE_TOKEN';
          out.info(`run history in ${service.historyFile}; API token ${token}`);
        }
        await new Promise<void>((resolve) =>
          signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        await service.stop();
        return true;
      });
      setExit(code);
    });
}
