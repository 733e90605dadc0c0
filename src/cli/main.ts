/** The kiln command line: a thin layer over the API in src/api.ts. */
import { Command, CommanderError, Option } from 'commander';
import { KilnError } from '../errors.js';
import { scrubSecrets } from '../secrets.js';
import { kilnVersion } from '../version.js';
import { logLevels, Output, type LogFormat } from './output.js';
import { printerWidth, terminalSettings, type TerminalFlags } from './terminal-settings.js';
import { registerExecuteCommands } from './commands/execute.js';
import { registerInspectCommands } from './commands/inspect.js';
import { registerProjectCommands } from './commands/project.js';
import { registerDocsCommands } from './commands/docs.js';
import { registerDepsCommand } from './commands/deps.js';
import { registerSourceCommands } from './commands/source.js';
import { registerRetryCommand } from './commands/retry.js';
import { registerLineageCommand } from './commands/lineage.js';
import { registerImpactCommand } from './commands/impact.js';
import { registerOrchestrateCommand } from './commands/orchestrate.js';

/** What a file system error code means, in words, for the one-line message. */
const fileErrors: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'already exists',
  ENOENT: 'no such file or folder',
  EMFILE: 'too many open files',
  EDQUOT: 'disk quota exceeded',
};

export async function main(argv: string[]): Promise<void> {
  let exitCode = 0;
  for (const stream of [process.stdout, process.stderr])
    if (!stream.listeners('error').includes(readerGone)) stream.on('error', readerGone);
  const program = new Command('kiln');
  program
    .version(kilnVersion, '-v, --version')
    .description('Compile, run and test dbt-format analytics projects.')
    .option('--debug', 'show stack traces of errors')
    .addOption(
      new Option('--log-format <format>', 'text (default) or json lines').choices(['text', 'json']).default('text'),
    )
    .option('--no-color', 'no colour even on a terminal')
    .option('-q, --quiet', "errors only, and a template's print() (dbt's --quiet)")
    .addOption(new Option('--log-level <level>', 'the least severe message shown (default info)').choices(logLevels))
    .option('--print', "show a template's print() (the default)")
    .option('--no-print', "hide a template's print()")
    .option('--use-colors', 'colour on a terminal (the default)')
    .option('--no-use-colors', 'no colour, as --no-color')
    .addOption(
      new Option('--printer-width <n>', 'the width of node lines when not on a terminal (default 80)').argParser(
        printerWidth,
      ),
    );
  // dbt's flags for what kiln never does (usage statistics, a version check against require-dbt-version, a second
  // parser, relation cache events): accepted, so a command line written for dbt runs, and change nothing. Left out
  // of --help (docs/commands.md lists them).
  for (const flag of ['send-anonymous-usage-stats', 'version-check', 'use-experimental-parser', 'log-cache-events'])
    for (const spelling of [`--${flag}`, `--no-${flag}`]) program.addOption(new Option(spelling).hideHelp());
  program
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(scrubSecrets(s)) })
    .showHelpAfterError('(run `kiln --help` for the commands and flags)');
  let settings: ReturnType<typeof terminalSettings> | undefined;
  const output = (): Output => {
    const opts = program.opts<TerminalFlags & { logFormat: LogFormat }>();
    // A bad DBT_LOG_LEVEL or DBT_PRINTER_WIDTH stops the command here, as bad input.
    settings ??= terminalSettings(opts);
    if (!settings.color) process.env.NO_COLOR = '1';
    return new Output(opts.logFormat === 'json' ? 'json' : 'text', process.stdout, process.stderr, settings);
  };
  /** The output an error is reported on: the flags' settings, or the defaults when they are what was wrong. */
  const errorOutput = (): Output => {
    try {
      return output();
    } catch {
      return new Output(program.opts<{ logFormat: LogFormat }>().logFormat === 'json' ? 'json' : 'text');
    }
  };
  const setExit = (code: number) => {
    exitCode = code;
  };
  registerExecuteCommands(program, output, setExit);
  registerInspectCommands(program, output);
  registerProjectCommands(program, output, setExit);
  registerDocsCommands(program, output);
  registerDepsCommand(program, output);
  registerSourceCommands(program, output, setExit);
  registerRetryCommand(program, output, setExit);
  registerLineageCommand(program, output);
  registerImpactCommand(program, output, setExit);
  registerOrchestrateCommand(program, output, setExit);
  const override = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  program.commands.forEach(override);

  try {
    await program.parseAsync(argv);
  } catch (e) {
    exitCode = handleError(
      e,
      program.opts<{ debug?: boolean }>().debug === true || argv.includes('--debug'),
      errorOutput,
    );
  }
  process.exitCode = exitCode;
}

/**
 * A reader that went away (`kiln ls | head`): what is left to print has nowhere to go, but the work goes on and ends
 * as it would (a run is not left half done), with no stack trace.
 */
function readerGone(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
}

function handleError(e: unknown, debug: boolean, output: () => Output): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return 2;
  }
  const out = output();
  if (e instanceof KilnError) {
    out.error(e.format());
    if (debug && e.stack) process.stderr.write(scrubSecrets(e.stack) + '\n');
    return e.isInputError ? 2 : 1;
  }
  // A file system failure names the file and what happened (a full disk, a read-only folder).
  const sys = e as NodeJS.ErrnoException;
  if (sys?.code && sys.path && fileErrors[sys.code]) {
    out.error(`${sys.path}: ${fileErrors[sys.code]} (${sys.code}${sys.syscall ? ` in ${sys.syscall}` : ''})`);
    if (debug && sys.stack) process.stderr.write(scrubSecrets(sys.stack) + '\n');
    return 1;
  }
  out.error(
    `unexpected failure: ${(e as Error)?.message ?? String(e)}${debug ? '' : ' (run with --debug for details)'}`,
  );
  if (debug && (e as Error)?.stack) process.stderr.write(scrubSecrets((e as Error).stack!) + '\n');
  return 1;
}
