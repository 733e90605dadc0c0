/**
 * Starts the command line from its bundle (`dist/cli/kiln.cjs`, written by `npm run build`: see `bundle.ts`) with
 * V8's code cache, instead of loading ~170 ES modules and compiling each on every start. The bundle is the same
 * code as `dist/src/`, so when it is missing or older than `dist/src/` (tsc ran after the bundle was made) the
 * caller starts `dist/src/cli/main.js` instead.
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** Where the build puts the bundle and its code cache, inside kiln's own folder. */
export function bundleFiles(root: string): { bundle: string; codeCache: string; entry: string } {
  return {
    bundle: join(root, 'dist', 'cli', 'kiln.cjs'),
    codeCache: join(root, 'dist', 'cli', 'kiln.cjs.cache'),
    entry: join(root, 'dist', 'src', 'cli', 'main.js'),
  };
}

/**
 * The code cache file starts with the SHA-1 of the bundle it was made from: V8 checks only the source's length
 * before trusting a cache, and a cache of another source of the same length would run the wrong code.
 */
const digestLength = 20;
const digestOf = (source: Buffer): Buffer => createHash('sha1').update(source).digest();

export interface LoadedBundle {
  main(argv: string[]): Promise<void>;
  /** Whether V8 took the code cache (false: none, made for another bundle, or refused by V8 for its version or flags). */
  readonly codeCacheUsed: boolean;
  /** The code cache as it stands now: the functions compiled so far included (what the build writes after a training run). */
  codeCache(): Buffer;
}

/** The bundled command line, or undefined when there is no bundle as new as `dist/src/`. */
export function loadCliBundle(root: string): LoadedBundle | undefined {
  const files = bundleFiles(root);
  const bundleStat = statSync(files.bundle, { throwIfNoEntry: false });
  const entryStat = statSync(files.entry, { throwIfNoEntry: false });
  if (!bundleStat || (entryStat && entryStat.mtimeMs > bundleStat.mtimeMs)) return undefined;
  const source = readFileSync(files.bundle);
  const digest = digestOf(source);
  let cachedData: Buffer | undefined;
  try {
    const cache = readFileSync(files.codeCache);
    if (cache.subarray(0, digestLength).equals(digest)) cachedData = cache.subarray(digestLength);
  } catch {
    // No code cache: V8 compiles as it goes, as for any script.
  }
  // The build writes it as ASCII (ascii-bundle.ts), read as one-byte text: as UTF-8 it would be decoded to two bytes a
  // character when a single one is above U+007F.
  const text = source.toString(isAscii(source) ? 'latin1' : 'utf8');
  const script = new Script(Module.wrap(text), { filename: files.bundle, cachedData });
  const module = { exports: {} as { main?: LoadedBundle['main'] } };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(
    module.exports,
    module.exports,
    createRequire(files.bundle),
    module,
    files.bundle,
    dirname(files.bundle),
  );
  const main = module.exports.main;
  if (typeof main !== 'function') throw new Error(`${files.bundle} exports no main function: run \`npm run build\``);
  return {
    main,
    codeCacheUsed: cachedData !== undefined && !script.cachedDataRejected,
    codeCache: () => Buffer.concat([digest, script.createCachedData()]),
  };
}
