/**
 * The examples of docs/orchestrate.md, checked as far as this machine allows: the jobs file is
 * a valid kiln_jobs.yml equal to project-example's, the Kubernetes CronJob parses and matches
 * the nightly job, and the Airflow generator turns `kiln ls --output json` of project-example
 * into DAG files (per node and per job) that pass Python's syntax check (Airflow is not here).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jsyaml from 'js-yaml';
import { kiln, copyExample, removeDir, repoRoot, tempDir, writeProject } from './helpers/cli.js';
import { loadJobs } from '../src/orchestrate/jobs.js';

const doc = readFileSync(join(repoRoot, 'docs', 'orchestrate.md'), 'utf8');
const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

/** The fenced block right after `<!-- check: name -->`. */
function example(name: string): string {
  const m = new RegExp(`<!-- check: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(doc);
  assert.ok(m, `docs/orchestrate.md has the ${name} example`);
  return m[1]!;
}

test('the jobs example is a valid kiln_jobs.yml with the jobs project-example ships', () => {
  const dir = writeProject({ 'dbt_project.yml': 'name: x\nprofile: x\n', 'kiln_jobs.yml': example('jobs') });
  dirs.push(dir);
  const documented = loadJobs(dir);
  const shipped = loadJobs(join(repoRoot, 'project-example'));
  const shape = (c: typeof shipped) =>
    c.jobs.map((j) => ({
      name: j.name,
      command: j.commandText,
      triggers: j.triggers.map((t) => t.kind),
      overlap: j.overlap,
      retries: j.retries,
      timeout: j.timeoutSeconds,
      deadline: j.deadline?.text,
    }));
  assert.deepEqual(shape(documented), shape(shipped));
});

test('the Kubernetes CronJob parses and runs the nightly job on its schedule', () => {
  const cronJob = jsyaml.load(example('kubernetes')) as any;
  assert.equal(cronJob.apiVersion, 'batch/v1');
  assert.equal(cronJob.kind, 'CronJob');
  const nightly = loadJobs(join(repoRoot, 'project-example')).jobs.find((j) => j.name === 'nightly')!;
  const cron = nightly.triggers[0]!;
  assert.ok(cron.kind === 'cron');
  assert.equal(cronJob.spec.schedule, cron.expression);
  assert.equal(cronJob.spec.timeZone, cron.timezone);
  assert.equal(cronJob.spec.concurrencyPolicy, 'Forbid', 'overlap: skip');
  assert.equal(cronJob.spec.jobTemplate.spec.backoffLimit, nightly.retries);
  assert.equal(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds, nightly.timeoutSeconds);
  const container = cronJob.spec.jobTemplate.spec.template.spec.containers[0];
  assert.deepEqual(container.args.slice(0, 1), [nightly.commandText]);
});

test('the Airflow generator writes DAGs that pass the Python syntax check', () => {
  const dir = copyExample();
  dirs.push(dir);
  const work = tempDir();
  dirs.push(work);
  const ls = kiln([
    'ls',
    '--project-dir',
    dir,
    '--resource-type',
    'model',
    'seed',
    'snapshot',
    '--output',
    'json',
    '--output-keys',
    'unique_id',
    'name',
    'resource_type',
    'depends_on',
  ]);
  assert.equal(ls.code, 0, ls.stderr);
  const nodesFile = join(work, 'nodes.jsonl');
  writeFileSync(nodesFile, ls.stdout);
  const script = join(work, 'kiln_airflow_dag.py');
  writeFileSync(script, example('airflow-generator'));
  const jobsJson = join(work, 'jobs.json');
  writeFileSync(jobsJson, JSON.stringify(jsyaml.load(readFileSync(join(dir, 'kiln_jobs.yml'), 'utf8'))));

  for (const extra of [[], ['--per-job', jobsJson]]) {
    const gen = spawnSync(
      'python3',
      [
        script,
        nodesFile,
        '--dag-id',
        'pottery_shop',
        '--schedule',
        '0 6 * * *',
        '--timezone',
        'Europe/Berlin',
        ...extra,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(gen.status, 0, gen.stderr);
    const dag = join(work, extra.length ? 'per_job.py' : 'per_node.py');
    writeFileSync(dag, gen.stdout);
    const check = spawnSync('python3', ['-m', 'py_compile', dag], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    if (extra.length) {
      assert.match(gen.stdout, /task_id='nightly', bash_command='kiln build --project-dir \/project', retries=1/);
      assert.match(gen.stdout, /nightly >> marts_checks/);
    } else {
      const tasks = gen.stdout.match(/BashOperator\(/g)?.length;
      assert.equal(tasks, ls.stdout.trim().split('\n').length, 'one task per node');
      assert.match(gen.stdout, /model_pottery_shop_stg_orders >> model_pottery_shop_fct_orders/);
      assert.match(gen.stdout, /bash_command='kiln build -s fct_orders --project-dir \/project'/);
    }
  }
});
