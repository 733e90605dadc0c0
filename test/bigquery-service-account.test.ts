/**
 * BigQuery service-account login (`method: service-account` with `keyfile`, and
 * `service-account-json` with `keyfile_json`) through the real google-auth-library and
 * @google-cloud/bigquery: the JWT the library signs is exchanged at the stand-in's token
 * endpoint (the key's token_uri), which verifies it against the key's public half, and every
 * API call must carry the access token it answered. Inside a loopback-only network namespace,
 * so a login that went to oauth2.googleapis.com could not succeed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedSuite } from './helpers/loopback-namespace.js';
import { BigQueryStandIn } from './helpers/bigquery-standin.js';
import { kilnResult, minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { createAdapter } from '../src/adapters/factory.js';
import { KilnError } from '../src/index.js';

const EMAIL = 'kiln-loader@kiln-proj.iam.gserviceaccount.com';

function rsaKey() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/** A key file shaped as Google issues them. */
function keyFile(privateKey: string, tokenUri: string | undefined, email = EMAIL): Record<string, unknown> {
  return {
    type: 'service_account',
    project_id: 'kiln-proj',
    private_key_id: 'a1b2c3d4e5f6',
    private_key: privateKey,
    client_email: email,
    client_id: '100000000000000000001',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    ...(tokenUri ? { token_uri: tokenUri } : {}),
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    universe_domain: 'googleapis.com',
  };
}

