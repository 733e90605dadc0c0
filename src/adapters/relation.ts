/** A warehouse relation as templates see it: `{{ this }}`, `{{ ref('x') }}`, `this.schema`. */
export type RelationType = 'table' | 'view' | 'cte' | 'external';

export class Relation {
  constructor(
    readonly database: string | undefined,
    readonly schema: string | undefined,
    readonly identifier: string,
    private readonly quote: (part: string) => string,
    readonly type: RelationType = 'table',
  ) {}

  get name(): string {
    return this.identifier;
  }
  get table(): string {
    return this.identifier;
  }

  render(): string {
    if (this.type === 'cte') return this.identifier;
    return [this.database, this.schema, this.identifier]
      .filter((p): p is string => p !== undefined && p !== '')
      .map(this.quote)
      .join('.');
  }

  toString(): string {
    return this.render();
  }

  withIdentifier(identifier: string): Relation {
    return new Relation(this.database, this.schema, identifier, this.quote, this.type);
  }

  withType(type: RelationType): Relation {
    return new Relation(this.database, this.schema, this.identifier, this.quote, type);
  }

  /** dbt's `this.include(database=False)` and friends. */
  include(opts: { database?: boolean; schema?: boolean; identifier?: boolean } = {}): Relation {
    return new Relation(
      opts.database === false ? undefined : this.database,
      opts.schema === false ? undefined : this.schema,
      this.identifier,
      this.quote,
      this.type,
    );
  }
}
