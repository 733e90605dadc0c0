/** `kiln init`: a small project that builds as it is on the embedded DuckDB. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KilnError } from '../errors.js';

export function scaffoldProject(name: string, parentDir = '.'): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new KilnError('config', `'${name}' is not a valid project name`, {
      hint: 'use letters, digits and underscores, starting with a letter',
    });
  }
  const dir = resolve(parentDir, name);
  if (existsSync(dir))
    throw new KilnError('config', `${dir} already exists`, { hint: 'choose another name or remove the folder' });
  // Multi-line files as one line each, so the code reads like the file it writes.
  const lines = (...text: string[]) => text.map((line) => `${line}\n`).join('');
  const files: Record<string, string> = {
    'dbt_project.yml': lines(
      `name: ${name}`,
      `profile: ${name}`,
      'config-version: 2',
      '',
      'model-paths: [models]',
      'seed-paths: [seeds]',
      'test-paths: [tests]',
      'macro-paths: [macros]',
      'target-path: target',
      'clean-targets: [target]',
      '',
      'models:',
      `  ${name}:`,
      '    staging:',
      '      +materialized: view',
      '    marts:',
      '      +materialized: table',
    ),
    'seeds/raw_people.csv': 'id,name,joined_on\n1,Ada,2024-01-05\n2,Grace,2024-02-11\n3,Edsger,2024-03-02\n',
    'models/staging/stg_people.sql':
      "select id, name, cast(joined_on as date) as joined_on\nfrom {{ ref('raw_people') }}\n",
    'models/staging/_staging.yml': lines(
      'version: 2',
      'models:',
      '  - name: stg_people',
      '    description: One row per person.',
      '    columns:',
      '      - name: id',
      '        data_tests: [unique, not_null]',
    ),
    'models/marts/people_by_month.sql':
      "select date_trunc('month', joined_on) as month, count(*) as people\nfrom {{ ref('stg_people') }}\ngroup by 1\n",
    'macros/.gitkeep': '',
    'tests/.gitkeep': '',
    '.gitignore': 'target/\nlogs/\n',
    'README.md': lines(
      `# ${name}`,
      '',
      'A kiln project. Run `kiln build` here: it loads seeds/, builds models/ and runs their tests',
      'on an embedded DuckDB under target/.',
      'Add a profiles.yml to use another warehouse.',
    ),
  };
  for (const [rel, text] of Object.entries(files)) {
    const file = join(dir, rel);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}
