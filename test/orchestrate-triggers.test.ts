/**
 * Data and webhook triggers end to end on DuckDB: on_new_data polls a source built from a
 * seed, and a seed appended between two polls runs only what reads that source; a webhook is
 * an authenticated POST to the orchestrator's HTTP API, whose runs, nodes and event stream
 * can then be read.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { writeProject, removeDir } from './helpers/cli.js';
import { seed } from '../src/api.js';
import { ManualClock } from '../src/orchestrate/clock.js';
import { orchestrate } from '../src/orchestrate/service.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

const project = (jobs: string) => {
  const dir = writeProject({
    'dbt_project.yml': 'name: shop\nprofile: shop\nconfig-version: 2\n',
    'seeds/raw_events.csv': 'id,loaded_at\n1,2026-03-01 10:00:00\n2,2026-03-01 11:00:00\n',
    'models/sources.yml':
      'version: 2\nsources:\n  - name: events\n    schema: main\n    tables:\n      - name: raw_events\n        loaded_at_field: loaded_at\n        freshness:\n          error_after: {count: 1000, period: day}\n',
    'models/stg_events.sql': "select id, loaded_at from {{ source('events', 'raw_events') }}",
    'models/event_counts.sql': "select count(*) as n from {{ ref('stg_events') }}",
    'models/calendar.sql': "select cast('2026-01-01' as date) as day",
    'kiln_jobs.yml': jobs,
  });
  dirs.push(dir);
  return dir;
};

test('on_new_data: a seed appended between polls runs only what reads the source', async () => {
  const dir = project(
    'jobs:\n  - name: on_events\n    command: build\n    triggers:\n      - on_new_data:\n          sources: [events.raw_events]\n          poll_every: 1m\n',
  );
  assert.equal((await seed({ projectDir: dir })).success, true);
  const clock = new ManualClock(Date.parse('2026-03-02T08:00:00Z'));
  const service = await orchestrate({ projectDir: dir, port: 0, clock, token: 't' });
  try {
    await clock.advance(60_000);
    await service.orchestrator.idle();
    assert.equal((await service.history.runs()).length, 0, 'the first poll only notes where the data stands');
    const readings = await service.history.freshness(0);
    assert.equal(readings[0]?.source_id, 'events.raw_events');
    assert.equal(readings[0].readings[0]!.max_loaded_at, Date.parse('2026-03-01T11:00:00Z'));

    await clock.advance(60_000);
    await service.orchestrator.idle();
    assert.equal((await service.history.runs()).length, 0, 'nothing new, nothing runs');

    appendFileSync(join(dir, 'seeds', 'raw_events.csv'), '3,2026-03-02 07:55:00\n');
    assert.equal((await seed({ projectDir: dir })).success, true);
    await clock.advance(60_000);
    await service.orchestrator.idle();
    const runs = await service.history.runs();
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'success', runs[0]!.message ?? '');
    assert.equal(runs[0]!.trigger, 'on_new_data');
    assert.match(runs[0]!.reason, /new data in events\.raw_events/);
    const built = (await service.history.nodes(runs[0]!.run_id)).map((n) => n.unique_id).sort();
    assert.deepEqual(built, ['model.shop.event_counts', 'model.shop.stg_events'], 'calendar does not read the source');
    const stg = (await service.history.nodes(runs[0]!.run_id)).find((n) => n.unique_id === 'model.shop.stg_events');
    assert.equal(stg?.status, 'success');

    await clock.advance(60_000);
    await service.orchestrator.idle();
    assert.equal((await service.history.runs()).length, 1, 'the same data does not run the job twice');
  } finally {
    await service.stop();
  }
});

test("polling sources reads the project without writing target/: the last build's manifest stays as it was", async () => {
  const dir = project(
    'jobs:\n  - name: on_events\n    command: build\n    triggers:\n      - on_new_data:\n          sources: [events.raw_events]\n          poll_every: 1m\n',
  );
  assert.equal((await seed({ projectDir: dir })).success, true);
  const manifest = join(dir, 'target', 'manifest.json');
  const written = statSync(manifest).mtimeMs;
  const clock = new ManualClock(Date.parse('2026-03-02T08:00:00Z'));
  const service = await orchestrate({ projectDir: dir, port: 0, clock, token: 't' });
  try {
    for (let i = 0; i < 2; i++) {
      await clock.advance(60_000);
      await service.orchestrator.idle();
    }
    assert.ok((await service.history.freshness(0)).length > 0, 'the source was polled');
    assert.equal(statSync(manifest).mtimeMs, written, 'manifest.json untouched');
    assert.equal(existsSync(join(dir, 'target', 'column_lineage.json')), false, 'no lineage computed for a poll');
  } finally {
    await service.stop();
  }
});

function request(
  url: string,
  opts: { method?: string; token?: string; host?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: opts.method ?? 'GET',
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.host ? { host: opts.host } : {}),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('webhook: an authenticated POST runs the job; the API serves its run, nodes and events', async () => {
  const dir = project(
    'jobs:\n  - name: hooked\n    command: build -s calendar\n    triggers:\n      - webhook:\n          token_env: HOOK_TOKEN\n  - name: scheduled\n    command: build\n    triggers: [{cron: "0 6 * * *"}]\n',
  );
  process.env.HOOK_TOKEN = 'hook-secret';
  const service = await orchestrate({
    projectDir: dir,
    port: 0,
    token: 'service-token',
    clock: new ManualClock(Date.parse('2026-03-02T08:00:00Z')),
  });
  try {
    const hook = `${service.url}api/webhooks/hooked`;
    assert.equal((await request(hook, { method: 'POST' })).status, 401, 'no token');
    assert.equal(
      (await request(hook, { method: 'POST', token: 'service-token' })).status,
      401,
      "the job's own token, not the service's",
    );
    assert.equal(
      (await request(`${service.url}api/webhooks/scheduled`, { method: 'POST', token: 'service-token' })).status,
      404,
      'a job without a webhook trigger',
    );
    assert.equal(
      (await request(`${service.url}api/jobs/hooked/trigger`, { method: 'POST' })).status,
      401,
      'triggering needs the token even on loopback',
    );
    assert.equal(
      (await request(`${service.url}api/jobs`, { host: 'attacker.example' })).status,
      421,
      'a rebinding host name is refused',
    );

    const accepted = await request(hook, { method: 'POST', token: 'hook-secret' });
    assert.equal(accepted.status, 202);
    const runId = JSON.parse(accepted.body).run.run_id as string;
    // The event stream replays what happened and ends with the run.
    const events = await request(`${service.url}api/runs/${runId}/events`);
    assert.match(events.body, /event: run/);
    assert.match(events.body, /"status":"success"/);
    assert.match(events.body, /event: node[\s\S]*model\.shop\.calendar/);

    const read = JSON.parse((await request(`${service.url}api/runs/${runId}`)).body);
    assert.equal(read.run.trigger, 'webhook');
    assert.equal(read.run.status, 'success');
    assert.deepEqual(
      read.nodes.map((n: { unique_id: string }) => n.unique_id),
      ['model.shop.calendar'],
    );

    const jobs = JSON.parse((await request(`${service.url}api/jobs`)).body).jobs;
    assert.equal(jobs[0].lastRun.run_id, runId);
    assert.equal(jobs[1].nextRun, Date.parse('2026-03-03T06:00:00Z'));
    const manual = await request(`${service.url}api/jobs/scheduled/trigger`, {
      method: 'POST',
      token: 'service-token',
    });
    assert.equal(manual.status, 202);
  } finally {
    delete process.env.HOOK_TOKEN;
    await service.stop();
  }
});

test("alerts go to the project's notification webhooks: a stale source once, and a failure after the last retry", async () => {
  const received: Array<{ path: string; body: any }> = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url!, body: JSON.parse(body) });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as { port: number }).port;
  const dir = writeProject({
    'dbt_project.yml': `name: shop\nprofile: shop\nconfig-version: 2\nnotifications:\n  - {url: "http://127.0.0.1:${port}/alerts"}\n`,
    'seeds/raw_events.csv': 'id,loaded_at\n1,2026-03-01 10:00:00\n',
    'models/sources.yml':
      'version: 2\nsources:\n  - name: events\n    schema: main\n    tables:\n      - name: raw_events\n        loaded_at_field: loaded_at\n        freshness:\n          error_after: {count: 1, period: hour}\n',
    'models/broken.sql': 'select * from no_such_table',
    'kiln_jobs.yml':
      'jobs:\n  - name: watch\n    command: build -s broken\n    triggers:\n      - on_new_data: {sources: [events.raw_events], poll_every: 1m}\n  - name: fragile\n    command: run -s broken\n    triggers: [{webhook: true}]\n    retries: 1\n',
  });
  dirs.push(dir);
  assert.equal((await seed({ projectDir: dir })).success, true);
  const clock = new ManualClock(Date.parse('2026-03-02T08:00:00Z'));
  const service = await orchestrate({ projectDir: dir, port: 0, clock, token: 't' });
  try {
    await clock.advance(60_000);
    await clock.advance(60_000);
    await service.orchestrator.trigger('fragile', 'manual', 'test');
    await service.orchestrator.idle();
    const until = Date.now() + 10_000;
    while (received.filter((r) => r.body.kiln?.alert).length < 2 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    const alerts = received.filter((r) => r.body.kiln?.alert).map((r) => r.body.kiln);
    assert.deepEqual(
      alerts.map((a) => a.alert).sort(),
      ['failure', 'stale_source'],
      'the stale source alerts once over two polls',
    );
    assert.equal(alerts.find((a) => a.alert === 'stale_source').source, 'events.raw_events');
    assert.match(alerts.find((a) => a.alert === 'failure').message, /job fragile failed after 2 attempts/);
    // Each run also sends its own run summary, as `kiln run` does.
    assert.equal(received.filter((r) => r.body.kiln?.command === 'run').length, 2);
  } finally {
    await service.stop();
    receiver.close();
  }
});
