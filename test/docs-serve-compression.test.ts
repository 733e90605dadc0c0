/**
 * `kiln docs serve` sends the site gzip-compressed to a browser that accepts it, with an
 * entity tag: an unchanged file is answered 304 without a body, a regenerated one anew.
 * The real server on 127.0.0.1 and a free port, raw HTTP requests.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { serveDocs } from '../src/docs/serve.js';
import { SITE_FILES } from '../src/docs/site.js';
import { removeDir, tempDir } from './helpers/cli.js';

const dir = tempDir('kiln-serve-');
after(() => removeDir(dir));
const data = `window.KILN_DATA = ${JSON.stringify({ nodes: Array.from({ length: 2000 }, (_, i) => ({ id: `model.shop.m_${i}`, description: 'A model of the shop.' })) })};\n`;
writeFileSync(join(dir, SITE_FILES.index), '<!doctype html><title>docs</title>');
writeFileSync(join(dir, SITE_FILES.data), data);

function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('gzip when accepted, the plain file otherwise, and 304 for an unchanged file', async () => {
  const server = await serveDocs({ dir, port: 0, open: false });
  try {
    const url = server.url + SITE_FILES.data;
    const zipped = await get(url, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'Accept-Encoding');
    assert.equal(Number(zipped.headers['content-length']), zipped.body.length);
    assert.ok(
      zipped.body.length * 5 < Buffer.byteLength(data),
      `compressed to ${zipped.body.length} of ${Buffer.byteLength(data)} bytes`,
    );
    assert.equal(gunzipSync(zipped.body).toString('utf8'), data);
    const etag = zipped.headers.etag!;
    assert.match(etag, /^W\/".+"$/);

    const plain = await get(url, { 'accept-encoding': 'identity, gzip;q=0' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString('utf8'), data);
    assert.equal(plain.headers.etag, etag);

    const head = await get(url, { 'accept-encoding': 'gzip' }, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(Number(head.headers['content-length']), zipped.body.length);

    const again = await get(url, { 'accept-encoding': 'gzip', 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.ok(again.headers['content-security-policy'], 'a 304 keeps the hardening headers');

    // docs generate writes the file again: a new tag, the new content.
    const changed = data.replace('A model', 'The model');
    writeFileSync(join(dir, SITE_FILES.data), changed);
    const fresh = await get(url, { 'accept-encoding': 'gzip', 'if-none-match': etag });
    assert.equal(fresh.status, 200);
    assert.notEqual(fresh.headers.etag, etag);
    assert.equal(gunzipSync(fresh.body).toString('utf8'), changed);
  } finally {
    await server.close();
  }
});
