/**
 * Column lineage computed before the catalog is read, and checked once it is. Lineage reads
 * the catalog only through `get` (the columns of a relation that neither lineage nor YAML
 * knows), so a lineage computed with a guessed catalog (the last catalog.json, or none) is
 * exactly the one the real catalog gives when every relation it asked about has the same
 * columns in both: the guess records each question and its answer.
 */
import type { CatalogColumns, CatalogReader } from './project.js';

export interface CatalogGuess {
  /** What lineage reads instead of the catalog; records what it is asked. */
  readonly catalog: CatalogReader;
  /** Whether every answer given is the one `actual` gives. */
  holdsFor(actual: CatalogReader | undefined): boolean;
}

/** `read` gives the guess (the last catalog.json's columns): called on the first question, if any. */
export function guessCatalog(read: () => CatalogColumns | undefined): CatalogGuess {
  const answers = new Map<string, string[] | undefined>();
  let guess: { columns: CatalogColumns | undefined } | undefined;
  return {
    catalog: {
      get(id) {
        guess ??= { columns: read() };
        const columns = guess.columns?.get(id);
        answers.set(id, columns);
        return columns;
      },
    },
    holdsFor(actual) {
      for (const [id, given] of answers) if (!sameColumns(given, actual?.get(id))) return false;
      return true;
    },
  };
}

const sameColumns = (a: string[] | undefined, b: string[] | undefined) =>
  a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((c, i) => c === b[i]));
