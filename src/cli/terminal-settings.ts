/**
 * dbt's global flags for what the terminal shows: `-q/--quiet`, `--log-level`, `--use-colors/--no-use-colors`,
 * `--printer-width` and `--no-print`, each else from its environment variable (KILN_ first, then dbt's DBT_). The
 * terminal is set up before the project is read, so dbt_project.yml's `flags:` is not asked for these.
 */
import { envFlag, envSetting } from '../config/dbt-flags.js';
import { KilnError } from '../errors.js';
import { logLevels, type LogLevel, type TerminalSettings } from './output.js';

/** The flags as commander parsed them (`color` is kiln's own `--no-color`). */
export interface TerminalFlags {
  quiet?: boolean;
  print?: boolean;
  logLevel?: string;
  useColors?: boolean;
  color?: boolean;
  printerWidth?: number;
}

export function terminalSettings(
  flags: TerminalFlags,
  env: NodeJS.ProcessEnv = process.env,
): TerminalSettings & { color: boolean } {
  const logLevel = flags.logLevel ?? envSetting('LOG_LEVEL', env);
  if (logLevel !== undefined && !isLogLevel(logLevel))
    throw new KilnError('config', `log level "${logLevel}" is not one of ${logLevels.join(', ')}`, {
      hint: 'set --log-level, KILN_LOG_LEVEL or DBT_LOG_LEVEL to one of them',
    });
  const quiet = flags.quiet ?? envFlag(['KILN_QUIET', 'DBT_QUIET'], env) ?? false;
  // dbt's --quiet: errors only (a template's print() shows at every level); with --log-level none, not even errors.
  const level: LogLevel = quiet && logLevel !== 'none' ? 'error' : (logLevel ?? 'info');
  const color =
    flags.color !== false && (flags.useColors ?? envFlag(['KILN_USE_COLORS', 'DBT_USE_COLORS'], env) ?? true);
  const width = flags.printerWidth ?? envSetting('PRINTER_WIDTH', env);
  // dbt's older DBT_NO_PRINT says it the other way round.
  const print = flags.print ?? envFlag(['KILN_PRINT', 'DBT_PRINT'], env) ?? !(envFlag(['DBT_NO_PRINT'], env) ?? false);
  return { level, color, print, printerWidth: width === undefined ? 80 : printerWidth(width) };
}

const isLogLevel = (v: string): v is LogLevel => (logLevels as readonly string[]).includes(v);

/** `--printer-width`'s value: a whole number of columns, at least 40 (a node's line needs room for its label). */
export function printerWidth(value: string | number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 40 || n > 1000)
    throw new KilnError('config', `printer width "${value}" is not a whole number from 40 to 1000`, {
      hint: 'set --printer-width, KILN_PRINTER_WIDTH or DBT_PRINTER_WIDTH to the columns a line may take, e.g. 120',
    });
  return n;
}
