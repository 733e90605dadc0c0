import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run } from '../src/index.js';
import { writeProject, removeDir } from './helpers/cli.js';

/** A local webhook receiver on 127.0.0.1 that records bodies; one path never answers. */
const received: Array<{ path: string; body: Record<string, any> }> = [];
const hanging: ServerResponse[] = [];
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    if (req.url === '/hang') {
      hanging.push(res);
      return;
    }
    received.push({ path: req.url ?? '', body: JSON.parse(body) });
    res.writeHead(req.url === '/broken' ? 500 : 200).end('ok');
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => {
  for (const r of hanging) r.destroy();
  server.close();
});

function project(models: Record<string, string>) {
  return writeProject({
    'dbt_project.yml': [
      'name: notes',
      'notifications:',
      `  - {url: "${base}/always", on: always, link_template: "https://ci.example/runs/{invocation_id}"}`,
      `  - {url: "${base}/failures"}`,
      `  - {url: "${base}/hang", on: always, timeout: 0.3}`,
      `  - {url: "${base}/broken", on: always}`,
    ].join('\n'),
    ...models,
  });
}

test('webhooks get a Slack-compatible summary; failure-only targets only on failure; a hanging or broken endpoint never changes the result', async () => {
  const ok = project({ 'models/a.sql': 'select 1 as id' });
  const bad = project({ 'models/a.sql': 'select 1 as id', 'models/b.sql': 'select * from nowhere_at_all' });
  try {
    received.length = 0;
    const logs: string[] = [];
    const started = Date.now();
    const r1 = await run({ projectDir: ok, onLog: (_l, m) => logs.push(m) });
    assert.equal(r1.success, true);
    assert.ok(Date.now() - started < 8000, 'the hanging endpoint is given up after its timeout');
    assert.deepEqual(
      received.map((x) => x.path).sort(),
      ['/always', '/broken', '/broken'],
      'success: only `always` targets; the broken one is retried once',
    );
    const always = received.find((x) => x.path === '/always')!.body;
    assert.match(always.text, /kiln run on notes succeeded/);
    assert.match(always.text, new RegExp(`https://ci.example/runs/${r1.invocationId}`));
    assert.ok(logs.some((l) => /notification to 127\.0\.0\.1:\d+ not sent: no answer within 0\.3s/.test(l)));
    assert.ok(logs.some((l) => /not sent: HTTP 500/.test(l)));

    received.length = 0;
    const r2 = await run({ projectDir: bad });
    assert.equal(r2.success, false);
    const failure = received.find((x) => x.path === '/failures')!.body;
    assert.match(failure.text, /failed/);
    assert.match(failure.text, /model\.notes\.b: .*nowhere_at_all/);
    assert.deepEqual(
      failure.kiln.failed.map((f: { unique_id: string }) => f.unique_id),
      ['model.notes.b'],
    );
  } finally {
    removeDir(ok);
    removeDir(bad);
  }
});
