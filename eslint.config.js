// One lint configuration for kiln: typescript-eslint's type-aware recommended rules, with the
// choices below. Formatting belongs to Prettier (.prettierrc.json); eslint-config-prettier turns
// off every rule that would argue with it. Each change from the recommended set says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const unsafeAny = [
  '@typescript-eslint/no-unsafe-argument',
  '@typescript-eslint/no-unsafe-assignment',
  '@typescript-eslint/no-unsafe-call',
  '@typescript-eslint/no-unsafe-member-access',
  '@typescript-eslint/no-unsafe-return',
];
const off = (rules) => Object.fromEntries(rules.map((rule) => [rule, 'off']));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'project-example/', 'templates/', 'target/', 'logs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // Each file is checked with the tsconfig that builds it: the root one (src, test, bench)
      // or docs-site/tsconfig.json (the browser bundle).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its error; node:test's test()/describe() are the exception
      // (the runner awaits them itself).
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      // Same convention as tsc's noUnused*: a leading underscore marks a parameter kept for its position.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // A switch over a union must name every member (or say `default`) so a new member is not silently ignored.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // YAML config values are stringified on purpose after schema validation decided their shape;
      // the rule cannot see that validation and flags every `String(value)` of an unknown.
      '@typescript-eslint/no-base-to-string': 'off',
      // kiln matches ANSI escapes and strips control characters on purpose (terminal output, git refs, JSON).
      'no-control-regex': 'off',
      // A destructuring declares its names together: one reassigned name keeps the statement a `let`.
      'prefer-const': ['error', { destructuring: 'all' }],
      // Async methods without await implement Promise-returning interfaces (Adapter.close, cancel, ...).
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The Jinja engine throws MacroReturn and loop break/continue signals as control flow, not errors.
    files: ['src/template/**'],
    rules: { '@typescript-eslint/only-throw-error': 'off' },
  },
  {
    // These two walk untyped JSON trees generically (the manifest and catalog for the docs site,
    // sqlparser's syntax tree for lineage): `any` is their subject, not a leak.
    files: ['src/docs/site-data.ts', 'src/lineage/query.ts'],
    rules: off(unsafeAny),
  },
  {
    // Still `any` at a data boundary, to be typed as the artifacts' schemas describe them: the
    // lineage and docs readers of other runs' artifacts.
    files: ['src/docs/column-lineage-data.ts', 'src/lineage/file.ts'],
    rules: { ...off(unsafeAny), '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Tests and benchmarks read JSON artifacts and driver rows whose shape the assertions check;
    // typing every one of them would repeat the assertions.
    files: ['test/**', 'bench/**'],
    rules: {
      ...off(unsafeAny),
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  {
    // The launcher is plain JavaScript run by Node, outside both tsconfigs.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly' } },
  },
  prettier,
);
