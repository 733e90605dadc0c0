/**
 * `kiln docs serve` serves the site and nothing else of target/, only to requests addressed
 * to it (DNS rebinding), with a policy the site runs under. The real server on 127.0.0.1 and
 * a free port, raw HTTP requests with forged Host headers; the site itself in headless
 * Chromium (a missing Chromium fails the last test).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDocsSite } from '../src/docs/site.js';
import { allowedHosts, serveDocs } from '../src/docs/serve.js';
import { launchChromium } from './fixtures/docs/browser.js';

// Functions passed to page.evaluate run in the page; the root build has no DOM types.

declare const window: any;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/docs/shop', name), 'utf8'));
const WAREHOUSE = 'DUCK-FILE-ROWS: customer emails and card numbers';

let work = '';
let target = '';
let server: { url: string; close(): Promise<void> };
let port = 0;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request exactly as written: the path is not normalised and the Host is whatever we say. */
function request(rawPath: string, opts: { host?: string | null; method?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const host = opts.host === undefined ? `127.0.0.1:${port}` : opts.host;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: rawPath,
        method: opts.method ?? 'GET',
        setHost: false,
        headers: host === null ? {} : { host },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'kiln-serve-security-'));
  target = path.join(work, 'target');
  await writeDocsSite(
    target,
    { manifest: fixture('manifest.json'), catalog: fixture('catalog.json'), runResults: fixture('run_results.json') },
    {},
  );
  await writeDocsSite(
    target,
    { manifest: fixture('manifest.json'), catalog: fixture('catalog.json') },
    { static: true },
  );
  // What else lives in target/ and next to it: none of it is the site.
  await writeFile(path.join(target, 'kiln.duckdb'), WAREHOUSE);
  for (const f of ['manifest.json', 'catalog.json', 'run_results.json', 'sources.json'])
    await writeFile(path.join(target, f), `{"artifact":"${f}"}`);
  await mkdir(path.join(target, 'compiled', 'shop', 'models'), { recursive: true });
  await writeFile(
    path.join(target, 'compiled', 'shop', 'models', 'orders.sql'),
    'select secret_column from raw.orders',
  );
  await writeFile(path.join(work, 'profiles.yml'), 'password: hunter2');
  server = await serveDocs({ dir: target, port: 0 });
  port = Number(new URL(server.url).port);
});

after(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('the server listens on 127.0.0.1 on the port it was given (0: a free one)', () => {
  const u = new URL(server.url);
  assert.equal(u.hostname, '127.0.0.1');
  assert.ok(port > 0);
});

test('a request whose Host is not this server (DNS rebinding) is refused, whatever it asks for', async () => {
  const forged = [
    `evil.example:${port}`,
    'evil.example',
    `localhost.evil.example:${port}`,
    `127.0.0.1.nip.io:${port}`,
    `127.0.0.1:${port + 1}`,
    `127.0.0.1`,
    `localhost:${port}.evil.example`,
    `evil.example:${port}@127.0.0.1:${port}`,
    '',
  ];
  for (const host of forged) {
    for (const p of ['/', '/index.html', '/kiln-data.js', '/kiln.duckdb']) {
      const r = await request(p, { host });
      assert.ok(r.status === 421 || r.status === 403, `${host} ${p}: ${r.status}`);
      assert.doesNotMatch(r.body, /DUCK-FILE-ROWS|__KILN_DATA__|<html/i, `${host} ${p}`);
    }
  }
  const noHost = await request('/', { host: null });
  assert.ok(noHost.status === 421 || noHost.status === 403 || noHost.status === 400, `no Host: ${noHost.status}`);
});

test('requests addressed to the server by a loopback name or its address are answered', async () => {
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `[::1]:${port}`]) {
    const r = await request('/', { host });
    assert.equal(r.status, 200, host);
    assert.match(r.body, /<html/);
  }
  const wildcard = allowedHosts('0.0.0.0', '0.0.0.0', 8080);
  assert.ok(wildcard.has('127.0.0.1:8080') && wildcard.has('localhost:8080'));
  assert.ok(!wildcard.has('0.0.0.0:8080') && !wildcard.has('evil.example:8080'));
  assert.ok(allowedHosts('127.0.0.1', '127.0.0.1', 80).has('localhost'), 'port 80 may be left out of Host');
});

