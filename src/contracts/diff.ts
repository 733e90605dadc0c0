/** Model columns against a contract: what differs, and dbt's table of the differences. */
import type { ColumnInfo } from '../adapters/types.js';
import { baseType } from './probe.js';

export interface ContractMismatch {
  column: string;
  /** The type the model's SQL returns (empty when it does not return the column). */
  definitionType: string;
  /** The type the contract declares, as the warehouse names it (empty when undeclared). */
  contractType: string;
  reason: 'data type mismatch' | 'missing in definition' | 'missing in contract';
}

/** `contract` holds the declared types as the warehouse spells them (probed), in YAML order. */
export function diffContract(definition: ColumnInfo[], contract: ColumnInfo[]): ContractMismatch[] {
  const key = (n: string) => n.toLowerCase();
  const inDefinition = new Map(definition.map((c) => [key(c.name), c]));
  const inContract = new Set(contract.map((c) => key(c.name)));
  const out: ContractMismatch[] = [];
  for (const c of contract) {
    const d = inDefinition.get(key(c.name));
    if (!d) out.push({ column: c.name, definitionType: '', contractType: c.type, reason: 'missing in definition' });
    else if (baseType(d.type) !== baseType(c.type))
      out.push({ column: c.name, definitionType: d.type, contractType: c.type, reason: 'data type mismatch' });
  }
  for (const d of definition)
    if (!inContract.has(key(d.name)))
      out.push({ column: d.name, definitionType: d.type, contractType: '', reason: 'missing in contract' });
  return out;
}

export function formatMismatches(rows: ContractMismatch[]): string {
  const header = ['column_name', 'definition_type', 'contract_type', 'mismatch_reason'];
  const cells = rows.map((r) => [r.column, r.definitionType, r.contractType, r.reason]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (cs: string[]) => `| ${cs.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...cells.map(line)].join('\n');
}
