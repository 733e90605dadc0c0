/**
 * Partial parsing never changes a result: after each kind of change, `kiln compile` with the
 * cache of the previous invocation writes the same manifest.json and the same files under
 * target/compiled, byte for byte, as a cold compile of the same tree (`--no-partial-parse`,
 * into another target path). The cold compile is the oracle.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { compile, clean, ls, type KilnOptions } from '../src/index.js';
import { kiln, removeDir, writeProject } from './helpers/cli.js';
import { compileInto, warmCompileEqualsCold } from './helpers/target-outputs.js';
import { createRandom as random } from '../bench/generate.js';

const files: Record<string, string> = {
  'dbt_project.yml':
    'name: shop\nprofile: shop\nconfig-version: 2\nvars:\n  threshold: 10\nmodels:\n  shop:\n    +materialized: view\n',
  'profiles.yml':
    'shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/dev.duckdb, schema: main}\n    other: {type: duckdb, path: target/other.duckdb, schema: analytics}\n',
  'macros/money.sql': '{% macro money(col) %}round({{ col }}, 2){% endmacro %}\n',
  'macros/labels.sql': "{% macro label(x) %}'{{ x }}'{% endmacro %}\n",
  'macros/checks.sql':
    '{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} < 0{% endtest %}\n',
  'models/stg_orders.sql': "select id, amount from {{ ref('raw_orders') }}\n",
  'models/orders_money.sql':
    "{{ config(materialized='table') }}\nselect id, {{ money('amount') }} as amount from {{ ref('stg_orders') }}\n",
  'models/orders_label.sql':
    "select id, {{ label('x') }} as l from {{ ref('stg_orders') }} where amount > {{ var('threshold') }}\n",
  'models/env_model.sql': "select '{{ env_var('KILN_PP_REGION', 'eu') }}' as region\n",
  'models/plain.sql': "select * from {{ ref('orders_money') }}\n",
  'models/helper_user.sql': 'select {{ helpers.helper() }} as one\n',
  'models/schema.yml': [
    'version: 2',
    'models:',
    '  - name: stg_orders',
    '    description: "{{ doc(\'orders\') }}"',
    '    columns:',
    '      - name: id',
    '        data_tests: [unique, not_null]',
    '      - name: amount',
    '        data_tests: [positive]',
    '  - name: orders_money',
    '    description: Money per order',
    '',
  ].join('\n'),
  'models/docs.md': '{% docs orders %}The orders{% enddocs %}\n',
  'seeds/raw_orders.csv': 'id,amount\n1,10\n2,20\n',
  'snapshots/snap.sql':
    "{% snapshot orders_snap %}\n{{ config(target_schema='snaps', unique_key='id', strategy='check', check_cols='all') }}\nselect * from {{ ref('stg_orders') }}\n{% endsnapshot %}\n",
  'tests/no_negative.sql': "select * from {{ ref('plain') }} where amount < 0\n",
  'analyses/report.sql': "select count(*) from {{ ref('plain') }}\n",
  'dbt_packages/helpers/dbt_project.yml': 'name: helpers\nversion: 1.0.0\nconfig-version: 2\n',
  'dbt_packages/helpers/macros/helper.sql': '{% macro helper() %}1{% endmacro %}\n',
  'dbt_packages/helpers/models/helper_model.sql': 'select {{ helper() }} as one\n',
};

const dir = writeProject(files);
after(() => removeDir(dir));
const invocationId = '00000000-0000-0000-0000-000000000000';
let extra: KilnOptions = {};

const write = (rel: string, text: string) => {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
};
const edit = (rel: string, change: (text: string) => string) =>
  write(rel, change(readFileSync(join(dir, rel), 'utf8')));

/** A warm compile as the CLI makes it (replayed when it can be); a cold one with the cache off. */
const compileWith = (targetPath: string, partialParse: boolean) =>
  compileInto(dir, targetPath, partialParse, { invocationId, ...extra });

/** Compiles warm (the cache of the last step) and cold (no cache), and requires the same outputs. */
const warmEqualsCold = (what: string) => warmCompileEqualsCold(dir, what, { invocationId, ...extra });

const reusedLine = (log: string[]) => log.find((l) => l.startsWith('partial parse: reused')) ?? '';

test('a first compile writes target/partial_parse.bin; a second with nothing changed reuses every parse and compiled node', async () => {
  await compileWith('target', true);
  assert.ok(existsSync(join(dir, 'target', 'partial_parse.bin')));
  const log = await warmEqualsCold('nothing changed');
  assert.match(reusedLine(log), /reused (\d+) of \1 SQL parses, (\d+) of \2 compiled nodes/);
});

test('a command that compiles nothing (ls) in between keeps the compiled SQL for the next compile', async () => {
  await ls({ projectDir: dir, profilesDir: dir, targetPath: 'target', invocationId });
  const log = await warmEqualsCold('ls in between');
  assert.match(reusedLine(log), /reused (\d+) of \1 SQL parses, (\d+) of \2 compiled nodes/);
});

test('a changed model text re-renders that model only', async () => {
  edit('models/orders_label.sql', (t) => t + '-- a comment\n');
  const log = await warmEqualsCold('model text');
  assert.match(reusedLine(log), /reused (\d+) of (\d+) SQL parses/);
  const [, reused, all] = /reused (\d+) of (\d+) SQL parses/.exec(reusedLine(log))!;
  assert.equal(Number(all) - Number(reused), 1, reusedLine(log));
});

const replayed = (log: string[]) => log.some((l) => l.startsWith('compile replay: re-rendered'));

