/**
 * What an invocation wrote into a target folder, for comparing a warm invocation (caches used) with a cold one
 * (caches off) of the same tree: named artifacts with what differs per run masked, and every compiled file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compile, compileProject, type KilnOptions } from '../../src/index.js';

/** An artifact's text with the target path and the times, which differ per run, taken out. */
export const maskedTimes = (text: string, targetPath: string): string =>
  text
    .split(`${targetPath}/`)
    .join('TARGET/')
    .replace(/"(generated_at|started_at|completed_at)": ?"[^"]*"/g, '"$1": "-"')
    .replace(/"(created_at|execution_time|elapsed_time)": ?[0-9.e-]+/g, '"$1": 0');

/** The artifacts named (masked) and every file under compiled/, by their paths in the target folder. */
export function targetOutputs(root: string, artifacts: string[], mask: (text: string) => string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of artifacts) out.set(file, mask(readFileSync(join(root, file), 'utf8')));
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.set(relative(root, full), readFileSync(full, 'utf8'));
    }
  };
  if (existsSync(join(root, 'compiled'))) walk(join(root, 'compiled'));
  return out;
}

/** The same files with the same texts, each difference named by `what` and the file. */
export function assertSameOutputs(warm: Map<string, string>, cold: Map<string, string>, what: string): void {
  assert.deepEqual([...warm.keys()].sort(), [...cold.keys()].sort(), `${what}: the same files`);
  for (const [file, text] of cold) assert.equal(warm.get(file), text, `${what}: ${file} as the cold one writes it`);
}

/**
 * `kiln compile` of the project into a target path, as the CLI makes it (replayed when it can be) with the partial
 * parse cache, or a plain compile without it. Its debug lines.
 */
export async function compileInto(
  projectDir: string,
  targetPath: string,
  partialParse: boolean,
  extra: KilnOptions = {},
): Promise<string[]> {
  const debug: string[] = [];
  const opts: KilnOptions = {
    projectDir,
    profilesDir: projectDir,
    targetPath,
    invocationId: '00000000-0000-0000-0000-000000000000',
    partialParse,
    onDebug: (m) => debug.push(m),
    ...extra,
  };
  if (partialParse) await compileProject(opts);
  else await compile(opts);
  return debug;
}

/**
 * A warm compile into target/ (the cache of the last step) and a cold one into target-cold/ (no cache) of the same
 * tree: the same manifest.json and compiled files. The warm compile's debug lines.
 */
export async function warmCompileEqualsCold(
  projectDir: string,
  what: string,
  extra: KilnOptions = {},
): Promise<string[]> {
  const log = await compileInto(projectDir, 'target', true, extra);
  await compileInto(projectDir, 'target-cold', false, extra);
  const outputs = (targetPath: string) =>
    targetOutputs(join(projectDir, targetPath), ['manifest.json'], (text) => maskedTimes(text, targetPath));
  assertSameOutputs(outputs('target'), outputs('target-cold'), what);
  return log;
}
