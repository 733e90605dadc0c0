import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highestSatisfying, installableVersions, parseVersion, rangeText, reduceVersions } from '../src/deps/semver.js';
import { resolvePackages, type PackageReader, type Pin } from '../src/deps/resolve.js';
import { dbtPackagesHash } from '../src/deps/spec.js';
import type { PackageSpec } from '../src/deps/spec.js';
import { KilnError } from '../src/errors.js';

const available = ['0.1.2', '0.1.3', '0.1.4a1', '0.2.0'];
const pick = (reqs: string[], prerelease = false) => {
  const versions = reqs.map(parseVersion);
  const allow = prerelease || versions.some((v) => v.prerelease !== undefined);
  return highestSatisfying(reduceVersions(versions), installableVersions(available, allow));
};

test("version ranges intersect as dbt's semver does, and the highest version inside wins", () => {
  assert.equal(pick(['0.1.2', '<0.1.4']), '0.1.2');
  assert.equal(pick(['>0.1.2', '<0.1.5']), '0.1.3');
  assert.equal(pick(['>=0.1.0']), '0.2.0');
  assert.equal(pick(['>=0.1.3', '<=0.1.3']), '0.1.3');
  assert.equal(pick(['>0.1.3', '<0.2.0']), undefined);
  assert.equal(
    rangeText(reduceVersions(['>=1.0.0', '<2.0.0', '>=1.3.0', '<1.9.0'].map(parseVersion))),
    '>=1.3.0, <1.9.0',
  );
  assert.equal(rangeText(reduceVersions([])), 'any version');
  assert.throws(() => reduceVersions(['0.1.2', '0.1.3'].map(parseVersion)));
  assert.throws(() => reduceVersions(['>=2.0.0', '<2.0.0'].map(parseVersion)));
  assert.throws(() => reduceVersions(['>1.0.0', '1.0.0'].map(parseVersion)));
  assert.doesNotThrow(() => reduceVersions(['>=1.0.0', '1.0.0'].map(parseVersion)));
  for (const bad of ['1.2', 'v1.2.3', '~1.2.3', '01.2.3', '>=1.2'])
    assert.throws(() => parseVersion(bad), /is not a valid semantic version/);
});

test('prereleases are chosen only when asked for: install_prerelease or a prerelease requirement; <2.0.0 excludes 2.0.0 prereleases', () => {
  assert.equal(pick(['>0.1.2', '<0.1.5'], true), '0.1.4a1');
  assert.equal(pick(['0.1.4a1']), '0.1.4a1');
  assert.deepEqual(installableVersions(['1.0.0', '2.0.0-rc1', '1.10.0', '1.9.0', 'junk'], true), [
    '1.0.0',
    '1.9.0',
    '1.10.0',
    '2.0.0-rc1',
  ]);
  assert.equal(highestSatisfying(reduceVersions([parseVersion('<2.0.0')]), ['1.9.0', '2.0.0-rc1']), '1.9.0');
  assert.equal(
    highestSatisfying(reduceVersions([parseVersion('>=2.0.0-rc1')]), ['1.9.0', '2.0.0-rc1', '2.0.0-rc2']),
    '2.0.0-rc2',
  );
  assert.equal(
    highestSatisfying(reduceVersions([parseVersion('>=1.0.0')]), ['1.0.0-beta.2', '1.0.0-beta.11', '1.0.0']),
    '1.0.0',
  );
  assert.equal(
    installableVersions(['1.0.0-beta.11', '1.0.0-beta.2', '1.0.0-alpha'], true).join(' '),
    '1.0.0-alpha 1.0.0-beta.2 1.0.0-beta.11',
  );
});

