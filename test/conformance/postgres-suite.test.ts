import { randomBytes } from 'node:crypto';
import { conformanceSuite } from './suite.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.js';

let server: PostgresServer | undefined;

conformanceSuite({
  name: 'postgres',
  settings: async () => {
    server = await startPostgres();
    return {
      type: 'postgres',
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      dbname: server.database,
      // A schema of this run's own, so a shared KILN_TEST_PG_URL server stays clean.
      schema: `kiln_conf_${randomBytes(4).toString('hex')}`,
    };
  },
  stop: async () => server?.stop(),
});
