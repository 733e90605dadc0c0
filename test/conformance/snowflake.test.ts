/**
 * The cross-adapter conformance suite (suite.ts) on Snowflake: the real snowflake-sdk against
 * the protocol stand-in, inside a loopback-only network namespace. What kiln sends goes
 * through the driver as on Snowflake; the stand-in runs it on DuckDB.
 */
import { isolatedSuite } from '../helpers/loopback-namespace.js';
import { SnowflakeStandIn } from '../helpers/snowflake-standin.js';
import { conformanceSuite } from './suite.js';

isolatedSuite(import.meta.url, () => {
  const password = 'pw-Conformance-1';
  const standin = new SnowflakeStandIn({ user: 'conformer', password });
  conformanceSuite({
    name: 'snowflake',
    settings: async () => {
      await standin.start();
      return {
        type: 'snowflake',
        account: 'kiln_conformance',
        user: 'conformer',
        password,
        database: 'conformance',
        schema: 'conf',
        warehouse: 'conforming',
        host: '127.0.0.1',
        port: standin.port,
        protocol: 'http',
      };
    },
    stop: () => standin.stop(),
  });
});
