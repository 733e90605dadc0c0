/** The kiln command line: a thin layer over the API in src/api.ts. */
import { Command, CommanderError, Option } from 'commander';
import { KilnError } from '../errors.js';
import { scrubSecrets } from '../secrets.js';
import { kilnVersion } from '../version.js';
import { Output, type LogFormat } from './output.js';
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
  const program = new Command('kiln');
  program
    .version(kilnVersion, '-v, --version')
    .description('Compile, run and test dbt-format analytics projects.')
    .option('--debug', 'show stack traces of errors')
    .addOption(
      new Option('--log-format <format>', 'text (default) or json lines').choices(['text', 'json']).default('text'),
    )
    .option('--no-color', 'no colour even on a terminal')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(scrubSecrets(s)) })
    .showHelpAfterError('(run `kiln --help` for the commands and flags)');
  const output = (): Output => {
    const opts = program.opts<{ logFormat: LogFormat; color: boolean }>();
    if (opts.color === false) process.env.NO_COLOR = '1';
    return new Output(opts.logFormat === 'json' ? 'json' : 'text');
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
    exitCode = handleError(e, program.opts<{ debug?: boolean }>().debug === true || argv.includes('--debug'), output);
  }
  process.exitCode = exitCode;
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
