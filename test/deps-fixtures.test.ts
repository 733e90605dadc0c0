/**
 * Fixtures for the deps tests: git repositories on disk, .tar.gz archives written byte by
 * byte (so that a test can put `../x` or a symlink in one), a package hub on 127.0.0.1 that
 * speaks the dbt Hub API, and the CLI run without blocking this process (the hub lives here).
 * Run directly, the file checks that its archives and hub are what kiln expects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { stringify as stringifyYaml } from 'yaml';
import { kilnBin, removeDir, tempDir, writeProject, type CliResult } from './helpers/cli.js';
import { readTar, gunzip } from '../src/deps/tarball.js';

export const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });

/** A bare repository holding a package, one commit and tag per version (each writes VERSION). */
export function bareRepo(
  files: Record<string, string>,
  versions: string[],
  sub = '',
  symlinks: Record<string, string> = {},
): string {
  const work = writeProject(Object.fromEntries(Object.entries(files).map(([k, v]) => [join(sub, k), v])));
  for (const [path, target] of Object.entries(symlinks))
    execFileSync('ln', ['-s', '--', target, join(work, sub, path)]);
  git(work, 'init', '-q', '-b', 'main');
  for (const v of versions) {
    writeFileSync(join(work, sub, 'VERSION'), v);
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', v);
    git(work, 'tag', v);
  }
  const bare = tempDir('kiln-bare-');
  git(bare, 'clone', '-q', '--bare', work, '.');
  removeDir(work);
  return bare;
}

export type TarEntry = { path: string; text: string } | { path: string; symlink: string } | { path: string; dir: true };

/** A ustar archive, gzipped; paths are written exactly as given. */
export function tarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = 'text' in e ? Buffer.from(e.text) : Buffer.alloc(0);
    const header = Buffer.alloc(512);
    const put = (s: string, at: number, len: number) => header.write(s.slice(0, len), at, len, 'utf8');
    const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0';
    put(e.path, 0, 100);
    put(octal('dir' in e ? 0o755 : 0o644, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(data.length, 12), 124, 12);
    put(octal(0, 12), 136, 12);
    put('        ', 148, 8);
    put('symlink' in e ? '2' : 'dir' in e ? '5' : '0', 156, 1);
    if ('symlink' in e) put(e.symlink, 157, 100);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    let sum = 0;
    for (const b of header) sum += b;
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** A hub package version: its files, and the dependencies the hub lists for it (also written as its packages.yml). */
export interface HubRelease {
  files: Record<string, string>;
  packages?: Array<Record<string, unknown>>;
  /** Replaces the archive built from `files`. */
  archive?: Buffer;
}

export interface TestHub {
  url: string;
  /** name → version → release; add versions while the hub runs. */
  packages: Record<string, Record<string, HubRelease>>;
  requests: string[];
  close(): Promise<void>;
}

/** A package hub on 127.0.0.1 answering as the dbt Hub API does. */
export async function startHub(packages: TestHub['packages']): Promise<TestHub> {
  const requests: string[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const json = (body: unknown) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (path === '/api/v1/index.json') return json(Object.keys(packages));
    const meta = /^\/api\/v1\/([^/]+)\/([^/]+)\.json$/.exec(path);
    if (meta && packages[`${meta[1]}/${meta[2]}`]) {
      const name = `${meta[1]}/${meta[2]}`;
      const versions = packages[name]!;
      const entries = Object.fromEntries(
        Object.entries(versions).map(([v, r]) => [
          v,
          {
            id: `${name}/${v}`,
            name: meta[2],
            version: v,
            published_at: '2024-01-01T00:00:00Z',
            packages: r.packages ?? [],
            works_with: [],
            _source: { type: 'github', url: `https://github.com/${name}/`, readme: '' },
            downloads: { tarball: `${base}/tarballs/${name}/${v}.tar.gz`, format: 'tgz', sha1: '' },
          },
        ]),
      );
      const ordered = Object.keys(versions);
      return json({
        name: meta[2],
        namespace: meta[1],
        description: '',
        latest: ordered[ordered.length - 1],
        assets: {},
        versions: entries,
      });
    }
    const tarball = /^\/tarballs\/([^/]+\/[^/]+)\/(.+)\.tar\.gz$/.exec(path);
    const release = tarball ? packages[tarball[1]!]?.[tarball[2]!] : undefined;
    if (tarball && release) {
      const top = `${tarball[1]!.replace('/', '-')}-${tarball[2]}`;
      const files = {
        ...release.files,
        ...(release.packages?.length ? { 'packages.yml': stringifyYaml({ packages: release.packages }) } : {}),
        VERSION: tarball[2]!,
      };
      const archive =
        release.archive ??
        tarGz([
          { path: `${top}/`, dir: true },
          ...Object.entries(files).map(([p, text]) => ({ path: `${top}/${p}`, text })),
        ]);
      res.setHeader('content-type', 'application/gzip');
      return res.end(archive);
    }
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url: `${base}/`, packages, requests, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

/** The CLI in a child process, without blocking this one (which may be serving the hub). */
export function kilnRun(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [kilnBin, ...args], {
      env: {
        ...process.env,
        NO_COLOR: '1',
        KILN_PROFILES_DIR: '',
        DBT_PROFILES_DIR: '',
        KILN_HUB_URL: '',
        DBT_PACKAGE_HUB_URL: '',
        KILN_HUB_INDEX: '',
        HOME: tmpdir(),
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => ok({ code: code ?? -1, stdout, stderr }));
  });
}

export const dbtProject = (name: string, extra = '') => `name: ${name}\nconfig-version: 2\n${extra}`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  test('the test archives and hub are what kiln reads: dbt Hub API JSON, ustar members', async () => {
    const hub = await startHub({
      'acme/pkg': {
        '1.0.0': {
          files: { 'dbt_project.yml': dbtProject('pkg') },
          packages: [{ package: 'acme/other', version: '>=1.0.0' }],
        },
      },
    });
    try {
      assert.deepEqual(await (await fetch(`${hub.url}api/v1/index.json`)).json(), ['acme/pkg']);
      const meta = (await (await fetch(`${hub.url}api/v1/acme/pkg.json`)).json()) as {
        latest: string;
        versions: Record<string, { packages: unknown[]; downloads: { tarball: string } }>;
      };
      assert.equal(meta.latest, '1.0.0');
      assert.deepEqual(meta.versions['1.0.0']!.packages, [{ package: 'acme/other', version: '>=1.0.0' }]);
      const archive = Buffer.from(await (await fetch(meta.versions['1.0.0']!.downloads.tarball)).arrayBuffer());
      const members = readTar(gunzip(archive, 'test'), 'test');
      assert.deepEqual(
        members.map((m) => [m.path, m.type]),
        [
          ['acme-pkg-1.0.0/', 'dir'],
          ['acme-pkg-1.0.0/dbt_project.yml', 'file'],
          ['acme-pkg-1.0.0/packages.yml', 'file'],
          ['acme-pkg-1.0.0/VERSION', 'file'],
        ],
      );
      assert.equal(members[3]!.data.toString(), '1.0.0');
    } finally {
      await hub.close();
    }
  });
}
