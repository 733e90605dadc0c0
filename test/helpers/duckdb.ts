/** Reads a DuckDB file kiln built, to check what is really in the warehouse. */
import { DuckDBInstance } from '@duckdb/node-api';

export async function queryDuckDB(file: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(file, {
    access_mode: 'READ_ONLY',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const c = await instance.connect();
  try {
    const r = await c.runAndReadAll(sql);
    return r
      .getRowObjectsJS()
      .map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
      );
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