test('a compile replays the last one only while every file it cannot re-render alone is unchanged', async () => {
  edit('models/plain.sql', (t) => t + '-- once\n');
  assert.ok(replayed(await warmEqualsCold('one model edited')));
  edit('models/plain.sql', (t) => t + '-- twice\n');
  edit('analyses/report.sql', (t) => t + '-- and an analysis\n');
  assert.ok(replayed(await warmEqualsCold('a model edited again, and an analysis')));
  const cacheFile = join(dir, 'target', 'partial_parse.bin');
  const cacheBefore = readFileSync(cacheFile, 'utf8');
  edit('models/plain.sql', (t) => t.replace('select *', 'select id'));
  const log = await warmEqualsCold('a model edited after a replay');
  assert.ok(replayed(log), log.join('\n'));
  // A replay appends the entries it changed, closed by their own end line, to the cache as it was.
  const cacheAfter = readFileSync(cacheFile, 'utf8');
  assert.ok(cacheAfter.startsWith(cacheBefore) && cacheAfter.endsWith('\nend\n'));
  assert.ok(cacheAfter.slice(cacheBefore.length).includes('s\t"model.shop.plain"'));
  // An append cut short leaves a cache without its last end line: ignored whole, as any cache cut short.
  writeFileSync(cacheFile, cacheAfter.slice(0, -'end\n'.length));
  const cut = await warmEqualsCold('a replay cut short');
  assert.ok(!replayed(cut) && cut.some((l) => /ignoring partial_parse\.bin/.test(l)), cut.join('\n'));
  // What a replay cannot vouch for compiles in full (warmEqualsCold checks the result each time).
  const full: Array<[string, () => void]> = [
    ['a ref added', () => edit('models/plain.sql', (t) => t + "-- {{ ref('stg_orders') }}\n")],
    ['properties YAML', () => edit('models/schema.yml', (t) => t + '# a comment\n')],
    ['a macro', () => edit('macros/labels.sql', (t) => t.replace("'{{ x }}'", "'{{ x }}!'"))],
    ['a compiled file deleted', () => rmSync(join(dir, 'target', 'compiled', 'shop', 'models', 'plain.sql'))],
    ['a snapshot file', () => edit('snapshots/snap.sql', (t) => t.replace('select *', 'select id, amount'))],
    ['a model added', () => write('models/extra.sql', 'select 1 as one\n')],
  ];
  for (const [what, change] of full) {
    change();
    const log = await warmEqualsCold(what);
    assert.ok(!replayed(log), `${what}: ${log.join('\n')}`);
  }
  rmSync(join(dir, 'models/extra.sql'));
  await warmEqualsCold('the added model removed');
});

test('a model named in non-ASCII, edited: the replay finds its entry in manifest.json, past its key', async () => {
  write('models/z_caf\u00e9.sql', "select * from {{ ref('stg_orders') }}\n");
  await warmEqualsCold('a model named in non-ASCII added');
  edit('models/z_caf\u00e9.sql', (t) => t + '-- edited\n');
  const log = await warmEqualsCold('the model named in non-ASCII edited');
  assert.ok(replayed(log), log.join('\n'));
  rmSync(join(dir, 'models/z_caf\u00e9.sql'));
  await warmEqualsCold('removed');
});

test('a default selector in selectors.yml: no compile replays while one is set, since the compile is of what it selects', async () => {
  const selectors = (definition: string, isDefault: boolean) =>
    write(
      'selectors.yml',
      `selectors:\n  - name: some\n    definition: "${definition}"\n${isDefault ? '    default: true\n' : ''}`,
    );
  selectors('plain+', true);
  await warmEqualsCold('a default selector set');
  edit('models/plain.sql', (t) => t + '-- under a default selector\n');
  assert.ok(!replayed(await warmEqualsCold('a selected model edited')));
  selectors('orders_label', true);
  edit('models/plain.sql', (t) => t + '-- another default\n');
  assert.ok(!replayed(await warmEqualsCold('the default selector changed, a model edited')));
  // A selectors.yml with no default selector changes nothing a compile does.
  selectors('orders_label', false);
  await warmEqualsCold('the default taken away');
  edit('models/plain.sql', (t) => t + '-- no default\n');
  assert.ok(replayed(await warmEqualsCold('a model edited, no default selector')));
  // The record was made with the whole project compiled: a default selector set since makes it not apply.
  selectors('orders_label', true);
  edit('models/plain.sql', (t) => t + '-- the default back\n');
  const log = await warmEqualsCold('a default selector set again, a model edited');
  assert.ok(!replayed(log) && log.some((l) => /default selector/.test(l)), log.join('\n'));
  rmSync(join(dir, 'selectors.yml'));
  await warmEqualsCold('selectors.yml removed');
});

test("a model reading a source, edited, replays: what the source resolves to is in the replay's record", async () => {
  write(
    'models/sources.yml',
    'version: 2\nsources:\n  - name: raw\n    schema: landing\n    tables:\n      - name: payments\n',
  );
  write('models/from_source.sql', "select * from {{ source('raw', 'payments') }}\n");
  await warmEqualsCold('a source and a model reading it added');
  edit('models/from_source.sql', (t) => t + '-- edited\n');
  const log = await warmEqualsCold('the model reading a source edited');
  assert.ok(replayed(log), log.join('\n'));
  rmSync(join(dir, 'models/from_source.sql'));
  rmSync(join(dir, 'models/sources.yml'));
  await warmEqualsCold('removed');
});

