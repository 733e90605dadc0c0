/**
 * kiln_jobs.yml: project-example ships one job per trigger kind; mistakes are bad input that
 * name the file and line, say what is wrong and how to fix it, and exit 2.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { kiln, removeDir, repoRoot } from './helpers/cli.js';
import { jobsProject } from './helpers/jobs.js';
import { loadJobs } from '../src/orchestrate/jobs.js';
import { KilnError } from '../src/errors.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

const withJobs = (jobs: string) => {
  const dir = jobsProject(jobs);
  dirs.push(dir);
  return dir;
};

function problem(jobs: string): KilnError {
  try {
    loadJobs(withJobs(jobs));
  } catch (e) {
    assert.ok(e instanceof KilnError);
    return e;
  }
  throw new Error('expected an error');
}

test('project-example ships one job per trigger kind', () => {
  const config = loadJobs(join(repoRoot, 'project-example'));
  const kinds = config.jobs.flatMap((j) => j.triggers.map((t) => t.kind)).sort();
  assert.deepEqual(kinds, ['after', 'cron', 'on_new_data', 'webhook']);
  const nightly = config.jobs.find((j) => j.name === 'nightly')!;
  assert.equal(nightly.deadline?.text, '07:30');
  assert.equal(nightly.timeoutSeconds, 3600);
  assert.equal(nightly.timezone, 'Europe/Berlin', 'the deadline is read in the cron trigger time zone');
  assert.deepEqual(config.jobs.find((j) => j.name === 'marts_checks')!.command, {
    command: 'test',
    options: { select: ['tag:marts'] },
  });
});

test('each mistake points at its line with a hint', () => {
  const head = 'jobs:\n  - name: a\n    command: build\n';
  const cases: Array<[string, number, RegExp]> = [
    [head + '    triggers:\n      - cron: "61 * * * *"\n', 5, /invalid cron expression '61 \* \* \* \*'/],
    [
      head + '    triggers:\n      - cron: "0 6 * * *"\n        timezone: Mars/Olympus\n',
      6,
      /unknown time zone 'Mars\/Olympus'/,
    ],
    [head + '    triggers:\n      - after: [b]\n', 5, /runs after 'b', which is not a job in this file/],
    [
      head + '    triggers:\n      - webhook: true\n    overlap: sometimes\n',
      6,
      /'jobs\.0\.overlap' must be one of: skip, queue/,
    ],
    [head + '    triggers:\n      - webhook: true\n    retry: 2\n', 6, /unknown key 'retry'/],
    [
      'jobs:\n  - name: a\n    command: build --frobnicate\n    triggers: [{webhook: true}]\n',
      3,
      /unknown or unsupported flag '--frobnicate'/,
    ],
    [
      'jobs:\n  - name: a\n    command: docs generate\n    triggers: [{webhook: true}]\n',
      3,
      /'docs' is not a command a job can run/,
    ],
    [
      head + '    triggers:\n      - webhook: true\n  - name: a\n    command: seed\n    triggers: [{webhook: true}]\n',
      6,
      /two jobs are named 'a'/,
    ],
    [
      head + '    triggers:\n      - cron: "0 6 * * *"\n        after: [a]\n',
      6,
      /exactly one of cron, after, on_new_data, webhook/,
    ],
    [head + '    triggers:\n      - webhook: true\n    deadline: "7 o\'clock"\n', 6, /invalid deadline/],
  ];
  for (const [text, line, message] of cases) {
    const e = problem(text);
    assert.match(e.message, message, text);
    assert.equal(e.file, 'kiln_jobs.yml');
    assert.equal(e.line, line, `${e.message} (for:\n${text})`);
    assert.ok(e.hint || /must be one of|unknown key/.test(e.message), `a hint for ${e.message}`);
  }
});

test('kiln orchestrate with a bad kiln_jobs.yml prints one clear line and exits 2', () => {
  const dir = withJobs('jobs:\n  - name: a\n    command: build\n    triggers:\n      - cron: "every day"\n');
  const r = kiln(['orchestrate', '--project-dir', dir, '--port', '0']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /kiln_jobs\.yml:5: invalid cron expression 'every day'/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('a watched source the project lacks is bad input found at start', () => {
  const dir = withJobs(
    'jobs:\n  - name: a\n    command: build\n    triggers:\n      - on_new_data: {sources: [shop.orders]}\n',
  );
  const r = kiln(['orchestrate', '--project-dir', dir, '--port', '0']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /kiln_jobs\.yml: job 'a' watches the source 'shop\.orders', which the project does not have/);
});
