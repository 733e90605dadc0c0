/**
 * A compile replay does not walk the resource folders while every folder the last walk read has the stat recorded
 * (adding, removing or renaming an entry changes its folder's stat; editing a file does not): it takes the files the
 * last walk listed. Each change to the folders must still give what a cold compile of the same tree gives, byte for
 * byte; and a folder too recent when recorded (the racy rule) or a walk that followed a symbolic link never vouches.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeDir, writeProject } from './helpers/cli.js';
import { warmCompileEqualsCold } from './helpers/target-outputs.js';

const dir = writeProject({
  'dbt_project.yml': 'name: shop\nprofile: shop\nconfig-version: 2\n',
  'profiles.yml': 'shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/dev.duckdb, schema: main}\n',
  'macros/money.sql': '{% macro money(col) %}round({{ col }}, 2){% endmacro %}\n',
  'models/a.sql': "select 1 as id, {{ money('2') }} as amount\n",
  'models/sub/b.sql': "select * from {{ ref('a') }}\n",
  'models/sub/deeper/c.sql': "select * from {{ ref('b') }}\n",
  'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    description: The a model\n',
  'analyses/report.sql': "select count(*) from {{ ref('c') }}\n",
  'tests/no_rows.sql': "select * from {{ ref('a') }} where id < 0\n",
  'seeds/s.csv': 'id\n1\n',
  'shared/linked_target.sql': 'select 7 as seven\n',
  'dbt_packages/helpers/dbt_project.yml': 'name: helpers\nversion: 1.0.0\nconfig-version: 2\n',
  'dbt_packages/helpers/models/helper_model.sql': 'select 1 as one\n',
});
after(() => removeDir(dir));

const realNow = Date.now;
/**
 * The clock an hour ahead, as if the project's files and folders had been written long before the compile: their
 * stats are trusted when recorded (a test that waited out the racy window for each change would take minutes).
 */
const clockAhead = () => (Date.now = () => realNow() + 3_600_000);
const clockReal = () => (Date.now = realNow);
after(clockReal);

/** A warm compile (replayed when it can be) and a cold one of the same tree: the same outputs. The warm one's log. */
const warmEqualsCold = (what: string) => warmCompileEqualsCold(dir, what);

const write = (rel: string, text: string) => {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
};
/** An edit in place: the file's stat changes, its folder's does not. */
const append = (rel: string, text: string) =>
  writeFileSync(join(dir, rel), readFileSync(join(dir, rel), 'utf8') + text);
const replayed = (log: string[]) => log.some((l) => l.startsWith('compile replay: re-rendered'));
const unwalked = (log: string[]) => log.some((l) => /every folder as the last walk read it: not walked/.test(l));

/** An edit in place of one model: replayed without a walk, as a cold compile gives it. */
async function editReplaysUnwalked(what: string, rel = 'models/a.sql'): Promise<void> {
  append(rel, `-- ${what}\n`);
  const log = await warmEqualsCold(`${what}: ${rel} edited`);
  assert.ok(replayed(log) && unwalked(log), `${what}: ${log.join('\n')}`);
}

test('models, analyses, singular tests and a package model edited in place replay without a walk', async () => {
  clockAhead();
  try {
    await warmEqualsCold('first compile');
    await editReplaysUnwalked('a model');
    await editReplaysUnwalked('a nested model', 'models/sub/deeper/c.sql');
    await editReplaysUnwalked('an analysis', 'analyses/report.sql');
    await editReplaysUnwalked('a singular test', 'tests/no_rows.sql');
    await editReplaysUnwalked("a package's model", 'dbt_packages/helpers/models/helper_model.sql');
  } finally {
    clockReal();
  }
});