test('a replay is refused for a model whose render reads graph, and for an ephemeral model; a model inlining one replays', async () => {
  // A render that reads graph sees every node's raw code: while one exists, no compile is replayed.
  write(
    'models/reads_graph.sql',
    "select {% if execute %}{{ graph.nodes | length }}{% else %}0{% endif %} as n from {{ ref('plain') }}\n",
  );
  await warmEqualsCold('a model reading graph added');
  for (const file of ['models/reads_graph.sql', 'models/plain.sql']) {
    edit(file, (t) => t + '-- edited\n');
    const log = await warmEqualsCold(`${file} edited`);
    assert.ok(!replayed(log), `${file}: ${log.join('\n')}`);
  }
  rmSync(join(dir, 'models/reads_graph.sql'));
  write('models/eph2.sql', "{{ config(materialized='ephemeral') }}\nselect id from {{ ref('eph3') }}\n");
  write('models/eph3.sql', "{{ config(materialized='ephemeral') }}\nselect id from {{ ref('stg_orders') }}\n");
  write('models/eph2_reader.sql', "select * from {{ ref('eph2') }}\n");
  await warmEqualsCold('ephemeral models added');
  for (const [file, replays] of [
    ['models/eph2.sql', false],
    ['models/eph2_reader.sql', true],
    ['models/eph2_reader.sql', true],
  ] as const) {
    edit(file, (t) => t + '-- edited\n');
    const log = await warmEqualsCold(`${file} edited`);
    assert.equal(replayed(log), replays, `${file}: ${log.join('\n')}`);
  }
  for (const file of ['models/eph2.sql', 'models/eph3.sql', 'models/eph2_reader.sql']) rmSync(join(dir, file));
  await warmEqualsCold('removed');
});

test("a model's config() block", async () => {
  edit('models/orders_money.sql', (t) => t.replace("materialized='table'", "materialized='view', alias='money2'"));
  await warmEqualsCold('config() block');
});

test("a ref target's alias and schema change what its readers compile to", async () => {
  edit('models/orders_money.sql', (t) => t.replace("alias='money2'", "alias='money3', schema='finance'"));
  await warmEqualsCold('alias and schema of a ref target');
});

test('a macro body used by some models and not others re-renders exactly its users', async () => {
  edit('macros/money.sql', (t) => t.replace('round({{ col }}, 2)', 'round({{ col }}, 3)'));
  const log = await warmEqualsCold('macro body');
  assert.match(reusedLine(log), /reused/);
});

test('a macro file added, then deleted', async () => {
  write('macros/extra.sql', "{% macro label(x) %}upper('{{ x }}'){% endmacro %}\n");
  rmSync(join(dir, 'macros/labels.sql'));
  await warmEqualsCold('macro file replaced by another defining the same macro');
  write('macros/more.sql', '{% macro unused() %}1{% endmacro %}\n');
  await warmEqualsCold('macro file added');
  rmSync(join(dir, 'macros/more.sql'));
  await warmEqualsCold('macro file deleted');
});

test('a generic test macro', async () => {
  edit('macros/checks.sql', (t) => t.replace('< 0', '<= 0'));
  await warmEqualsCold('generic test macro');
});

test('properties YAML: description, tests, config', async () => {
  edit('models/schema.yml', (t) => t.replace('Money per order', 'Money per order, rounded'));
  await warmEqualsCold('description');
  edit('models/schema.yml', (t) => t.replace('data_tests: [unique, not_null]', 'data_tests: [not_null]'));
  await warmEqualsCold('tests');
  edit('models/schema.yml', (t) =>
    t.replace(
      '    description: Money per order, rounded',
      '    description: Money per order, rounded\n    config:\n      alias: yaml_money\n      tags: [finance]',
    ),
  );
  await warmEqualsCold('config');
});

test('new and deleted files of every kind: model, seed, snapshot, singular test, analysis, docs', async () => {
  const added: Record<string, string> = {
    'models/new_model.sql': "select * from {{ ref('plain') }}\n",
    'seeds/new_seed.csv': 'a\n1\n',
    'snapshots/new_snap.sql':
      "{% snapshot new_snap %}\n{{ config(target_schema='snaps', unique_key='id', strategy='check', check_cols='all') }}\nselect 1 as id\n{% endsnapshot %}\n",
    'tests/new_test.sql': "select * from {{ ref('new_model') }} where 1 = 0\n",
    'analyses/new_analysis.sql': "select * from {{ ref('new_model') }}\n",
    'models/more_docs.md': '{% docs more %}More{% enddocs %}\n',
  };
  for (const [rel, text] of Object.entries(added)) write(rel, text);
  await warmEqualsCold('files added');
  edit('models/docs.md', () => '{% docs orders %}The orders, changed{% enddocs %}\n');
  await warmEqualsCold('docs block changed');
  for (const rel of Object.keys(added)) rmSync(join(dir, rel));
  await warmEqualsCold('files deleted');
});

test('dbt_project.yml vars and config', async () => {
  edit('dbt_project.yml', (t) => t.replace('threshold: 10', 'threshold: 20'));
  await warmEqualsCold('dbt_project.yml vars');
  edit('dbt_project.yml', (t) => t.replace('+materialized: view', '+materialized: table'));
  await warmEqualsCold('dbt_project.yml config');
});

test('--vars', async () => {
  extra = { vars: { threshold: 99 } };
  await warmEqualsCold('--vars');
  extra = {};
  await warmEqualsCold('--vars dropped');
});

test('an env_var() value, changed and newly set', async () => {
  process.env.KILN_PP_REGION = 'us';
  try {
    await warmEqualsCold('env_var newly set');
    process.env.KILN_PP_REGION = 'ap';
    await warmEqualsCold('env_var changed');
  } finally {
    delete process.env.KILN_PP_REGION;
  }
  await warmEqualsCold('env_var unset');
});

test('a target switch', async () => {
  extra = { target: 'other' };
  await warmEqualsCold('target other');
  extra = {};
  await warmEqualsCold('target dev');
});

test('a package change', async () => {
  edit('dbt_packages/helpers/macros/helper.sql', () => '{% macro helper() %}2{% endmacro %}\n');
  await warmEqualsCold('package macro');
  edit('dbt_packages/helpers/dbt_project.yml', (t) => t.replace('1.0.0', '1.1.0'));
  await warmEqualsCold('package version');
  edit('dbt_packages/helpers/models/helper_model.sql', (t) => t + '-- changed\n');
  await warmEqualsCold('package model');
});

