/** Reading an artifact a previous command left: absent or unreadable, it is null (never an error). */
import { existsSync, readFileSync } from 'node:fs';

export function readJsonIfThere(file: string): unknown {
  try {
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
  } catch {
    return null;
  }
}
