/**
 * Writing artifacts so that a reader never sees half a file: each is written beside its place
 * under a temporary name and renamed over the old one, so a full disk or a kill mid-write
 * leaves the previous artifact intact.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringifyScrubbed } from '../secrets.js';

/** Writes `text` to `file` atomically (same folder, then rename). */
export function writeFileAtomic(file: string, text: string): void {
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