test("another kiln version's cache, and a corrupt one, are ignored with a debug line", async () => {
  const file = join(dir, 'target', 'partial_parse.bin');
  const [header, ...lines] = readFileSync(file, 'utf8').split('\n');
  // A cache from another version that would be wrong if it were used.
  const otherVersion = JSON.stringify({ ...JSON.parse(header!), kilnVersion: '0.0.1' });
  const wrongParses = lines.map((line) => {
    const fields = line.split('\t');
    if (fields[0] !== 's') return line;
    return [
      ...fields.slice(0, 3),
      JSON.stringify({ ...JSON.parse(fields[3]!), result: { refs: [], sources: [], config: {} } }),
    ].join('\t');
  });
  writeFileSync(file, [otherVersion, ...wrongParses].join('\n'));
  const log = await warmEqualsCold('kiln version');
  assert.ok(
    log.some((l) => /changed: parsing everything/.test(l)),
    log.join('\n'),
  );
  writeFileSync(file, 'not a cache at all');
  const corrupt = await warmEqualsCold('corrupt cache');
  assert.ok(
    corrupt.some((l) => /ignoring partial_parse\.bin/.test(l)),
    corrupt.join('\n'),
  );
});

test('a cache cut short is ignored whole; a damaged entry is made afresh, the others reused', async () => {
  const file = join(dir, 'target', 'partial_parse.bin');
  await compileWith('target', true);
  const text = readFileSync(file, 'utf8');
  // Written a line at a time: a cache without its closing line was not written to the end.
  writeFileSync(file, text.slice(0, text.lastIndexOf('end\n')));
  const cut = await warmEqualsCold('cache cut short');
  assert.ok(
    cut.some((l) => /ignoring partial_parse\.bin/.test(l)),
    cut.join('\n'),
  );
  const lines = readFileSync(file, 'utf8').split('\n');
  const sqlLines = lines.filter((l) => l.startsWith('s\t'));
  const bodyLines = lines.filter((l) => l.startsWith('b\t'));
  // A YAML file's data (by its text's hash), not the mark of a check it passed (`<hash> <check>`).
  const yamlLines = lines.filter((l) => /^y\t"[0-9a-f]+"\t/.test(l));
  const passedLines = lines.filter((l) => /^y\t"[0-9a-f]+ properties [0-9a-f]+"\t/.test(l));
  assert.ok(sqlLines.length > 1 && bodyLines.length > 1, 'one line per parse and per compiled node');
  assert.ok(yamlLines.length >= 1, 'one line per YAML file');
  assert.equal(passedLines.length, yamlLines.length, "each file's data passed the properties' schema unchanged");
  const damage = (line: string) => line.slice(0, line.lastIndexOf('\t') + 1) + '{"broken":';
  // Without the replay record, so that the full compile reads every entry.
  writeFileSync(
    file,
    lines
      .filter((l) => !l.startsWith('r\t"replay"'))
      .map((l) => (l === sqlLines[0] || l === bodyLines[0] || l === yamlLines[0] ? damage(l) : l))
      .join('\n'),
  );
  const damaged = await warmEqualsCold('a damaged entry');
  assert.equal(
    reusedLine(damaged),
    `partial parse: reused ${sqlLines.length - 1} of ${sqlLines.length} SQL parses, ${bodyLines.length - 1} of ${bodyLines.length} compiled nodes; kept ${lines.filter((l) => l.startsWith('w\t')).length} compiled files; reused ${yamlLines.length - 1} of ${yamlLines.length} YAML files (${passedLines.length} checks kept)`,
  );
});

test('a damaged record of a compiled file makes the next compile a full one, which writes that file again', async () => {
  await compileWith('target', true);
  const cacheFile = join(dir, 'target', 'partial_parse.bin');
  const compiled = join(dir, 'target', 'compiled', 'shop', 'models', 'plain.sql');
  const lines = readFileSync(cacheFile, 'utf8').split('\n');
  const damaged = lines.map((l) =>
    l.startsWith('w\t') && l.includes('/plain.sql"') ? l.slice(0, l.lastIndexOf('\t') + 1) + 'damaged' : l,
  );
  assert.notDeepEqual(damaged, lines);
  writeFileSync(cacheFile, damaged.join('\n'));
  writeFileSync(compiled, '-- edited by hand\n');
  edit('models/orders_label.sql', (t) => t + '-- after a damaged record\n');
  const log = await warmEqualsCold('a compiled file whose record is damaged');
  assert.ok(!replayed(log), log.join('\n'));
});

test("a damaged length in a manifest.json entry's record makes the next compile a full one", async () => {
  const cacheFile = join(dir, 'target', 'partial_parse.bin');
  // Entries start where the one before ends: a damaged length before the edited model's entry would misplace it.
  for (const damage of ['x', '-', '12345678901234567890']) {
    await compileWith('target', true);
    const lines = readFileSync(cacheFile, 'utf8').split('\n');
    const damaged = lines.map((l) =>
      l.startsWith('m\t"model.shop.env_model"\t') ? l.replace(/\t\d+ /, `\t${damage} `) : l,
    );
    assert.notDeepEqual(damaged, lines);
    writeFileSync(cacheFile, damaged.join('\n'));
    edit('models/plain.sql', (t) => t + `-- after a damaged length ${damage}\n`);
    const log = await warmEqualsCold(`a manifest entry's length damaged: ${damage}`);
    assert.ok(!replayed(log), log.join('\n'));
  }
});

