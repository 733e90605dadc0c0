import { conformanceSuite } from './suite.js';

conformanceSuite({
  name: 'duckdb',
  settings: async () => ({ type: 'duckdb', path: 'conformance.duckdb', schema: 'main' }),
});
