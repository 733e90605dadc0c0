/** A warehouse relation as templates see it: `{{ this }}`, `{{ ref('x') }}`, `this.schema`. */
export type RelationType = 'table' | 'view' | 'cte' | 'external';

/**
 * A relation name as the warehouse compares it: by the warehouse's own rule where it has one
 * (Snowflake), as written where names are case-sensitive (BigQuery), else in lower case.
 */
export function relationNameKey(
  name: string,
  warehouse: { readonly caseSensitiveNames?: boolean; relationNameKey?(name: string): string } | undefined,
): string {
  if (warehouse?.relationNameKey) return warehouse.relationNameKey(name);
  return warehouse?.caseSensitiveNames ? name : name.toLowerCase();
}

export class Relation {
  constructor(
    readonly database: string | undefined,
    readonly schema: string | undefined,
    readonly identifier: string,
    quote: (part: string) => string,
    readonly type: RelationType = 'table',
    fold: (name: string) => string = (name) => name,
  ) {
    this.#quote = quote;
    this.#fold = fold;
  }

  /** How this warehouse quotes an identifier; private to JavaScript, so templates never reach it. */
  readonly #quote: (part: string) => string;
  /**
   * The name the warehouse keeps for a new identifier written unquoted (Snowflake: upper case),
   * so that a staging relation `<name>__kiln_tmp` is spelled as the warehouse's other names.
   */
  readonly #fold: (name: string) => string;

  get name(): string {
    return this.identifier;
  }
  get table(): string {
    return this.identifier;
  }

  /** render()'s text, made on first use: a node's relations are rendered many times per run, and never change. */
  #rendered?: string;

  render(): string {
    if (this.type === 'cte') return this.identifier;
    if (this.#rendered === undefined) {
      // Joined by hand, not filter/map/join: a compile renders thousands (each ref, each relation_name).
      let text = '';
      for (const part of [this.database, this.schema, this.identifier])
        if (part !== undefined && part !== '') text += (text ? '.' : '') + this.#quote(part);
      this.#rendered = text;
    }
    return this.#rendered;
  }

  toString(): string {
    return this.render();
  }

  /** dbt's relations are also mappings of their fields: packages read `relation.get('metadata')`. */
  private fields(): Record<string, unknown> {
    return {
      metadata: { type: 'BaseRelation' },
      path: { database: this.database ?? null, schema: this.schema ?? null, identifier: this.identifier },
      type: this.type,
      database: this.database ?? null,
      schema: this.schema ?? null,
      identifier: this.identifier,
    };
  }
  get metadata(): unknown {
    return this.fields().metadata;
  }
  get path(): unknown {
    return this.fields().path;
  }
  get(key: string, dflt: unknown = null): unknown {
    const f = this.fields();
    return Object.prototype.hasOwnProperty.call(f, key) ? f[key] : dflt;
  }
  keys(): string[] {
    return Object.keys(this.fields());
  }
  __getitem__(key: unknown): unknown {
    const f = this.fields();
    return typeof key === 'string' && Object.prototype.hasOwnProperty.call(f, key) ? f[key] : undefined;
  }
  /** Jinja's `is mapping` is true for relations, as for dbt's. */
  __mapping__(): boolean {
    return true;
  }

  withIdentifier(identifier: string): Relation {
    return new Relation(this.database, this.schema, this.#fold(identifier), this.#quote, this.type, this.#fold);
  }

  withType(type: RelationType): Relation {
    return new Relation(this.database, this.schema, this.identifier, this.#quote, type, this.#fold);
  }

  get is_table(): boolean {
    return this.type === 'table';
  }
  get is_view(): boolean {
    return this.type === 'view';
  }
  get is_cte(): boolean {
    return this.type === 'cte';
  }

  /** dbt's `relation.incorporate(path={'identifier': ...}, type='view')`: a copy with parts replaced. */
  incorporate(
    opts: {
      path?: { database?: string | null; schema?: string | null; identifier?: string };
      type?: RelationType;
    } = {},
  ): Relation {
    const p = opts.path ?? {};
    // A part given as None drops it (`path={'schema': none}`); a part not given is kept.
    const part = (k: 'database' | 'schema', current: string | undefined) =>
      Object.prototype.hasOwnProperty.call(p, k) ? (p[k] ?? undefined) : current;
    return new Relation(
      part('database', this.database),
      part('schema', this.schema),
      p.identifier === undefined ? this.identifier : this.#fold(p.identifier),
      this.#quote,
      opts.type ?? this.type,
      this.#fold,
    );
  }

  /** dbt's `this.include(database=False)` and friends. */
  include(opts: { database?: boolean; schema?: boolean; identifier?: boolean } = {}): Relation {
    return new Relation(
      opts.database === false ? undefined : this.database,
      opts.schema === false ? undefined : this.schema,
      this.identifier,
      this.#quote,
      this.type,
    );
  }
}
