/**
 * A small static file server for the generated documentation site.
 * Binds to 127.0.0.1 by default, serves only regular files inside `dir`
 * (path traversal and symlinks leading outside are refused), GET and HEAD only.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Resolve a request path to a file inside root, or null when it must be refused. */
export async function resolveInside(root: string, urlPath: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const rel = path.posix.normalize('/' + decoded).replace(/^\/+/, '');
  if (rel.split('/').includes('..')) return null;
  let candidate = path.join(root, rel);
  try {
    let st = await stat(candidate);
    if (st.isDirectory()) {
      candidate = path.join(candidate, 'index.html');
      st = await stat(candidate);
    }
    if (!st.isFile()) return null;
    const real = await realpath(candidate);
    if (real !== root && !real.startsWith(root + path.sep)) return null;
    return real;
  } catch {
    return null;
  }
}

export async function serveDocs(opts: { dir: string; host?: string; port?: number; open?: boolean }): Promise<{ url: string; close(): Promise<void> }> {
  const root = await realpath(path.resolve(opts.dir));
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    const send = (code: number, text: string) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(405, 'method not allowed\n');
      return;
    }
    const url = req.url ?? '/';
    if (!url.startsWith('/')) { send(400, 'bad request\n'); return; }
    resolveInside(root, url).then(async (file) => {
      if (!file) { send(404, 'not found\n'); return; }
      const st = await stat(file);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': st.size,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      if (req.method === 'HEAD') { res.end(); return; }
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
    }).catch(() => send(500, 'internal error\n'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}/`,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections?.();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}
