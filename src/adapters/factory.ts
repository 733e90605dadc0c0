import { KilnError } from '../errors.js';
import type { TargetConfig } from '../config/profiles.js';
import type { Adapter } from './types.js';

type AdapterFactory = (target: TargetConfig, projectDir: string) => Promise<Adapter>;

/**
 * Adapters by profile `type`; each imports its driver only when chosen (DuckDB's alone takes a good part of a second).
 */
const factories: Record<string, AdapterFactory> = {
  duckdb: async (target, projectDir) =>
    new (await import('./duckdb/index.js')).DuckDBAdapter(
      { ...(target.settings as unknown as import('./duckdb/index.js').DuckDBProfile), threads: target.threads },
      projectDir,
    ),
  postgres: async (target) =>
    new (await import('./postgres/index.js')).PostgresAdapter({
      ...(target.settings as unknown as import('./postgres/index.js').PostgresProfile),
      threads: target.threads,
    }),
  snowflake: async (target) => {
    quietCloudProbes();
    return new (await import('./snowflake/index.js')).SnowflakeAdapter({
      ...(target.settings as unknown as import('./snowflake/index.js').SnowflakeProfile),
      threads: target.threads,
    });
  },
  bigquery: async (target) => {
    quietCloudProbes();
    return new (await import('./bigquery/index.js')).BigQueryAdapter(
      { ...(target.settings as unknown as import('./bigquery/index.js').BigQueryProfile), threads: target.threads },
      { locate: (key) => ({ file: target.profilesFile, line: target.settingLines?.[key] }) },
    );
  },
};

/**
 * The cloud SDKs probe metadata addresses when they load or authenticate (Snowflake's
 * platform detection, google-auth's metadata-server check); kiln never wants that, so the
 * switches are set before either is imported.
 */
function quietCloudProbes(): void {
  process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
  process.env.METADATA_SERVER_DETECTION = 'none';
}

export function registerAdapter(type: string, factory: AdapterFactory): void {
  factories[type] = factory;
}

export async function createAdapter(target: TargetConfig, projectDir: string): Promise<Adapter> {
  const factory = factories[target.type];
  if (!factory) {
    throw new KilnError('config', `adapter type '${target.type}' is not supported yet`, {
      file: target.profilesFile,
      hint: `supported types: ${Object.keys(factories).join(', ')}`,
    });
  }
  return factory(target, projectDir);
}
