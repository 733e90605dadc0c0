/**
 * Writing artifacts so that a reader never sees half a file: each is written beside its place
 * under a temporary name and renamed over the old one, so a full disk or a kill mid-write
 * leaves the previous artifact intact.
 */
import { accessSync, constants, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { KilnError } from '../errors.js';
import { join } from 'node:path';
import { stringifyScrubbed } from '../secrets.js';

/** Writes `text` to `file` atomically (same folder, then rename). */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  const tmp = `${file}.kiln_tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeArtifact(targetPath: string, name: string, data: unknown): string {
  mkdirSync(targetPath, { recursive: true });
  const file = join(targetPath, name);
  // A secret value that reached an artifact (a DuckDB path, a driver's message) is written as *****.
  writeFileAtomic(file, stringifyScrubbed(data));
  return file;
}

/**
 * Checks, before a run touches the warehouse, that the folders its results go to can be
 * written: a read-only target/ is bad input (exit 2), not a run that changed the warehouse and
 * then lost its results.
 */
export function ensureWritable(folders: string[]): void {
  for (const folder of folders) {
    try {
      mkdirSync(folder, { recursive: true });
      accessSync(folder, constants.W_OK);
      const probe = join(folder, `.kiln-write-check-${process.pid}`);
      writeFileSync(probe, '');
      rmSync(probe, { force: true });
    } catch (e) {
      throw new KilnError('config', `cannot write to ${folder}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        hint: 'kiln writes compiled SQL, artifacts and logs there; make it writable, or point --target-path (and log-path) elsewhere',
      });
    }
  }
}