test('an edit within the same second, of the same size, with the mtime put back, is seen', async () => {
  const file = join(dir, 'models/stg_orders.sql');
  await compileWith('target', true);
  const before = statSync(file);
  edit('models/stg_orders.sql', (t) => t.replace('select id, amount', 'select amount, id'));
  utimesSync(file, before.atime, before.mtime);
  assert.equal(statSync(file).size, before.size);
  await warmEqualsCold('racy edit');
});

test('on a file system with one-second timestamps, a same-size edit in the second of the compile that saw the file is still seen (the racy rule)', async () => {
  const rel = 'models/racy.sql';
  const file = join(dir, rel);
  const writable = fs as { statSync: typeof fs.statSync };
  const real = fs.statSync;
  // Timestamps in whole seconds, as on file systems with coarse times: a second edit within the same second keeps the stat.
  writable.statSync = ((path: fs.PathLike, opts?: fs.StatSyncOptions) => {
    const st = real(path, opts as never);
    if (String(path) !== file || !st) return st;
    return Object.assign(Object.create(Object.getPrototypeOf(st) as object) as fs.Stats, st, {
      mtimeMs: Math.floor(st.mtimeMs / 1000) * 1000,
      ctimeMs: Math.floor(st.ctimeMs / 1000) * 1000,
    });
  }) as typeof fs.statSync;
  syncBuiltinESMExports();
  try {
    let sameSecond = false;
    for (let attempt = 0; attempt < 10 && !sameSecond; attempt++) {
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
      const second = Math.floor(Date.now() / 1000);
      write(rel, "select 'aaaa' as v\n");
      await compileWith('target', true);
      write(rel, "select 'bbbb' as v\n");
      sameSecond = Math.floor(Date.now() / 1000) === second && Math.floor(statSync(file).mtimeMs / 1000) === second;
    }
    assert.ok(sameSecond, 'a compile fitted between two edits in the same second');
    await warmEqualsCold('same-size edit in the same second');
  } finally {
    writable.statSync = real;
    syncBuiltinESMExports();
    rmSync(file);
    rmSync(join(dir, 'target', 'compiled', 'shop', 'models', 'racy.sql'));
    rmSync(join(dir, 'target-cold', 'compiled', 'shop', 'models', 'racy.sql'));
  }
});

test("a first compile stats each SQL file it reads on the opened file, not by the file's path", async () => {
  const writable = fs as { statSync: typeof fs.statSync };
  const real = fs.statSync;
  const models = join(dir, 'models');
  const statted: string[] = [];
  writable.statSync = ((path: fs.PathLike, opts?: fs.StatSyncOptions) => {
    if (String(path).startsWith(models) && String(path).endsWith('.sql')) statted.push(String(path));
    return real(path, opts as never);
  }) as typeof fs.statSync;
  syncBuiltinESMExports();
  try {
    await compileWith('target-opened', true);
  } finally {
    writable.statSync = real;
    syncBuiltinESMExports();
  }
  assert.deepEqual(statted, []);
  // The stats so recorded vouch for the files next time, as a stat of the path would.
  const log = await compileWith('target-opened', true);
  assert.match(reusedLine(log), /reused (\d+) of \1 SQL parses/);
  await warmEqualsCold('after a cold compile whose stats were taken on the opened files');
  rmSync(join(dir, 'target-opened'), { recursive: true, force: true });
});

test('unchanged compiled files are not written again', async () => {
  await compileWith('target', true);
  const compiled = join(dir, 'target', 'compiled', 'shop', 'models', 'plain.sql');
  const label = join(dir, 'target', 'compiled', 'shop', 'models', 'orders_label.sql');
  const plainBefore = statSync(compiled).mtimeMs;
  const labelBefore = statSync(label).mtimeMs;
  await new Promise((r) => setTimeout(r, 20));
  edit('models/orders_label.sql', (t) => t + '-- again\n');
  await compileWith('target', true);
  assert.equal(statSync(compiled).mtimeMs, plainBefore, 'plain.sql untouched');
  assert.notEqual(statSync(label).mtimeMs, labelBefore, 'orders_label.sql rewritten');
  rmSync(compiled);
  await compileWith('target', true);
  assert.ok(existsSync(compiled), 'a deleted compiled file is written again');
});

test('renders that read per-invocation values or the warehouse are never reused', async () => {
  write('models/stamped.sql', "select '{{ invocation_id }}' as inv, '{{ run_started_at }}' as started\n");
  write('models/timed.sql', "select '{{ modules.datetime.datetime.now().year > 2000 }}' as now_ok\n");
  await compileWith('target', true);
  const inv = '11111111-1111-1111-1111-111111111111';
  const r = await compile({
    projectDir: dir,
    profilesDir: dir,
    targetPath: 'target',
    invocationId: inv,
    partialParse: true,
  });
  assert.match(r.compiled.get('model.shop.stamped')!, new RegExp(inv));
  for (const f of ['stamped', 'timed']) {
    rmSync(join(dir, 'models', `${f}.sql`));
    rmSync(join(dir, 'target', 'compiled', 'shop', 'models', `${f}.sql`));
  }
});

