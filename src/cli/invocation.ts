/** How the user started kiln, so a suggested command works where they are. */
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';

/**
 * The command that starts this kiln from `fromDir`: `kiln` when the `kiln` on PATH is this
 * installation, otherwise `node <path to this bin/kiln.js>` (a checkout that was not installed
 * globally, or `npm run kiln`, where a bare `kiln` would fail or run another copy).
 */
export function kilnCommand(fromDir: string, script = process.argv[1] ?? '', path = process.env.PATH ?? ''): string {
  const self = realOrNull(script);
  if (self && path.split(delimiter).some((dir) => dir && realOrNull(executable(join(dir, 'kiln'))) === self))
    return 'kiln';
  const rel = relative(fromDir, self ?? script) || script;
  return `node ${shellWord(rel)}`;
}

function executable(file: string): string {
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return '';
  }
}

function realOrNull(file: string): string | null {
  try {
    return file ? realpathSync(file) : null;
  } catch {
    return null;
  }
}

/**
 * The folder the user's shell is in: `npm run kiln` runs kiln in the package's folder, and says where it was started in
 * INIT_CWD.
 */
export function userDir(): string {
  return process.env.INIT_CWD || process.cwd();
}

/** Quoted for a POSIX shell only when it needs to be. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