/** A reader over an in-memory hub: name → version → dependencies. */
function fakeHub(hub: Record<string, Record<string, Array<{ package: string; version: string[] }>>>): PackageReader {
  return {
    hubVersions: async (pkg) => Object.keys(hub[pkg] ?? {}),
    metadata: async (pin: Pin) => {
      assert.equal(pin.kind, 'hub');
      const p = pin;
      const name = p.package.split('/')[1]!;
      return {
        name,
        requires: hub[p.package]![p.version]!.map((d) => ({
          spec: { kind: 'hub' as const, package: d.package, version: d.version, installPrerelease: false },
          requirer: `package '${name}'`,
        })),
      };
    },
  };
}

const hubSpec = (pkg: string, ...version: string[]): PackageSpec => ({
  kind: 'hub',
  package: pkg,
  version,
  installPrerelease: false,
});

test('transitive hub packages: the ranges of the project and of a package are intersected', async () => {
  const reader = fakeHub({
    'dbt-labs-test/a': { '0.1.2': [], '0.1.3': [], '0.1.4a1': [], '0.2.0': [] },
    'dbt-labs-test/b': { '0.2.1': [{ package: 'dbt-labs-test/a', version: ['>=0.1.3', '<0.2.0'] }] },
  });
  const resolved = await resolvePackages(
    [
      { spec: hubSpec('dbt-labs-test/a', '>0.1.2'), requirer: 'packages.yml', baseDir: '/p' },
      { spec: hubSpec('dbt-labs-test/b', '0.2.1'), requirer: 'packages.yml', baseDir: '/p' },
    ],
    reader,
  );
  assert.deepEqual(
    resolved.map((r) => [
      (r.pin as Extract<Pin, { kind: 'hub' }>).package,
      (r.pin as Extract<Pin, { kind: 'hub' }>).version,
    ]),
    [
      ['dbt-labs-test/a', '0.1.3'],
      ['dbt-labs-test/b', '0.2.1'],
    ],
  );
});

test('an empty intersection names both requirers and their ranges; a missing version lists the available ones', async () => {
  const reader = fakeHub({
    'acme/core': { '1.0.0': [], '2.1.0': [] },
    'acme/helpers': { '1.0.0': [{ package: 'acme/core', version: ['>=1.0.0', '<2.0.0'] }] },
  });
  await assert.rejects(
    resolvePackages(
      [
        { spec: hubSpec('acme/core', '>=2.0.0'), requirer: 'packages.yml', baseDir: '/p' },
        { spec: hubSpec('acme/helpers', '1.0.0'), requirer: 'packages.yml', baseDir: '/p' },
      ],
      reader,
    ),
    (e: unknown) => {
      assert.ok(e instanceof KilnError);
      assert.equal(
        e.message,
        "no version of acme/core satisfies both >=2.0.0 (packages.yml) and >=1.0.0, <2.0.0 (package 'helpers')",
      );
      return true;
    },
  );
  await assert.rejects(
    resolvePackages(
      [{ spec: hubSpec('acme/core', '>1.0.0', '<2.0.0'), requirer: 'packages.yml', baseDir: '/p' }],
      reader,
    ),
    (e: unknown) => {
      assert.ok(e instanceof KilnError);
      assert.match(e.message, /no available version of acme\/core satisfies >1\.0\.0, <2\.0\.0/);
      assert.match(e.hint ?? '', /available versions: 1\.0\.0, 2\.1\.0/);
      return true;
    },
  );
});

test("sha1_hash is dbt's: the sorted Python JSON of each declared entry with its unrendered form", () => {
  const rendered = [
    { package: 'dbt-labs/dbt_utils', version: ['>=1.0.0', '<2.0.0'] },
    { git: 'https://github.com/org/repo.git', revision: 'v1.2.0' },
    { local: '../shared_é' },
  ];
  // Computed with Python: sha1("\n".join(sorted(json.dumps(d, sort_keys=True) for d in dicts))).
  assert.equal(dbtPackagesHash(rendered, rendered), 'e46f0ba7be20ade2a93f502a77353e50f2f6e1e2');
  assert.equal(dbtPackagesHash([], []), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
});