test('partial parsing is off with --no-partial-parse, KILN_PARTIAL_PARSE=false, DBT_PARTIAL_PARSE=false or flags: {partial_parse: false}; kiln clean removes the cache', async () => {
  rmSync(join(dir, 'target-off'), { recursive: true, force: true });
  await compileWith('target-off', false);
  assert.equal(existsSync(join(dir, 'target-off', 'partial_parse.bin')), false);
  for (const name of ['KILN_PARTIAL_PARSE', 'DBT_PARTIAL_PARSE']) {
    process.env[name] = 'false';
    try {
      await compile({ projectDir: dir, profilesDir: dir, targetPath: 'target-off' });
      assert.equal(existsSync(join(dir, 'target-off', 'partial_parse.bin')), false, name);
    } finally {
      delete process.env[name];
    }
  }
  edit('dbt_project.yml', (t) => t + 'flags:\n  partial_parse: false\n');
  await compile({ projectDir: dir, profilesDir: dir, targetPath: 'target-off' });
  assert.equal(existsSync(join(dir, 'target-off', 'partial_parse.bin')), false, 'flags: partial_parse: false');
  edit('dbt_project.yml', (t) => t.replace('flags:\n  partial_parse: false\n', ''));
  await compile({ projectDir: dir, profilesDir: dir, targetPath: 'target-off' });
  assert.ok(existsSync(join(dir, 'target-off', 'partial_parse.bin')), 'on by default');
  clean({ projectDir: dir, targetPath: 'target-off' });
  assert.equal(existsSync(join(dir, 'target-off', 'partial_parse.bin')), false, 'kiln clean');
});

test('the CLI: --no-partial-parse reads and writes no cache; --debug says what was reused', () => {
  const args = ['--project-dir', dir, '--profiles-dir', dir, '--target-path', 'target-cli'];
  rmSync(join(dir, 'target-cli'), { recursive: true, force: true });
  const off = kiln(['compile', '--no-partial-parse', ...args], { cwd: dir });
  assert.equal(off.code, 0, off.stderr);
  assert.equal(existsSync(join(dir, 'target-cli', 'partial_parse.bin')), false);
  assert.equal(kiln(['compile', ...args], { cwd: dir }).code, 0);
  const again = kiln(['--debug', 'compile', ...args], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout + again.stderr, /partial parse: reused (\d+) of \1 SQL parses, (\d+) of \2 compiled nodes/);
});

const copiedLine = (log: string[]) =>
  /copied (\d+) node entries/.exec(log.find((l) => l.startsWith('manifest.json:')) ?? '');
const createdAts = () =>
  new Set(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8').match(/"created_at":[0-9.]+/g) ?? []);

const createdAtOf = (id: string) =>
  (
    JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8')) as {
      nodes: Record<string, { created_at: number }>;
    }
  ).nodes[id]!.created_at;

test("manifest.json's node entries are copied from the last file when nothing they are made of changed, keeping their created_at as dbt keeps a node it did not parse again", async () => {
  await compileWith('target', true);
  await compileWith('target', true);
  const before = createdAts();
  const plainBefore = createdAtOf('model.shop.plain');
  const moneyBefore = createdAtOf('model.shop.orders_money');
  await new Promise((r) => setTimeout(r, 20));
  // A YAML change: a full compile, which copies the entries the change does not touch.
  edit('models/schema.yml', (t) => t.replace('Money per order', 'Money per order (copied)'));
  const log = await warmEqualsCold('YAML changed, other entries copied');
  assert.ok(Number(copiedLine(log)?.[1]) > 0, log.join('\n'));
  assert.equal(createdAtOf('model.shop.plain'), plainBefore, 'a copied entry keeps its created_at');
  assert.ok(createdAtOf('model.shop.orders_money') > moneyBefore, 'the changed node was made again');
  await new Promise((r) => setTimeout(r, 20));
  const labelBefore = createdAtOf('model.shop.orders_label');
  edit('models/orders_label.sql', (t) => t + '-- created again\n');
  await warmEqualsCold('one model edited');
  assert.ok(createdAtOf('model.shop.orders_label') > labelBefore, 'the edited node was made again');
  assert.equal(createdAtOf('model.shop.plain'), plainBefore, 'the others were not');
  assert.ok(before.size > 1);
});

test("an ephemeral model's SQL changes the manifest entries of the models that inline it", async () => {
  write('models/eph.sql', "{{ config(materialized='ephemeral') }}\nselect id from {{ ref('stg_orders') }}\n");
  write('models/eph_reader.sql', "select * from {{ ref('eph') }}\n");
  await warmEqualsCold('ephemeral added');
  await warmEqualsCold('ephemeral unchanged');
  edit('models/eph.sql', (t) => t.replace('select id', 'select id, amount'));
  await warmEqualsCold("ephemeral's SQL");
  rmSync(join(dir, 'models/eph.sql'));
  rmSync(join(dir, 'models/eph_reader.sql'));
  await warmEqualsCold('ephemeral removed');
});

test('an entry of manifest.json changed since kiln wrote it (same size, modification time put back) is not copied', async () => {
  await compileWith('target', true);
  const file = join(dir, 'target', 'manifest.json');
  const st = statSync(file);
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes('Money per order'));
  writeFileSync(file, text.split('Money per order').join('Money per ORDER'));
  utimesSync(file, st.atime, st.mtime);
  const log = await warmEqualsCold('manifest.json edited');
  assert.ok(Number(copiedLine(log)?.[1]) > 0, 'the entries left alone are copied');
  rmSync(file);
  await warmEqualsCold('manifest.json deleted');
});

test('a compile replay trusts manifest.json by its stat: the same bytes written again by another program are not spliced into', async () => {
  await compileWith('target', true);
  const file = join(dir, 'target', 'manifest.json');
  const again = `${file}.again`;
  writeFileSync(again, readFileSync(file));
  renameSync(again, file);
  edit('models/plain.sql', (t) => t + '-- after manifest.json was written again\n');
  const log = await warmEqualsCold('manifest.json written again');
  assert.ok(
    log.includes('compile replay: manifest.json changed since it was written: compiling in full'),
    log.join('\n'),
  );
  edit('models/plain.sql', (t) => t + '-- and once more\n');
  assert.ok(replayed(await warmEqualsCold('after the full compile')));
});