test('every change to what a folder holds gives the cold compile, and the next edit replays without a walk', async () => {
  clockAhead();
  try {
    await warmEqualsCold('first compile');
    const changes: Array<[string, () => void]> = [
      ['a model added', () => write('models/sub/added.sql', "select * from {{ ref('a') }}\n")],
      ['a model renamed', () => renameSync(join(dir, 'models/sub/added.sql'), join(dir, 'models/sub/renamed.sql'))],
      ['a model removed', () => rmSync(join(dir, 'models/sub/renamed.sql'))],
      ['a folder added', () => write('models/new_folder/d.sql', 'select 4 as d\n')],
      ['a nested folder added', () => write('models/sub/deeper/deepest/e.sql', "select * from {{ ref('c') }}\n")],
      ['a model in a nested folder added', () => write('models/sub/deeper/deepest/f.sql', 'select 6 as f\n')],
      ['a nested folder removed', () => rmSync(join(dir, 'models/sub/deeper/deepest'), { recursive: true })],
      ['a folder removed', () => rmSync(join(dir, 'models/new_folder'), { recursive: true })],
      ['an analysis added', () => write('analyses/more.sql', "select * from {{ ref('a') }}\n")],
      ['a singular test added', () => write('tests/more.sql', "select * from {{ ref('b') }} where 1 = 0\n")],
      ['a properties file added', () => write('models/sub/more.yml', 'version: 2\nmodels:\n  - name: b\n')],
      ['a seed added', () => write('seeds/t.csv', 'id\n2\n')],
      ["a package's model added", () => write('dbt_packages/helpers/models/h2.sql', 'select 2 as two\n')],
      ['a file of no kind read added', () => write('models/sub/deeper/notes.txt', 'not SQL\n')],
      [
        'that file made a folder of the same name, holding a model',
        () => {
          rmSync(join(dir, 'models/sub/deeper/notes.txt'));
          write('models/sub/deeper/notes.txt/inner.sql', 'select 10 as ten\n');
        },
      ],
      [
        'the folder made a file again',
        () => {
          rmSync(join(dir, 'models/sub/deeper/notes.txt'), { recursive: true });
          write('models/sub/deeper/notes.txt', 'not SQL\n');
        },
      ],
      ['a dot file added', () => write('models/.hidden.sql', 'select 8 as eight\n')],
      ['a model added in a dot folder', () => write('models/.hidden_folder/g.sql', 'select 9 as nine\n')],
    ];
    for (const [what, change] of changes) {
      change();
      // A model edited too: the compile after the change would replay if it took the last listing.
      append('models/a.sql', `-- ${what}\n`);
      const log = await warmEqualsCold(what);
      assert.ok(!unwalked(log), `${what}: ${log.join('\n')}`);
      await editReplaysUnwalked(`after ${what}`);
    }
  } finally {
    clockReal();
  }
});

test('a walk that followed a symbolic link is never skipped: its target may change with no folder changing', async () => {
  clockAhead();
  const link = join(dir, 'models', 'linked.sql');
  try {
    symlinkSync(join(dir, 'shared', 'linked_target.sql'), link);
    await warmEqualsCold('a linked model added');
    append('models/a.sql', '-- with a link\n');
    const log = await warmEqualsCold('a model edited beside a link');
    assert.ok(replayed(log) && !unwalked(log), log.join('\n'));
    // The link's target gone: the walk lists the link no more, and no folder's stat says so.
    renameSync(join(dir, 'shared', 'linked_target.sql'), join(dir, 'shared', 'moved.sql'));
    append('models/a.sql', '-- the link broken\n');
    assert.ok(!unwalked(await warmEqualsCold('the link broken')));
  } finally {
    clockReal();
    rmSync(link);
    if (existsSync(join(dir, 'shared', 'moved.sql')))
      renameSync(join(dir, 'shared', 'moved.sql'), join(dir, 'shared', 'linked_target.sql'));
  }
  await warmEqualsCold('the link removed');
});

test('folders changed too recently when recorded (the racy rule) do not vouch for the walk', async () => {
  // The real clock: the project's folders were written within the last seconds, and a change in the same timestamp
  // tick as the record would not show in their stats.
  write('models/sub/recent.sql', 'select 11 as eleven\n');
  await warmEqualsCold('a model added just now');
  append('models/a.sql', '-- right after\n');
  const log = await warmEqualsCold('a model edited right after');
  assert.ok(replayed(log) && !unwalked(log), log.join('\n'));
  // Nor are stamps too recent to vouch recorded (a folder written to by every compile would be recorded each time).
  const records = readFileSync(join(dir, 'target', 'partial_parse.bin'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('r\t"replay"\t'));
  assert.ok(records.length > 0);
  const last = JSON.parse(records.at(-1)!.slice('r\t"replay"\t'.length)) as { folders?: unknown };
  assert.equal(last.folders, undefined);
  rmSync(join(dir, 'models/sub/recent.sql'));
  await warmEqualsCold('removed');
});