isolatedSuite(import.meta.url, () => {
  const standin = new BigQueryStandIn('kiln-proj');
  const registered = rsaKey();
  let dir: string;

  const profile = (auth: string) => `tiny:
  target: bq
  outputs:
    bq:
      type: bigquery
${auth}
      project: kiln-proj
      dataset: sa_ds
      job_retries: 0
      api_endpoint: ${standin.endpoint}
`;
  const useProfile = (auth: string) => writeFileSync(join(dir, 'profiles.yml'), profile(auth));
  const writeKey = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };

  const settings = (auth: Record<string, unknown>) => ({
    profileName: 'tiny',
    targetName: 'bq',
    type: 'bigquery',
    threads: 1,
    settings: {
      type: 'bigquery',
      project: 'kiln-proj',
      dataset: 'sa_ds',
      job_retries: 0,
      api_endpoint: standin.endpoint,
      ...auth,
    },
  });

  before(async () => {
    await standin.start();
    standin.addServiceAccount(EMAIL, registered.publicKey);
    dir = writeProject(
      minimalProject({
        'seeds/people.csv': 'id,name\n1,ann\n2,bob\n',
        'models/people_count.sql': "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('people') }}",
      }),
    );
  });

  after(async () => {
    await standin.stop();
    if (dir) removeDir(dir);
  });

  test("keyfile: kiln build logs in at the key's token_uri with a JWT the key signed, then calls BigQuery with the token it got", async () => {
    const key = writeKey('key.json', JSON.stringify(keyFile(registered.privateKey, standin.tokenUri), null, 2));
    useProfile(`      method: service-account\n      keyfile: ${key}`);
    const from = standin.requests.length;
    const r = await kilnResult(['build', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const rows = await standin.query('select n from `kiln-proj`.`sa_ds`.`people_count`');
    assert.equal(Number(rows[0]!.n), 2);

    assert.ok(standin.logins.length >= 1, 'the token endpoint was used');
    const login = standin.logins[0]!;
    assert.equal(login.iss, EMAIL);
    assert.equal(login.aud, standin.tokenUri);
    assert.equal(login.exp - login.iat, 3600);
    assert.ok(login.scope.split(' ').includes('https://www.googleapis.com/auth/bigquery'), login.scope);
    const issued = new Set(standin.logins.map((l) => `Bearer ${l.accessToken}`));
    const api = standin.requests.slice(from).filter((q) => q.path !== '/token');
    assert.ok(api.length > 5);
    assert.ok(
      api.every((q) => issued.has(String(q.headers.authorization))),
      'every API call carries an issued token',
    );
  });

  test('keyfile_json: the key as a YAML mapping and as JSON text logs in the same way', async () => {
    for (const keyfile_json of [
      keyFile(registered.privateKey, standin.tokenUri),
      JSON.stringify(keyFile(registered.privateKey, standin.tokenUri)),
    ]) {
      const logins = standin.logins.length;
      const a = await createAdapter(settings({ method: 'service-account-json', keyfile_json }), dir);
      try {
        await a.open();
        assert.deepEqual((await a.execute('select 40 + 2 as answer')).rows, [{ answer: 42 }]);
      } finally {
        await a.close();
      }
      assert.equal(standin.logins.length, logins + 1);
      assert.equal(standin.requests.at(-1)!.headers.authorization, `Bearer ${standin.logins.at(-1)!.accessToken}`);
    }
  });

  test("a key without token_uri logs in at Google's endpoint, which cannot be reached from here: the error names the account", async () => {
    const logins = standin.logins.length;
    const a = await createAdapter(
      settings({ method: 'service-account-json', keyfile_json: keyFile(registered.privateKey, undefined) }),
      dir,
    );
    await a.open();
    const err = await a.execute('select 1').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof KilnError, String(err));
    assert.equal(err.kind, 'connection');
    assert.match(
      err.message,
      /^the token endpoint https:\/\/oauth2\.googleapis\.com\/token for service account kiln-loader@kiln-proj\.iam\.gserviceaccount\.com cannot be reached/,
    );
    assert.equal(standin.logins.length, logins);
  });

  test('a key the token endpoint refuses: exit 1, one message naming the service account, no stack trace', async () => {
    const key = writeKey('other-key.json', JSON.stringify(keyFile(rsaKey().privateKey, standin.tokenUri)));
    useProfile(`      method: service-account\n      keyfile: ${key}`);
    const r = await kilnResult(['run', '--project-dir', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const out = r.stdout + r.stderr;
    assert.match(
      out,
      /the token endpoint http:\/\/127\.0\.0\.1:\d+\/token refused service account kiln-loader@kiln-proj\.iam\.gserviceaccount\.com: invalid_grant: Invalid JWT Signature\./,
    );
    assert.match(out, /hint: the key may have been deleted or disabled/);
    assert.doesNotMatch(out, /\n\s+at /, 'no stack trace');

    const unknown = await createAdapter(
      settings({
        method: 'service-account-json',
        keyfile_json: keyFile(registered.privateKey, standin.tokenUri, 'gone@kiln-proj.iam.gserviceaccount.com'),
      }),
      dir,
    );
    await unknown.open();
    await assert.rejects(
      unknown.execute('select 1'),
      (e: KilnError) =>
        e.kind === 'connection' &&
        /refused service account gone@kiln-proj\.iam\.gserviceaccount\.com: invalid_grant: Invalid grant: account not found/.test(
          e.message,
        ),
    );
  });

  test('an access token BigQuery no longer accepts is answered 401, and kiln says the credentials were refused', async () => {
    const a = await createAdapter(
      settings({ method: 'service-account-json', keyfile_json: keyFile(registered.privateKey, standin.tokenUri) }),
      dir,
    );
    await a.open();
    try {
      await a.execute('select 1');
      standin.expireTokens();
      const err = await a.execute('select 2').then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof KilnError, String(err));
      assert.equal(err.kind, 'connection');
      assert.match(err.message, /BigQuery refused the credentials .*HTTP 401, reason authError/);
      assert.equal(standin.sql().filter((s) => s === 'select 2').length, 0, 'the query never ran');
    } finally {
      await a.close();
    }
  });

  test('a keyfile that is missing, not JSON, or not a service account key: exit 2 at its line of profiles.yml, with a fix', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        `      method: service-account\n      keyfile: ${join(dir, 'no-such-key.json')}`,
        /profiles\.yml:7: bigquery profile: keyfile \S+no-such-key\.json does not exist\n {2}hint: set keyfile to the path of the service account's JSON key/,
      ],
      [
        `      method: service-account\n      keyfile: ${writeKey('broken.json', '{"type": "service_account", "private_key": ')}`,
        /profiles\.yml:7: bigquery profile: keyfile \S+broken\.json is not JSON: .*\n {2}hint: create a JSON key for the service account/,
      ],
      [
        `      method: service-account\n      keyfile: ${writeKey('user.json', JSON.stringify({ type: 'authorized_user', client_id: 'x', refresh_token: 'y' }))}`,
        /profiles\.yml:7: bigquery profile: keyfile \S+user\.json is a 'authorized_user' credential, not a service account key/,
      ],
      [
        `      method: service-account\n      keyfile: ${writeKey('bad-pem.json', JSON.stringify(keyFile('-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n', standin.tokenUri)))}`,
        /profiles\.yml:7: bigquery profile: keyfile \S+bad-pem\.json has a private_key that is not a PEM private key/,
      ],
      [
        `      method: service-account-json\n      keyfile_json: '{"type": "service_account",'`,
        /profiles\.yml:7: bigquery profile: keyfile_json is not JSON: .*\n {2}hint: paste the key file as it is/,
      ],
      [
        `      method: service-account-json\n      keyfile_json: '{"private_key": MIIEvQIBADANBgkq}'`,
        /profiles\.yml:7: bigquery profile: keyfile_json is not JSON: Unexpected token\n/,
      ],
      [
        `      method: service-account-json\n      keyfile_json: MIIEvQIBADANBgkq`,
        /profiles\.yml:7: bigquery profile: keyfile_json is not JSON: Unexpected token\n/,
      ],
      [
        `      method: service-account-json\n      keyfile_json:\n        type: service_account\n        client_email: ${EMAIL}`,
        /profiles\.yml:7: bigquery profile: keyfile_json has no private_key: it is not a service account key/,
      ],
      [
        `      method: service-account\n      keyfile: ${writeKey('plain-http.json', JSON.stringify(keyFile(registered.privateKey, 'http://tokens.example.com/token')))}`,
        /profiles\.yml:7: bigquery profile: keyfile \S+plain-http\.json has a token_uri that is neither https nor on this machine/,
      ],
    ];
    for (const [auth, expected] of cases) {
      useProfile(auth);
      const logins = standin.logins.length;
      const r = await kilnResult(['run', '--project-dir', dir]);
      assert.equal(r.code, 2, auth + '\n' + r.stdout + r.stderr);
      assert.match(r.stderr, expected, auth);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(r.stderr, /MIIEvQ/, 'no part of the key is printed');
      assert.equal(standin.logins.length, logins, 'no login was attempted');
    }
    useProfile(cases[0]![0]);
    const debug = await kilnResult(['debug', '--project-dir', dir]);
    assert.notEqual(debug.code, 0);
    assert.match(
      debug.stdout + debug.stderr,
      /profiles\.yml:7: bigquery profile: keyfile \S+no-such-key\.json does not exist/,
      'kiln debug points at the line too',
    );
  });
});
