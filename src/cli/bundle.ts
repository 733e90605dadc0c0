/**
 * The build step `npm run build:cli-bundle`: the command line as one CommonJS file (`dist/cli/kiln.cjs`) and the
 * V8 code cache of a training run, which `bin/kiln.js` starts from (`bundle-loader.ts`). A start then reads two
 * files instead of resolving, reading and compiling ~170 ES modules, and most functions a command runs come
 * compiled from the cache (a one-model `kiln compile`: ~0.22 s of CPU → ~0.11 s). Build time only: nothing here
 * runs when kiln does.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../package-root.js';
import { bundleFiles, loadCliBundle } from './bundle-loader.js';
import { precompiledSchemas } from '../config/validators.js';

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
  trainCodeCache(root);
}

/**
 * The project of the training run, written by the build (an installed package has no project-example): a seed,
 * a view, a table, an incremental and an ephemeral model, a macro, tests and descriptions, on DuckDB in its own
 * folder (its profiles.yml is the only one read). What the commands compile is what the code cache holds, so the
 * everyday commands start warm; a function no training command ran is compiled when first called, as without a cache.
 */
const trainingProject: Record<string, string> = {
  'dbt_project.yml': 'name: training\nprofile: training\nmodels:\n  training:\n    +materialized: view\n',
  'profiles.yml': 'training:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: training.duckdb\n',
  'seeds/customers.csv': 'id,name,tier\n1,Ada,gold\n2,Grace,silver\n3,Edsger,gold\n',
  'macros/cents.sql': '{% macro cents(column) %}({{ column }} * 100)::integer{% endmacro %}\n',
  'models/base.sql': "{{ config(materialized='ephemeral') }}\nselect id, name, tier from {{ ref('customers') }}\n",
  'models/customers_view.sql':
    "{% set tiers = ['gold', 'silver'] %}\nselect id, name,\n{% for t in tiers %}  tier = '{{ t }}' as is_{{ t }}{{ ',' if not loop.last }}\n{% endfor %}from {{ ref('base') }}\n",
  'models/customer_values.sql':
    "{{ config(materialized='table') }}\nselect id, {{ cents('id * 1.5') }} as value_cents from {{ ref('customers_view') }}\n",
  'models/customer_log.sql':
    "{{ config(materialized='incremental', unique_key='id') }}\nselect id, value_cents from {{ ref('customer_values') }}\n{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n",
  'models/schema.yml': [
    'version: 2',
    'models:',
    '  - name: customers_view',
    '    description: One row per customer, with a flag per tier.',
    '    columns:',
    '      - name: id',
    '        data_tests: [unique, not_null]',
    '  - name: customer_values',
    '    columns:',
    '      - name: id',
    '        data_tests:',
    '          - relationships:',
    "              to: ref('customers_view')",
    '              field: id',
    'seeds:',
    '  - name: customers',
    '    columns:',
    '      - name: tier',
    '        data_tests:',
    '          - accepted_values:',
    "              values: ['gold', 'silver']",
    '',
  ].join('\n'),
};

const trainingCommands = [['--version'], ['build'], ['compile'], ['ls'], ['docs', 'generate']];

/** Runs the training commands in a child process that writes the code cache as they end. */
function trainCodeCache(root: string): void {
  const project = mkdtempSync(join(tmpdir(), 'kiln-code-cache-'));
  try {
    for (const [file, text] of Object.entries(trainingProject)) {
      mkdirSync(dirname(join(project, file)), { recursive: true });
      writeFileSync(join(project, file), text);
    }
    const self = fileURLToPath(import.meta.url);
    const script = `import(${JSON.stringify(self)}).then((m) => m.runTraining(${JSON.stringify(root)}, ${JSON.stringify(project)}))`;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
    if (child.status !== 0) throw new Error(`the code cache's training run failed:\n${child.stderr}${child.stdout}`);
  } finally {
    rmSync(project, { recursive: true, force: true });
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