test('a replay table cut short, of another kiln, of another cache, or pointing elsewhere: the compile is as a cold one', async () => {
  await compileWith('target', true);
  const table = join(dir, 'target', 'partial_parse.table');
  const cache = join(dir, 'target', 'partial_parse.bin');
  const readTable = (log: string[]) => log.some((l) => l.startsWith('partial parse: read partial_parse.table'));
  const changes: Array<[string, (text: string) => string, RegExp]> = [
    ['cut short', (t) => t.slice(0, -10), /partial_parse\.table is not of partial_parse\.bin/],
    [
      'of another kiln version',
      (t) => t.replace(/"kilnVersion":"[^"]*"/, '"kilnVersion":"0.0.1"'),
      /changed: parsing everything/,
    ],
    // The edited model's parse one byte off in the cache: not its line there, so none; the model is parsed again.
    [
      'a reference moved',
      (t) =>
        t.replace(/(\ns\t"model\.shop\.plain"\t[^\t]*\t)(\d+) (\d+)/, (_, head: string, a: string, b: string) => {
          const [start, end] = [Number(a) + 1, Number(b) + 1];
          return `${head}${start} ${end}`;
        }),
      /compile replay: .*plain\.sql parses otherwise than before/,
    ],
  ];
  for (const [what, change, said] of changes) {
    writeFileSync(table, change(readFileSync(table, 'utf8')));
    edit('models/plain.sql', (t) => t + `-- ${what}\n`);
    const log = await warmEqualsCold(`the table ${what}`);
    assert.ok(
      log.some((l) => said.test(l)),
      `${what}: ${log.join('\n')}`,
    );
  }
  // The cache appended to by another writer: the table names another file, and the cache is read whole.
  await compileWith('target', true);
  writeFileSync(cache, `${readFileSync(cache, 'utf8')}end\n`);
  edit('models/plain.sql', (t) => t + '-- the cache appended to\n');
  const log = await warmEqualsCold('the cache appended to');
  assert.ok(replayed(log) && !readTable(log), log.join('\n'));
  // The replay made the table again, from the cache it read whole.
  edit('models/plain.sql', (t) => t + '-- once more\n');
  const again = await warmEqualsCold('the table made again');
  assert.ok(replayed(again) && readTable(again), again.join('\n'));
});

test('no manifest.json entry is copied while a secret is set: the copy was scrubbed for other secrets', async () => {
  await compileWith('target', true);
  process.env.DBT_ENV_SECRET_PP_TOKEN = 'Money per order';
  try {
    const log = await warmEqualsCold('a secret set');
    assert.equal(copiedLine(log), null, log.join('\n'));
    assert.ok(!readFileSync(join(dir, 'target', 'manifest.json'), 'utf8').includes('Money per order'));
  } finally {
    delete process.env.DBT_ENV_SECRET_PP_TOKEN;
  }
});

test('random edits, warm against cold after each', async () => {
  const next = random(17);
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
  let n = 0;
  const models = () => readdirSync(join(dir, 'models')).filter((f) => f.endsWith('.sql'));
  const edits: Array<[string, () => void]> = [
    ['append to a model', () => edit(`models/${pick(models())}`, (t) => t + `-- edit ${++n}\n`)],
    [
      'materialization in a config() block',
      () =>
        edit('models/orders_money.sql', (t) =>
          t.replace(/materialized='(\w+)'/, (_m, m: string) => `materialized='${m === 'table' ? 'view' : 'table'}'`),
        ),
    ],
    [
      'macro body',
      () =>
        edit(
          'macros/money.sql',
          () => `{% macro money(col) %}round({{ col }}, ${1 + Math.floor(next() * 4)}){% endmacro %}\n`,
        ),
    ],
    [
      'YAML description',
      () =>
        edit('models/schema.yml', (t) =>
          t.replace(/description: Money per order[^\n]*/, `description: Money per order ${++n}`),
        ),
    ],
    [
      'add a model',
      () => write(`models/added_${++n}.sql`, `select * from {{ ref('${pick(models()).replace('.sql', '')}') }}\n`),
    ],
    [
      'delete an added model',
      () => {
        const added = models().filter((f) => f.startsWith('added_'));
        // Nothing reads an added model unless another added one does: delete the newest.
        if (added.length)
          rmSync(join(dir, 'models', added.sort((a, b) => Number(/\d+/.exec(b)![0]) - Number(/\d+/.exec(a)![0]))[0]!));
      },
    ],
    [
      'project var',
      () => edit('dbt_project.yml', (t) => t.replace(/threshold: \d+/, `threshold: ${Math.floor(next() * 100)}`)),
    ],
    ['env_var', () => (process.env.KILN_PP_REGION = pick(['eu', 'us', 'ap']))],
  ];
  try {
    for (let i = 0; i < 16; i++) {
      const [what, apply] = pick(edits);
      apply();
      await warmEqualsCold(`random edit ${i}: ${what}`);
    }
  } finally {
    delete process.env.KILN_PP_REGION;
  }
});

test('a cache restored with target/ into a fresh checkout (every file written anew, at the same path) reuses every parse and compiled node', async () => {
  const checkout = writeProject(files);
  try {
    await compileInto(checkout, 'target', true, { invocationId });
    // What a CI job sees: the project checked out again (new inodes and times, the same text) and target/ restored
    // from a cache (copied, so new inodes and times too).
    for (const [rel, text] of Object.entries(files)) {
      rmSync(join(checkout, rel));
      writeFileSync(join(checkout, rel), text);
    }
    const saved = `${checkout}-saved-target`;
    cpSync(join(checkout, 'target'), saved, { recursive: true });
    rmSync(join(checkout, 'target'), { recursive: true });
    cpSync(saved, join(checkout, 'target'), { recursive: true });
    rmSync(saved, { recursive: true });
    const log = await warmCompileEqualsCold(checkout, 'a fresh checkout with its cache restored', { invocationId });
    assert.match(
      reusedLine(log),
      /reused (\d+) of \1 SQL parses, (\d+) of \2 compiled nodes; .*reused (\d+) of \3 YAML files/,
      log.join('\n'),
    );
  } finally {
    removeDir(checkout);
  }
});

