import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeArtifact(targetPath: string, name: string, data: unknown): string {
  mkdirSync(targetPath, { recursive: true });
  const file = join(targetPath, name);
  writeFileSync(file, JSON.stringify(data));
  return file;
}
