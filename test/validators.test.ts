/**
 * The YAML validators written at build time (ajv standalone code) judge as the schemas
 * compiled at run time do, coercions included, and a generated validator whose schema has
 * changed since the build is not used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compileAtRunTime,
  compiledOnLoad,
  generatedValidator,
  precompiledSchemas,
  writeGeneratedValidators,
} from '../src/config/validators.js';
import { removeDir, tempDir } from './helpers/cli.js';

const samples: Record<keyof typeof precompiledSchemas, unknown[]> = {
  projectSchema: [
    { name: 'shop' },
    { name: 'shop', 'model-paths': ['models'], 'config-version': '2' },
    { name: '9shop' },
    { name: 'shop', 'model-paths': 'models' },
    { name: 'shop', concurrency_groups: { warehouse: 0 } },
    { name: 'shop', concurrency_groups: { warehouse: '3' } },
    { profile: 'shop' },
  ],
  profilesFileSchema: [
    { shop: { target: 'dev', outputs: { dev: { type: 'duckdb' } } } },
    { shop: 'dev' },
    { config: {} },
  ],
  propertiesSchema: [
    { version: 2, models: [{ name: 'a', columns: [{ name: 'id', data_tests: ['unique'] }] }] },
    { version: 2, models: [{ columns: [] }] },
    { version: 2, sources: [{ name: 'raw', tables: [{ name: 'orders', loaded_at_field: 'at' }] }] },
    { version: 2, models: 'a' },
    { version: '2', seeds: [{ name: 's', config: { column_types: { id: 'int' } } }] },
  ],
  nodeConfigSchema: [
    { materialized: 'view' },
    { enabled: 'false' },
    { enabled: 'maybe' },
    { severity: 'Warn' },
    { severity: 'loud' },
    { retries: '2' },
    { retries: -1 },
    { tags: ['a', 'b'] },
    { docs: { show: 'yes' } },
  ],
};

test('generated validators give the verdicts, errors and coercions of run-time compilation', () => {
  const dir = tempDir('kiln-validators-');
  try {
    writeGeneratedValidators(dir);
    for (const [name, schema] of Object.entries(precompiledSchemas)) {
      const generated = generatedValidator(schema, dir);
      assert.ok(generated, `${name} was generated`);
      const compiled = compileAtRunTime(schema);
      for (const sample of samples[name as keyof typeof precompiledSchemas]) {
        const [a, b] = [structuredClone(sample), structuredClone(sample)];
        assert.equal(generated(a), compiled(b), `${name}: ${JSON.stringify(sample)}`);
        assert.deepEqual(a, b, 'the same coercions');
        assert.deepEqual(generated.errors?.[0], compiled.errors?.[0] ?? undefined);
      }
    }
  } finally {
    removeDir(dir);
  }
});

test('a generated validator whose schema changed after the build is not used', () => {
  const dir = tempDir('kiln-validators-');
  try {
    writeGeneratedValidators(dir);
    assert.ok(generatedValidator(precompiledSchemas.profilesFileSchema, dir));
    const file = join(dir, 'projectSchema.cjs');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/schemaHash = "[0-9a-f]+"/, 'schemaHash = "0"'));
    assert.equal(generatedValidator(precompiledSchemas.projectSchema, dir), undefined);
    assert.equal(generatedValidator({ type: 'object' }, dir), undefined, 'a schema never generated');
  } finally {
    removeDir(dir);
  }
});

test('the generated validators are compiled as their files load, and code of another shape is left as it is', () => {
  const dir = tempDir('kiln-validators-');
  try {
    writeGeneratedValidators(dir);
    for (const name of Object.keys(precompiledSchemas))
      assert.match(readFileSync(join(dir, `${name}.cjs`), 'utf8'), /const validate10 = \(function validate10\(/, name);
    const other = '"use strict";module.exports = validate;function validate(data) { return true; }';
    assert.equal(compiledOnLoad(other), other);
    const twoFunctions =
      '"use strict";module.exports = validate10;module.exports.default = validate10;function validate10(d) { return true; }\nfunction validate11(d) { return true; }';
    assert.equal(compiledOnLoad(twoFunctions), twoFunctions, 'only a last, single validator function is wrapped');
  } finally {
    removeDir(dir);
  }
});
