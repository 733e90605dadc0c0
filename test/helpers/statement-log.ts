/**
 * An adapter that records every statement kiln sends through it, in order, for tests that
 * count what a node costs. BEGIN and COMMIT stand for a transaction's round trips; with
 * `listings`, each relation listing is recorded as `LIST <schema>` and each schema created as
 * `CREATE SCHEMA <schema>` (the adapter's own statements, which the proxy does not see).
 */
import type { Adapter } from '../../src/adapters/types.js';

export function recordingStatements(adapter: Adapter, sent: string[], opts: { listings?: boolean } = {}): Adapter {
  const record = (sql: string) => {
    sent.push(sql);
    return sql;
  };
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'listRelations' && opts.listings) {
        return (database: string | undefined, schema: string) => {
          record(`LIST ${schema}`);
          return target.listRelations(database, schema);
        };
      }
      if (prop === 'createSchema' && opts.listings) {
        return (database: string | undefined, schema: string) => {
          record(`CREATE SCHEMA ${schema}`);
          return target.createSchema(database, schema);
        };
      }
      if (prop === 'execute') return (sql: string) => target.execute(record(sql));
      if (prop === 'transaction') {
        return async <T>(fn: (s: { execute(sql: string): Promise<unknown> }) => Promise<T>) => {
          record('BEGIN');
          const result = await target.transaction((s) =>
            fn({ ...s, execute: (sql: string) => s.execute(record(sql)) }),
          );
          record('COMMIT');
          return result;
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