test('only the files docs generate writes are served', async () => {
  const site: Array<[string, RegExp]> = [
    ['/', /text\/html/],
    ['/index.html', /text\/html/],
    ['/index.html?from=bookmark', /text\/html/],
    ['/static_index.html', /text\/html/],
    ['/kiln-docs.js', /text\/javascript/],
    ['/kiln-docs.css', /text\/css/],
    ['/kiln-data.js', /text\/javascript/],
    ['/%6biln-data.js', /text\/javascript/],
    ['//index.html', /text\/html/],
  ];
  for (const [p, type] of site) {
    const r = await request(p);
    assert.equal(r.status, 200, p);
    assert.match(String(r.headers['content-type']), type, p);
  }
  const refused = [
    '/kiln.duckdb',
    '/%6biln.duckdb',
    '/manifest.json',
    '/catalog.json',
    '/run_results.json',
    '/sources.json',
    '/compiled/shop/models/orders.sql',
    '/compiled%2fshop%2fmodels%2forders.sql',
    '/compiled/',
    '/./kiln.duckdb',
    '//kiln.duckdb',
    '//compiled//shop/models/orders.sql',
    '/index.html/../kiln.duckdb',
    '/kiln-docs.js/..%2fkiln.duckdb',
    '/..%2fprofiles.yml',
    '/%2e%2e/profiles.yml',
    '/%2e%2e%2fprofiles.yml',
    '/%252e%252e%252fprofiles.yml',
    '/..\\profiles.yml',
    '/%5c..%5cprofiles.yml',
    '/index.html%00.duckdb',
    '/%',
  ];
  for (const p of refused) {
    const r = await request(p);
    assert.equal(r.status, 404, p);
    assert.doesNotMatch(r.body, /DUCK-FILE-ROWS|secret_column|hunter2|artifact/, p);
  }
  assert.equal((await request('http://127.0.0.1/kiln.duckdb')).status, 400, 'absolute-form request target');
  const post = await request('/index.html', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  const head = await request('/kiln-data.js', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('a site file that is a symlink leading out of the folder is refused', async () => {
  const dir = path.join(work, 'linked');
  await mkdir(dir);
  await writeFile(path.join(dir, 'index.html'), '<p>site</p>');
  await symlink(path.join(target, 'kiln.duckdb'), path.join(dir, 'kiln-data.js'));
  const other = await serveDocs({ dir, port: 0 });
  const saved = port;
  try {
    port = Number(new URL(other.url).port);
    assert.equal((await request('/')).status, 200);
    const r = await request('/kiln-data.js');
    assert.equal(r.status, 404);
    assert.doesNotMatch(r.body, /DUCK-FILE-ROWS/);
  } finally {
    port = saved;
    await other.close();
  }
});

test('every response carries the security headers; pages carry a policy fitted to the site', async () => {
  const cases: Array<[string, { host?: string; method?: string }, number]> = [
    ['/', {}, 200],
    ['/kiln-docs.js', {}, 200],
    ['/static_index.html', {}, 200],
    ['/kiln.duckdb', {}, 404],
    ['/', { method: 'DELETE' }, 405],
    ['/', { host: `evil.example:${port}` }, 421],
  ];
  for (const [p, opts, status] of cases) {
    const r = await request(p, opts);
    const what = `${opts.method ?? 'GET'} ${p} ${opts.host ?? ''}`;
    assert.ok(r.status === status || (status === 421 && r.status === 403), what);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
    assert.equal(r.headers['referrer-policy'], 'no-referrer', what);
    assert.equal(r.headers['x-frame-options'], 'DENY', what);
    assert.equal(r.headers['cross-origin-resource-policy'], 'same-origin', what);
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, /frame-ancestors 'none'/, what);
    assert.match(csp, /default-src 'none'/, what);
    assert.match(csp, /base-uri 'none'/, what);
    if (r.status !== 200) assert.doesNotMatch(csp, /script-src/, `${what}: an error page runs nothing`);
  }
  const index = String((await request('/')).headers['content-security-policy']);
  assert.match(index, /script-src 'self'(;|$)/);
  assert.match(index, /style-src 'self'(;|$)/);
  assert.match(index, /connect-src 'none'/);
  assert.doesNotMatch(index, /unsafe-inline|unsafe-eval|\*/);
  const single = String((await request('/static_index.html')).headers['content-security-policy']);
  assert.match(single, /script-src 'unsafe-inline'/, 'static_index.html inlines its script');
  assert.doesNotMatch(single, /unsafe-eval|\*/);
});

test('the served site (index.html and static_index.html) runs under that policy in Chromium', async () => {
  const browser = await launchChromium();
  const problems: string[] = [];
  try {
    for (const page of ['', 'static_index.html']) {
      const tab = await browser.context.newPage();
      tab.on('pageerror', (e) => problems.push(`${page}: ${e.message}`));
      tab.on('console', (m) => {
        if (m.type() === 'error' || /Content Security Policy/i.test(m.text()))
          problems.push(`${page}: console: ${m.text()}`);
      });
      await tab.addInitScript(() => {
        window.__violations = [];
        window.addEventListener('securitypolicyviolation', (e: any) =>
          window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
        );
      });
      await tab.goto(`${server.url}${page}#!/model/model.shop.orders`);
      await tab.waitForFunction(() => window.__kiln?.ready === true, undefined, { timeout: 10000 });
      await tab.locator('main .page-head h1, main article > h1').first().waitFor();
      await tab.goto(`${server.url}${page}#!/lineage`);
      await tab.waitForTimeout(300);
      problems.push(
        ...((await tab.evaluate(() => window.__violations)) as string[]).map((v) => `${page}: violation: ${v}`),
      );
      await tab.close();
    }
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(browser.offHost, []);
});
