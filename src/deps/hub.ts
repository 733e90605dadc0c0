/**
 * The package hub, read through the dbt Hub API: `<hub>/api/v1/index.json` lists the package
 * names, and `<hub>/api/v1/<namespace>/<name>.json` holds each version's dependencies and
 * archive URL (`versions: { "1.3.0": { name, packages: [...], downloads: { tarball } } }`).
 * The hub is `--hub-url`, else KILN_HUB_URL, else DBT_PACKAGE_HUB_URL, else hub.getdbt.com.
 * Each document is fetched once per `kiln deps`.
 */
import { KilnError } from '../errors.js';

export const DEFAULT_HUB_URL = 'https://hub.getdbt.com/';

export function hubUrl(flag?: string): string {
  const url = flag || process.env.KILN_HUB_URL || process.env.DBT_PACKAGE_HUB_URL || DEFAULT_HUB_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KilnError('config', `the hub URL '${url}' is not a URL`, {
      hint: 'set --hub-url or KILN_HUB_URL to an http(s) URL such as https://hub.getdbt.com/',
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new KilnError('config', `the hub URL '${url}' must be http(s)`);
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

/** One version of a hub package, as the hub describes it. */
export interface HubVersion {
  /** The package's project name. */
  name: string;
  /** Its own dependencies (entries as in packages.yml); undefined when the hub does not say. */
  packages?: Array<Record<string, unknown>>;
  tarball: string;
}

export class HubClient {
  readonly base: string;
  private index?: Promise<Set<string>>;
  private readonly packages = new Map<string, Promise<Record<string, HubVersion>>>();

  constructor(
    hubUrlFlag: string | undefined,
    private readonly warn: (message: string) => void,
  ) {
    this.base = hubUrl(hubUrlFlag);
  }

  /** Every available version of a package (the hub's keys); throws when the package is not in the index. */
  async versions(pkg: string): Promise<Record<string, HubVersion>> {
    let cached = this.packages.get(pkg);
    if (!cached) {
      cached = this.load(pkg);
      this.packages.set(pkg, cached);
    }
    return cached;
  }

  async version(pkg: string, version: string): Promise<HubVersion> {
    const all = await this.versions(pkg);
    const v = Object.prototype.hasOwnProperty.call(all, version) ? all[version] : undefined;
    if (!v)
      throw new KilnError('config', `the hub has no version ${version} of ${pkg}`, {
        hint: `available: ${Object.keys(all).join(', ') || 'none'}`,
      });
    return v;
  }

  private async load(pkg: string): Promise<Record<string, HubVersion>> {
    this.index ??= this.getJson('api/v1/index.json').then((body) => {
      if (!Array.isArray(body)) throw this.shapeError('api/v1/index.json', 'is not a list of package names');
      return new Set(body.map(String));
    });
    const index = await this.index;
    if (!index.has(pkg))
      throw new KilnError('config', `package ${pkg} was not found in the package index of ${this.base}`, {
        file: 'packages.yml',
        hint: 'check the namespace/name spelling, or point --hub-url (KILN_HUB_URL) at the hub that has it',
      });
    const path = `api/v1/${pkg.split('/').map(encodeURIComponent).join('/')}.json`;
    const body = (await this.getJson(path)) as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw this.shapeError(path, 'is not an object');
    if (typeof body.redirectnamespace === 'string' || typeof body.redirectname === 'string') {
      const movedTo = `${String(body.redirectnamespace ?? body.namespace)}/${String(body.redirectname ?? body.name)}`;
      this.warn(`package ${pkg} has moved to ${movedTo}; update packages.yml`);
    }
    const versions = body.versions;
    if (!versions || typeof versions !== 'object' || Array.isArray(versions))
      throw this.shapeError(path, 'has no versions: object');
    const out: Record<string, HubVersion> = {};
    for (const [v, raw] of Object.entries(versions as Record<string, unknown>)) {
      const entry = raw as { name?: unknown; packages?: unknown; downloads?: { tarball?: unknown } } | null;
      const tarball = entry?.downloads?.tarball;
      if (!entry || typeof tarball !== 'string') throw this.shapeError(path, `version ${v} has no downloads.tarball`);
      const name = typeof entry.name === 'string' ? entry.name : pkg.split('/')[1]!;
      const packages = Array.isArray(entry.packages) ? (entry.packages as Array<Record<string, unknown>>) : undefined;
      out[v] = { name, packages, tarball };
    }
    return out;
  }

  private shapeError(path: string, why: string): KilnError {
    return new KilnError('config', `the hub's ${this.base}${path} ${why}`, {
      hint: 'the hub must answer with the dbt Hub API (see docs/packages.md)',
    });
  }

  /** GET with a timeout and two retries for network failures and 5xx answers. */
  private async getJson(path: string): Promise<unknown> {
    const url = `${this.base}${path}`;
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await new Promise((ok) => setTimeout(ok, 250 * attempt));
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(30_000), headers: { accept: 'application/json' } });
      } catch (e) {
        const cause = (e as Error).cause;
        last = cause instanceof Error ? cause.message : (e as Error).message;
        continue;
      }
      if (res.status >= 500) {
        last = `HTTP ${res.status}`;
        continue;
      }
      if (!res.ok)
        throw new KilnError('connection', `the hub answered HTTP ${res.status} for ${url}`, {
          hint: 'check --hub-url / KILN_HUB_URL',
        });
      try {
        return await res.json();
      } catch {
        throw this.shapeError(path, 'is not JSON');
      }
    }
    throw new KilnError('connection', `cannot reach the hub at ${url}: ${last}`, {
      hint: 'check the network, or point --hub-url (KILN_HUB_URL) at a reachable hub',
    });
  }
}
