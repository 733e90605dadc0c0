/**
 * The cross-adapter conformance suite (test/conformance/suite.ts) on BigQuery: the real
 * @google-cloud/bigquery client against the REST stand-in, inside a loopback-only network namespace.
 * What kiln sends goes through the client as on BigQuery; the suite's own checking queries
 * (information_schema, casts) are answered by the stand-in's DuckDB and are not GoogleSQL.
 */
import { isolatedSuite } from './helpers/loopback-namespace.js';
import { BigQueryStandIn } from './helpers/bigquery-standin.js';
import { conformanceSuite } from './conformance/suite.js';

isolatedSuite(import.meta.url, () => {
  const standin = new BigQueryStandIn('kiln-conformance');
  conformanceSuite({
    name: 'bigquery',
    settings: async () => {
      await standin.start();
      return {
        type: 'bigquery',
        method: 'oauth-secrets',
        token: 'standin-token',
        project: 'kiln-conformance',
        dataset: 'conf',
        schema: 'conf',
        job_retries: 0,
        api_endpoint: standin.endpoint,
      };
    },
    stop: () => standin.stop(),
    extraStrategies: ['insert_overwrite'],
  });
});
