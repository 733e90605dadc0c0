/**
 * Writing a batch of files synchronously, creating folders once: for the main thread and for the compiled-files worker
 * alike.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type FileToWrite = [file: string, text: string];

/** A file system error as plain data, so it crosses from a worker thread with its code and path. */
export interface FileFailure {
  message: string;
  code?: string;
  path?: string;
  syscall?: string;
}

/** Writes each file, stopping at the first failure, which it returns. */
export function writeFiles(files: FileToWrite[], createdFolders: Set<string>): FileFailure | undefined {
  for (const [file, text] of files) {
    try {
      const folder = dirname(file);
      if (!createdFolders.has(folder)) {
        mkdirSync(folder, { recursive: true });
        createdFolders.add(folder);
      }
      writeFileSync(file, text);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return { message: err.message, code: err.code, path: err.path ?? file, syscall: err.syscall };
    }
  }
  return undefined;
}