/** A fresh project and the folder a copy of it goes to (by the test), both removed afterwards. */
async function withProjectAndCopy(body: (original: string, copy: string) => Promise<void>): Promise<void> {
  const original = writeProject(files);
  const copy = `${original}-copy`;
  try {
    await body(original, copy);
  } finally {
    removeDir(original);
    removeDir(copy);
  }
}

test('a project copied to another folder with its cache (a CI cache restored elsewhere, a copy per task) rebases the cache and reuses every parse and compiled node', () =>
  withProjectAndCopy(async (original, copy) => {
    await compileInto(original, 'target', true, { invocationId });
    cpSync(original, copy, { recursive: true });
    const log = await warmCompileEqualsCold(copy, 'the copy, its cache rebased', { invocationId });
    assert.ok(
      log.includes(`partial parse: partial_parse.bin was written in ${original}: its paths rebased to ${copy}`),
      log.join('\n'),
    );
    assert.match(
      reusedLine(log),
      /reused (\d+) of \1 SQL parses, (\d+) of \2 compiled nodes; .*reused (\d+) of \3 YAML files/,
      log.join('\n'),
    );
    // The cache the copy wrote names only the copy's files, and the next compile there replays.
    for (const file of ['partial_parse.bin', 'partial_parse.table'])
      assert.ok(!readFileSync(join(copy, 'target', file), 'utf8').includes(`${original}/`), file);
    const next = await compileInto(copy, 'target', true, { invocationId });
    assert.ok(replayed(next), next.join('\n'));
    // Moved back: the original folder's files, as the cache first named them.
    rmSync(original, { recursive: true });
    cpSync(copy, original, { recursive: true });
    const back = await warmCompileEqualsCold(original, 'moved back', { invocationId });
    assert.match(reusedLine(back), /reused (\d+) of \1 SQL parses/, back.join('\n'));
  }));

test("a cache that names the project's folder in a model's text is not rebased: that text is the model's, kept as written", () =>
  withProjectAndCopy(async (original, copy) => {
    // An absolute path in the SQL, as a model reading a file of the project might have it.
    writeFileSync(join(original, 'models', 'reads_file.sql'), `select '${original}/data/rows.csv' as source_file\n`);
    await compileInto(original, 'target', true, { invocationId });
    cpSync(original, copy, { recursive: true });
    const log = await warmCompileEqualsCold(copy, 'the copy, its cache not rebased', { invocationId });
    assert.ok(
      log.some((l) => l.includes('names that folder otherwise than as a path it wrote: parsing everything')),
      log.join('\n'),
    );
    const compiled = readFileSync(join(copy, 'target', 'compiled', 'shop', 'models', 'reads_file.sql'), 'utf8');
    assert.ok(compiled.includes(`'${original}/data/rows.csv'`), compiled);
  }));

test("--partial-parse-file-path: a shared cache read instead of the target path's, which gets the invocation's own; the shared one is left as it was", () =>
  withProjectAndCopy(async (shared, task) => {
    await compileInto(shared, 'target', true, { invocationId });
    const sharedCache = join(shared, 'target', 'partial_parse.bin');
    const before = readFileSync(sharedCache);
    cpSync(shared, task, { recursive: true, filter: (src) => !src.startsWith(join(shared, 'target')) });
    const log = await warmCompileEqualsCold(task, 'a task reading the shared cache', {
      invocationId,
      partialParseFilePath: sharedCache,
    });
    assert.ok(
      log.includes(`partial parse: partial_parse.bin was written in ${shared}: its paths rebased to ${task}`),
      log.join('\n'),
    );
    assert.match(reusedLine(log), /reused (\d+) of \1 SQL parses, (\d+) of \2 compiled nodes/, log.join('\n'));
    assert.ok(existsSync(join(task, 'target', 'partial_parse.bin')), "the task's own cache is written");
    assert.deepEqual(readFileSync(sharedCache), before, 'the shared cache is not written');
    // A replay reads the target path's cache only: with the flag, the compile is a full one reading the shared cache.
    const again = await compileInto(task, 'target', true, { invocationId, partialParseFilePath: sharedCache });
    assert.ok(!replayed(again), again.join('\n'));
    assert.ok(
      again.some((l) => l.includes('(--partial-parse-file-path): compiling in full')),
      again.join('\n'),
    );
    const missing = await compileInto(task, 'target', true, {
      invocationId,
      partialParseFilePath: `${shared}/none.bin`,
    });
    assert.ok(
      missing.includes(`partial parse: ${shared}/none.bin is not there: parsing everything`),
      missing.join('\n'),
    );
    assert.match(reusedLine(missing), /reused 0 of/, missing.join('\n'));

    // The CLI: the flag, DBT_PARTIAL_PARSE_FILE_PATH (a relative path is from the working folder), and dbt's cache
    // flags, accepted.
    rmSync(join(task, 'target'), { recursive: true });
    const flag = kiln(['--debug', 'compile', '--partial-parse-file-path', sharedCache, '--no-populate-cache'], {
      cwd: task,
    });
    assert.equal(flag.code, 0, flag.stderr);
    assert.match(flag.stderr + flag.stdout, /its paths rebased to/);
    rmSync(join(task, 'target'), { recursive: true });
    const env = kiln(['--debug', 'compile', '--cache-selected-only', '--no-partial-parse-file-diff'], {
      cwd: task,
      env: { DBT_PARTIAL_PARSE_FILE_PATH: relative(task, sharedCache) },
    });
    assert.equal(env.code, 0, env.stderr);
    assert.match(env.stderr + env.stdout, /its paths rebased to/);
  }));
