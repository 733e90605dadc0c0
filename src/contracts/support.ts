/**
 * What each warehouse does with each constraint type:
 * - enforced: in the DDL, and a violating row fails the insert;
 * - declared: in the DDL, kept as metadata but not checked (a warning says so);
 * - omitted: left out of the DDL with a warning, because the warehouse cannot take it.
 * Adapters not listed enforce not_null, declare the rest.
 */
export type ConstraintSupport = 'enforced' | 'declared' | 'omitted';

const all = (s: ConstraintSupport) => ({ not_null: s, unique: s, primary_key: s, foreign_key: s, check: s, custom: s });

const support: Record<string, Record<string, ConstraintSupport>> = {
  // DuckDB cannot drop or replace a table that a foreign key references, so a foreign key
  // would make its parent impossible to rebuild.
  duckdb: { ...all('enforced'), foreign_key: 'omitted' },
  postgres: all('enforced'),
};

const fallback: Record<string, ConstraintSupport> = { ...all('declared'), not_null: 'enforced', custom: 'enforced' };

export function constraintSupport(adapterType: string, constraintType: string): ConstraintSupport {
  return (support[adapterType] ?? fallback)[constraintType] ?? 'declared';
}

export const supportReason: Record<Exclude<ConstraintSupport, 'enforced'>, string> = {
  declared: 'it is declared in the table but not checked',
  omitted: 'it is left out of the table',
};
