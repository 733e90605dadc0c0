import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringifyScrubbed } from '../secrets.js';

export function writeArtifact(targetPath: string, name: string, data: unknown): string {
  mkdirSync(targetPath, { recursive: true });
  const file = join(targetPath, name);
  // A secret value that reached an artifact (a DuckDB path, a driver's message) is written as *****.
  writeFileSync(file, stringifyScrubbed(data));
  return file;
}
