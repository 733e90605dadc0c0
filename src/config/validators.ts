/**
 * JSON Schema validators for kiln's YAML files. Compiling the large schemas with ajv costs
 * about as much as parsing a thousand models, so `npm run build` writes them as ajv
 * standalone code (`npm run build:validators`); a generated validator is used only while its
 * schema is unchanged (a hash of the schema is stored beside it), so a schema edited after
 * the last build is compiled at run time instead of being checked by stale code.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bundledModule } from '../bundled-modules.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv, Options, ValidateFunction } from 'ajv';
import * as schemas from './schemas.js';

/** The options every validator is compiled with, at build time and at run time alike. */
export const ajvOptions: Options = {
  allErrors: false,
  strict: false,
  coerceTypes: true,
  useDefaults: false,
  code: { source: true },
};

/** The exported schemas worth compiling ahead of time, by export name. */
export const precompiledSchemas = {
  projectSchema: schemas.projectSchema,
  profilesFileSchema: schemas.profilesFileSchema,
  propertiesSchema: schemas.propertiesSchema,
  nodeConfigSchema: schemas.nodeConfigSchema,
};

const generatedFolder = fileURLToPath(new URL('./generated-validators/', import.meta.url));

const schemaHash = (schema: object): string => createHash('sha256').update(JSON.stringify(schema)).digest('hex');

const require = createRequire(import.meta.url);
const validators = new WeakMap<object, ValidateFunction>();
let ajv: Ajv | undefined;

/** The validator of a schema: generated at build time when it matches, else compiled once. */
export function validatorFor(schema: object): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    validate = generatedValidator(schema) ?? compileAtRunTime(schema);
    validators.set(schema, validate);
  }
  return validate;
}

type GeneratedModule = ValidateFunction & { schemaHash?: string };

/**
 * The validator written at build time into `folder` for this schema, if there is one and the schema is unchanged since.
 */
export function generatedValidator(schema: object, folder = generatedFolder): ValidateFunction | undefined {
  const name = Object.entries(precompiledSchemas).find(([, s]) => s === schema)?.[0];
  if (!name) return undefined;
  const file = join(folder, `${name}.cjs`);
  // The command line's bundle carries the files of the default folder (they come compiled from its code cache).
  const bundled =
    folder === generatedFolder ? bundledModule(`validators/${name as keyof typeof precompiledSchemas}`) : undefined;
  if (!bundled && !existsSync(file)) return undefined;
  const generated = (bundled ?? require(file)) as GeneratedModule;
  return generated.schemaHash === schemaHash(schema) ? generated : undefined;
}

/** Writes each schema of `precompiledSchemas` as ajv standalone code with its hash (the build step). */
export function writeGeneratedValidators(folder = generatedFolder): void {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const standaloneCode = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js').default;
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const [name, schema] of Object.entries(precompiledSchemas)) {
    const compiler = new AjvClass(ajvOptions);
    const code = compiledOnLoad(standaloneCode(compiler, compiler.compile(schema)));
    writeFileSync(
      join(folder, `${name}.cjs`),
      `${code}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(schema))};\n`,
    );
  }
}

/**
 * ajv's standalone module with its validator function in parentheses, which V8 compiles as the file loads: declared
 * bare, the function (200 KB for the properties schema) is pre-parsed on load and parsed again on its first call, ~4 ms
 * of every parse. Code of another shape (another ajv) is left as it is.
 */
export function compiledOnLoad(code: string): string {
  const exported = 'module.exports = validate10;module.exports.default = validate10;';
  const declared = 'function validate10(';
  if (code.split(exported).length !== 2 || code.split(declared).length !== 2 || !code.trimEnd().endsWith('}'))
    return code;
  const wrapped = `${code.replace(exported, '').replace(declared, `const validate10 = (${declared}`).trimEnd()});\n${exported}`;
  try {
    // A syntax check at build time (node:vm is not loaded by the validators' users).
    new (process.getBuiltinModule('node:vm').Script)(wrapped);
  } catch {
    return code;
  }
  return wrapped;
}

/** ajv is loaded only when a schema has no generated validator (a few hundred ms saved at startup). */
export function compileAtRunTime(schema: object): ValidateFunction {
  if (!ajv) {
    const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
    ajv = new AjvClass(ajvOptions);
  }
  return ajv.compile(schema);
}
