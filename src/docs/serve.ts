/**
 * `kiln docs serve`: a small web server for the documentation site, bound to 127.0.0.1 by
 * default. The target folder it serves from also holds the warehouse file (kiln.duckdb),
 * compiled SQL and the artifacts, and a page on any web site can reach a local port by
 * DNS rebinding (its own host name made to resolve to 127.0.0.1). So the server
 *   - serves only the files `docs generate` writes (site.ts SITE_FILES), never the rest of the
 *     folder, and only regular files that really are inside it (no symlink out);
 *   - answers only requests whose Host header names it: localhost, 127.0.0.1, [::1] or the
 *     address it listens on, with its port (a rebinding page's Host is its own name: 421);
 *   - sends a Content-Security-Policy fitted to the site (its own scripts and styles, no
 *     connections, no framing) and the usual hardening headers on every response;
 *   - accepts GET and HEAD only;
 *   - sends each file gzip-compressed when the browser accepts it, with an entity tag, so
 *     a reload of an unchanged site is answered 304 without a body.
 * It must not know how the site is built; the file list comes from site.ts.
 */
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { SITE_FILES } from './site.js';

const gzip = promisify(gzipCallback);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Request paths the site answers, each with the files to try in order. */
const SITE_PATHS: ReadonlyMap<string, readonly string[]> = new Map([
  // `docs generate --static` writes only static_index.html: `/` shows it then.
  ['/', [SITE_FILES.index, SITE_FILES.static]],
  [`/${SITE_FILES.index}`, [SITE_FILES.index]],
  [`/${SITE_FILES.static}`, [SITE_FILES.static]],
  [`/${SITE_FILES.app}`, [SITE_FILES.app]],
  [`/${SITE_FILES.css}`, [SITE_FILES.css]],
  [`/${SITE_FILES.data}`, [SITE_FILES.data]],
]);

/**
 * What the site loads: its own script, data script and stylesheet (index.html), or the same
 * inline (static_index.html); images and fonts only from itself or data:/blob: URLs (the SVG
 * and PNG lineage downloads); no fetch, no forms, no <base>, no framing by other pages.
 */
const SITE_POLICY = (inline: boolean) =>
  [
    "default-src 'none'",
    `script-src ${inline ? "'unsafe-inline'" : "'self'"}`,
    `style-src ${inline ? "'unsafe-inline'" : "'self'"}`,
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
const ERROR_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function securityHeaders(policy: string): Record<string, string> {
  return {
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-resource-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
  };
}

/**
 * The site file a request path names, as a real path inside root, or null (not a site file,
 * not there, not a regular file, or a symlink leading out of root). The query is ignored;
 * nothing else of the path is interpreted (no `..`, no directories), so it cannot name a file
 * outside the list.
 */
export async function resolveSiteFile(root: string, urlPath: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return null;
  }
  // `//index.html` (a base URL ending in / joined with a path starting with one) is index.html.
  for (const name of SITE_PATHS.get(decoded.replace(/\/{2,}/g, '/')) ?? []) {
    const candidate = path.join(root, name);
    try {
      if (!(await stat(candidate)).isFile()) continue;
      const real = await realpath(candidate);
      if (path.dirname(real) === root) return real;
    } catch {
      // not generated: try the next name
    }
  }
  return null;
}

/** An address as it appears in a Host header: IPv6 in brackets, lower case. */
function hostForm(address: string): string {
  const a = address.toLowerCase();
  return a.includes(':') && !a.startsWith('[') ? `[${a}]` : a;
}

/**
 * The Host header values the server answers, with the port (and without it on port 80):
 * the loopback names, the host it was asked to listen on and the address it got. Listening
 * on every interface (0.0.0.0, ::) adds the machine's own addresses, never a name other
 * than localhost, so a rebinding page's host name is refused either way.
 */
