/**
 * Tests that load a cloud SDK run inside a network namespace that has only loopback, so that
 * nothing they do (or a probe an SDK makes behind our back) can leave the machine.
 *
 * A test file calls `isolatedSuite(import.meta.url, define)`. Outside the namespace that is
 * one test which runs the file again under `unshare -n` (with `lo` brought up) and passes
 * only if every test in there passed; inside, `define()` declares the real tests. Where
 * `unshare -n` is not permitted the test fails, saying so: it never skips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';

const MARK = 'KILN_TEST_LOOPBACK_NAMESPACE';

/** True when every network interface this process can see is loopback. */
export function onlyLoopback(): boolean {
  const all = Object.entries(networkInterfaces());
  return all.length > 0 && all.every(([, addrs]) => (addrs ?? []).every((a) => a.internal));
}

export function isolatedSuite(fileUrl: string, define: () => void): void {
  if (process.env[MARK] === '1') {
    if (!onlyLoopback()) {
      test('the network namespace has only loopback', () => {
        assert.fail(`interfaces other than loopback are visible: ${Object.keys(networkInterfaces()).join(', ')}`);
      });
      return;
    }
    define();
    return;
  }
  const file = fileURLToPath(fileUrl);
  test(`${file.split('/').pop()} inside a loopback-only network namespace (unshare -n)`, (t) => {
    const r = spawnSync(
      'unshare',
      ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" --test --test-reporter=tap "$1"', process.execPath, file],
      // NODE_TEST_CONTEXT would make the inner runner talk to ours in its binary protocol.
      {
        env: { ...process.env, [MARK]: '1', NODE_TEST_CONTEXT: undefined },
        encoding: 'utf8',
        timeout: 540_000,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    if (r.error || (r.status !== 0 && !/^# tests \d+/m.test(r.stdout ?? ''))) {
      assert.fail(
        `could not run ${file} inside a network namespace: ${r.error?.message ?? r.stderr.trim()}\n` +
          'these tests need `unshare -n` (root, or unprivileged user namespaces) and `ip` from iproute2; they are never skipped',
      );
    }
    const out = r.stdout;
    const count = (what: string) => Number(new RegExp(`^# ${what} (\\d+)`, 'm').exec(out)?.[1] ?? NaN);
    for (const line of out.split('\n')) {
      if (/^\s*(?:not )?ok \d+ - /.test(line)) t.diagnostic(line.trim());
    }
    assert.equal(r.status, 0, `failing tests in the namespace:\n${out}\n${r.stderr}`);
    assert.equal(count('fail'), 0, out);
    assert.ok(count('pass') > 0, `no test ran in the namespace:\n${out}`);
  });
}
