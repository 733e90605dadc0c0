/**
 * The build step `npm run build:cli-bundle`: the command line as one CommonJS file (`dist/cli/kiln.cjs`) and the
 * V8 code cache of a training run, which `bin/kiln.js` starts from (`bundle-loader.ts`). A start then reads two
 * files instead of resolving, reading and compiling ~170 ES modules, and most functions a command runs come
 * compiled from the cache (a one-model `kiln compile`: ~0.22 s of CPU → ~0.11 s). Build time only: nothing here
 * runs when kiln does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../package-root.js';
import { bundleFiles, loadCliBundle } from './bundle-loader.js';
import { asciiSource } from './ascii-bundle.js';
import { precompiledSchemas } from '../config/validators.js';
import { scaffoldProject } from '../init/scaffold.js';

/**
 * The packages bundled: plain JavaScript that every command or most load, and DuckDB's driver (the embedded
 * default's). Every other dependency stays a `require` at run time: native bindings, files found by path (the SQL
 * parser's WebAssembly), the cloud SDKs and `pg`, loaded only for their adapter.
 */
const bundledPackages = [
  'commander',
  'yaml',
  'js-yaml',
  'ajv',
  '@dagrejs/graphlib',
  'markdown-it',
  'croner',
  '@duckdb/node-api',
];
/** Required by bundled packages, and kept files: a native binding is loaded from its place. */
const nativePackages = ['@duckdb/node-bindings'];

/**
 * What the bundle gives commander for `node:child_process`, which it requires as it loads for the one thing it does
 * with it, starting an executable subcommand (kiln has none): loaded then, with `net`, `dgram` and streams, it cost
 * every start ~1 ms of the main thread. Exported for the test that every function commander calls is here.
 */
export const lazyChildProcess =
  "exports.spawn = (...args) => process.getBuiltinModule('node:child_process').spawn(...args);";

/** The modules whose `node:child_process` is `lazyChildProcess`. */
const lazyChildProcessFor = /[/\\]node_modules[/\\]commander[/\\]/;

/**
 * Each module of `dist/src/` finds files beside it (workers, generated validators, macro trees) from its
 * `import.meta.url`; in the bundle every module has the bundle's place, so each use becomes that module's own
 * URL in `dist/src/`, worked out from where the bundle is when it runs.
 */
const moduleUrlHelper =
  'const __kilnModuleUrl = (path) => require("node:url").pathToFileURL(require("node:path").join(__dirname, path)).href;';

/**
 * The bundle's entry: the command line's `main`, and the modules `dist/src/` requires by name or path that the
 * bundle carries (`bundled-modules.ts`): the validators `npm run build:validators` generated and DuckDB's driver.
 */
function bundleEntry(): string {
  const validators = Object.keys(precompiledSchemas).map(
    (name) => `  'validators/${name}': () => require('./config/generated-validators/${name}.cjs'),`,
  );
  return [
    `export { main } from './cli/main.js';`,
    `import { provideBundledModules } from './bundled-modules.js';`,
    `provideBundledModules({`,
    ...validators,
    `  '@duckdb/node-api': () => require('@duckdb/node-api'),`,
    `});`,
    '',
  ].join('\n');
}

/** Writes `dist/cli/kiln.cjs` from `dist/src/` (tsc's output), then its code cache. */
export async function writeCliBundle(root = packageRoot): Promise<void> {
  const esbuild = await import('esbuild');
  const files = bundleFiles(root);
  const sourceFolder = join(root, 'dist', 'src');
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const external = [
    ...Object.keys(manifest.dependencies ?? {}).filter((name) => !bundledPackages.includes(name)),
    ...nativePackages,
  ];
  rmSync(files.codeCache, { force: true });
  await esbuild.build({
    stdin: { contents: bundleEntry(), resolveDir: sourceFolder, sourcefile: 'kiln-bundle-entry.js', loader: 'js' },
    outfile: files.bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // `import()` on demand becomes a lazy require: a vm script has no loader for `import()`.
    supported: { 'dynamic-import': false },
    external: [...external, ...external.map((name) => `${name}/*`)],
    banner: { js: moduleUrlHelper },
    logLevel: 'warning',
    plugins: [
      {
        name: 'lazy-child-process',
        setup(build) {
          build.onResolve({ filter: /^node:child_process$/ }, (args) =>
            lazyChildProcessFor.test(args.importer) ? { path: 'child_process', namespace: 'kiln-lazy' } : undefined,
          );
          build.onLoad({ filter: /.*/, namespace: 'kiln-lazy' }, () => ({ contents: lazyChildProcess, loader: 'js' }));
        },
      },
      {
        name: 'module-urls',
        setup(build) {
          build.onLoad({ filter: /\.js$/ }, (args) => {
            if (!args.path.startsWith(sourceFolder)) return undefined;
            const text = readFileSync(args.path, 'utf8');
            const fromBundle = relative(dirname(files.bundle), args.path);
            return {
              contents: text.replaceAll('import.meta.url', `__kilnModuleUrl(${JSON.stringify(fromBundle)})`),
              loader: 'js',
            };
          });
        },
      },
    ],
  });
  writeFileSync(files.bundle, await asciiSource(readFileSync(files.bundle, 'utf8')));
  trainCodeCache(root);
}

/**
 * The training run works on the project `kiln init` writes (an installed package has no project-example): a seed,
 * a view, a table, tests and descriptions on the embedded DuckDB, with a profiles.yml of its own so no other is
 * read. What the commands compile is what the code cache holds, so the everyday commands start warm; a function no
 * training command ran is compiled when first called, as without a cache.
 */
const trainingCommands = [['--version'], ['build'], ['compile'], ['ls'], ['docs', 'generate']];

/** Runs the training commands in a child process that writes the code cache as they end. */
function trainCodeCache(root: string): void {
  const parent = mkdtempSync(join(tmpdir(), 'kiln-code-cache-'));
  try {
    const project = scaffoldProject('training', parent);
    writeFileSync(
      join(project, 'profiles.yml'),
      'training:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: training.duckdb\n',
    );
    const self = fileURLToPath(import.meta.url);
    const script = `import(${JSON.stringify(self)}).then((m) => m.runTraining(${JSON.stringify(root)}, ${JSON.stringify(project)}))`;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
    if (child.status !== 0) throw new Error(`the code cache's training run failed:\n${child.stderr}${child.stdout}`);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

/** The training run itself (in its own process): each command in turn through the bundle, then the cache written. */
export async function runTraining(root: string, project: string): Promise<void> {
  const bundle = loadCliBundle(root);
  if (!bundle) throw new Error('no bundle to train: run `npm run build`');
  for (const command of trainingCommands) {
    const inProject = command[0]!.startsWith('-') ? [] : ['--project-dir', project, '--profiles-dir', project];
    await bundle.main([process.execPath, 'kiln', ...command, ...inProject]);
    if (process.exitCode) throw new Error(`kiln ${command.join(' ')} failed in the code cache's training run`);
  }
  writeFileSync(bundleFiles(root).codeCache, bundle.codeCache());
}
