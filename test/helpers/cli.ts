/** Runs the real CLI of this checkout in a child process, as a user would. */
import { spawnSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const kilnBin = join(repoRoot, 'bin', 'kiln.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kiln(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [kilnBin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: {
      ...process.env,
      NO_COLOR: '1',
      KILN_PROFILES_DIR: '',
      DBT_PROFILES_DIR: '',
      HOME: opts.cwd ?? tmpdir(),
      ...opts.env,
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function kilnAsync(args: string[], opts: { cwd?: string } = {}) {
  return spawn(process.execPath, [kilnBin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', HOME: opts.cwd ?? tmpdir() },
  });
}

/** A throwaway folder, removed by the returned function. */
export function tempDir(prefix = 'kiln-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a project from a map of relative paths to contents. */
export function writeProject(files: Record<string, string>, dir = tempDir()): string {
  for (const [rel, text] of Object.entries(files)) {
    const file = join(dir, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

/** A private copy of project-example, so tests never share a database file. */
export function copyExample(): string {
  const dir = tempDir('kiln-example-');
  cpSync(join(repoRoot, 'project-example'), dir, {
    recursive: true,
    filter: (src) => !src.includes(`${join('project-example', 'target')}`),
  });
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const minimalProject = (extra: Record<string, string> = {}): Record<string, string> => ({
  'dbt_project.yml': 'name: tiny\nprofile: tiny\nconfig-version: 2\n',
  ...extra,
});

/** kiln() without blocking, so independent invocations can run side by side. */
export function kilnResult(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [kilnBin, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: {
        ...process.env,
        NO_COLOR: '1',
        KILN_PROFILES_DIR: '',
        DBT_PROFILES_DIR: '',
        HOME: opts.cwd ?? tmpdir(),
        ...opts.env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}