export function allowedHosts(requested: string, bound: string, port: number): Set<string> {
  const hosts = new Set(['localhost', '127.0.0.1', '::1', requested, bound]);
  if (['0.0.0.0', '::', ''].includes(bound)) {
    for (const list of Object.values(networkInterfaces()))
      for (const i of list ?? []) hosts.add(i.address.split('%')[0]!);
  }
  const allowed = new Set<string>();
  for (const h of hosts) {
    if (!h || h === '0.0.0.0' || h === '::') continue;
    allowed.add(`${hostForm(h)}:${port}`);
    if (port === 80) allowed.add(hostForm(h));
  }
  return allowed;
}

/**
 * Starts `server` on host:port and says what it answers: the Host header values it accepts
 * (allowedHosts) and the URL to browse to, which is this machine's loopback when it listens
 * on every interface.
 */
export async function listenOn(
  server: http.Server,
  port: number,
  host: string,
): Promise<{ port: number; hosts: Set<string>; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shown = ['0.0.0.0', '::'].includes(addr.address) ? '127.0.0.1' : hostForm(addr.address);
  return { port: addr.port, hosts: allowedHosts(host, addr.address, addr.port), url: `http://${shown}:${addr.port}/` };
}

/**
 * A file's version as a weak entity tag: its size and modification time (`docs generate` rewrites the files it
 * changes).
 */
function entityTag(st: { size: number; mtimeMs: number }): string {
  return `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs * 1000).toString(16)}"`;
}

function matchesTag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find((v) => v !== undefined);
    return coding === 'gzip' && (q === undefined || Number(q) > 0);
  });
}

/**
 * Each site file compressed once per version: the data file of a 10,000-model project is
 * tens of megabytes and shrinks about tenfold, and it is asked for on every page load.
 */
const compressed = new Map<string, { etag: string; body: Promise<Buffer> }>();
function gzipped(file: string, etag: string): Promise<Buffer> {
  const known = compressed.get(file);
  if (known?.etag === etag) return known.body;
  const body = readFile(file).then((raw) => gzip(raw, { level: 6 }));
  compressed.set(file, { etag, body });
  body.catch(() => compressed.get(file)?.body === body && compressed.delete(file));
  return body;
}

export async function serveDocs(opts: {
  dir: string;
  host?: string;
  port?: number;
  open?: boolean;
}): Promise<{ url: string; close(): Promise<void> }> {
  const root = await realpath(path.resolve(opts.dir));
  const host = opts.host ?? '127.0.0.1';
  let hosts = new Set<string>();
  const server = http.createServer((req, res) => {
    const send = (code: number, text: string, extra: Record<string, string> = {}) => {
      res.writeHead(code, {
        ...securityHeaders(ERROR_POLICY),
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
        ...extra,
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (!hosts.has((req.headers.host ?? '').toLowerCase())) {
      send(
        421,
        'misdirected request: this server answers only requests addressed to localhost or the address it listens on\n',
      );
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'method not allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    const url = req.url ?? '/';
    if (!url.startsWith('/')) {
      send(400, 'bad request\n');
      return;
    }
    resolveSiteFile(root, url)
      .then(async (file) => {
        if (!file) {
          send(404, 'not found\n');
          return;
        }
        const st = await stat(file);
        const etag = entityTag(st);
        const headers = {
          ...securityHeaders(SITE_POLICY(path.basename(file) === SITE_FILES.static)),
          'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
          'cache-control': 'no-cache',
          etag,
          vary: 'Accept-Encoding',
        };
        if (matchesTag(req.headers['if-none-match'], etag)) {
          res.writeHead(304, headers);
          res.end();
          return;
        }
        if (acceptsGzip(req.headers['accept-encoding'])) {
          const body = await gzipped(file, etag);
          res.writeHead(200, { ...headers, 'content-encoding': 'gzip', 'content-length': body.length });
          res.end(req.method === 'HEAD' ? undefined : body);
          return;
        }
        res.writeHead(200, { ...headers, 'content-length': st.size });
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        createReadStream(file)
          .on('error', () => res.destroy())
          .pipe(res);
      })
      .catch(() => send(500, 'internal error\n'));
  });
  const listening = await listenOn(server, opts.port ?? 8080, host);
  hosts = listening.hosts;
  return {
    url: listening.url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
