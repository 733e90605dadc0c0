/**
 * Git packages: cloning a repository with the `git` program and checking out one commit.
 * Every URL and revision is validated before it reaches git (none may start with `-`, no
 * `ext::`-style transports), positional arguments follow `--` or `--end-of-options`, and the
 * remote-helper transports that run commands are switched off.
 */
import type { execFileSync as ExecFileSync } from 'node:child_process';
import { KilnError } from '../errors.js';

/**
 * child_process (which loads net and streams) is loaded when git first runs: every parse imports this module for its
 * URL and revision checks.
 */
const execFileSync: typeof ExecFileSync = ((...args: Parameters<typeof ExecFileSync>) =>
  process.getBuiltinModule('node:child_process').execFileSync(...args)) as typeof ExecFileSync;

const SAFE_SCHEMES = new Set(['http', 'https', 'ssh', 'git', 'file', 'git+ssh', 'ssh+git']);

/** Throws unless `url` is a git URL kiln will hand to git: a path, scp-style `host:path` or a URL of a known scheme. */
export function checkedGitUrl(
  url: string,
  where: { file?: string; line?: number } = { file: 'packages.yml' },
  display = url,
): string {
  const bad = (why: string) =>
    new KilnError('config', `git: '${display}' ${why}`, {
      ...where,
      hint: 'use an https://, ssh://, git@host:path or file:// URL, or a path to a repository',
    });
  if (!url.trim()) throw bad('is empty');
  if (url.startsWith('-')) throw bad('starts with "-", which git would read as an option');
  if (/[\x00-\x1f\x7f]/.test(url)) throw bad('contains control characters');
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(url))
    throw bad('names a git remote helper (transport::address), which kiln does not run');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1];
  if (scheme && !SAFE_SCHEMES.has(scheme.toLowerCase())) throw bad(`uses the scheme ${scheme}://`);
  return url;
}

/** Throws unless `revision` is a plain tag, branch or commit name. */
export function checkedRevision(
  revision: string,
  url: string,
  where: { file?: string; line?: number } = { file: 'packages.yml' },
): string {
  if (!revision || revision.startsWith('-') || /[\s\x00-\x1f\x7f~^:?*[\\]/.test(revision) || revision.includes('..')) {
    throw new KilnError('config', `revision '${revision}' of ${url} is not a tag, branch or commit name`, where);
  }
  return revision;
}

function git(args: string[], cwd: string, what: string, hide?: { url: string; display: string }): string {
  try {
    return execFileSync('git', ['-c', 'protocol.ext.allow=never', '-c', 'protocol.fd.allow=never', ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      maxBuffer: 64 * 1024 * 1024,
    }).trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string };
    if (err.code === 'ENOENT')
      throw new KilnError('config', 'kiln deps needs the git program to install git packages', {
        hint: 'install git and run `kiln deps` again',
      });
    let detail = (err.stderr || err.message).trim().split('\n').filter(Boolean).pop() ?? '';
    if (hide && hide.url !== hide.display) detail = detail.split(hide.url).join(hide.display);
    throw new KilnError('config', `${what}: ${detail}`, { file: 'packages.yml' });
  }
}

/** The commit a revision names in a fresh clone: a tag, a branch of origin, or a commit; HEAD when none is given. */
function resolveRevision(checkout: string, url: string, revision: string | undefined): string {
  const candidates =
    revision === undefined ? ['HEAD'] : [`refs/tags/${revision}`, `refs/remotes/origin/${revision}`, revision];
  for (const c of candidates) {
    try {
      return execFileSync('git', ['rev-parse', '--verify', '--quiet', '--end-of-options', `${c}^{commit}`], {
        cwd: checkout,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      // not this kind of name; try the next
    }
  }
  throw new KilnError('config', `${url} has no revision '${revision ?? 'HEAD'}'`, {
    file: 'packages.yml',
    hint: 'revision: is a tag, a branch or a commit of the repository',
  });
}

/**
 * Clones `url` into the empty folder `into` and checks out `revision`; returns the commit.
 * Relative repository paths are resolved from `cwd`. Messages show `display` (the URL as
 * written, so that a token rendered into `url` is never printed).
 */
export function cloneAt(url: string, revision: string | undefined, into: string, cwd: string, display = url): string {
  checkedGitUrl(url, { file: 'packages.yml' }, display);
  if (revision !== undefined) checkedRevision(revision, display);
  const hide = { url, display };
  git(['clone', '--quiet', '--no-checkout', '--', url, into], cwd, `git clone of ${display} failed`, hide);
  const commit = resolveRevision(into, display, revision);
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new KilnError('internal', `git named the commit '${commit}'`);
  git(
    ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', commit],
    into,
    `git checkout of ${display} at ${revision ?? 'HEAD'} failed`,
    hide,
  );
  return commit;
}
