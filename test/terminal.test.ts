import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, kilnBin, writeProject, minimalProject, removeDir } from './helpers/cli.js';

const project = () =>
  writeProject(
    minimalProject(
      Object.fromEntries(
        Array.from({ length: 6 }, (_, i) => [
          `models/m_${i}.sql`,
          `{{ config(materialized='table') }}select sum(i) as s from range(3000000) t(i)`,
        ]),
      ),
    ),
  );

test('on a terminal: a live progress line and colour; NO_COLOR turns colour off', () => {
  const dir = project();
  try {
    // `script` gives the CLI a real pseudo-terminal.
    const shell = `TERM=xterm ${process.execPath} ${kilnBin} run --project-dir ${dir} --threads 2`;
    const tty = spawnSync('script', ['-qec', shell, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '' },
    });
    assert.equal(tty.status, 0, tty.stdout);
    assert.match(tty.stdout, /\[\d\/6\] \d+\.\d+s · running: m_\d/);
    assert.match(tty.stdout, /\u001b\[32mOK/, 'status in colour');
    assert.match(tty.stdout, /\r\u001b\[2K/, 'the status line is redrawn in place');
    const plain = spawnSync('script', ['-qec', `NO_COLOR=1 ${shell}`, '/dev/null'], { encoding: 'utf8' });
    assert.doesNotMatch(plain.stdout, /\u001b\[3\dm/);
    const piped = kiln(['run', '--project-dir', dir]);
    assert.doesNotMatch(piped.stdout, /running:|\u001b/, 'plain lines when not a terminal');
  } finally {
    removeDir(dir);
  }
});

test('each invocation writes its own JSON-lines log file under the log path', () => {
  const dir = project();
  try {
    kiln(['run', '--project-dir', dir]);
    kiln(['run', '--project-dir', dir, '-s', 'm_1']);
    const files = readdirSync(join(dir, 'logs')).filter((f) => f.endsWith('.log'));
    assert.equal(files.length, 2);
    const lines = files.flatMap((f) =>
      readFileSync(join(dir, 'logs', f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    );
    const finished = lines.filter((l) => l.event === 'node_finished');
    assert.equal(finished.length, 7);
    for (const l of finished) {
      assert.ok(l.invocation_id && l.node_id && l.thread && l.status && typeof l.execution_time === 'number');
    }
    assert.equal(lines.filter((l) => l.event === 'invocation_finished').length, 2);
  } finally {
    removeDir(dir);
  }
});
