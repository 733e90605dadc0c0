import { randomBytes } from 'node:crypto';
import { conformanceSuite } from './suite.js';
import { startPostgres, postgresSettings, type PostgresServer } from '../helpers/postgres-server.js';

let server: PostgresServer | undefined;

conformanceSuite({
  name: 'postgres',
  settings: async () => {
    server = await startPostgres();
    // A schema of this run's own, so a shared KILN_TEST_PG_URL server stays clean.
    return postgresSettings(server, `kiln_conf_${randomBytes(4).toString('hex')}`);
  },
  stop: async () => server?.stop(),
});
