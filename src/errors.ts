/**
 * Errors are values: a kind, a message, where it happened and how to fix it.
 * The CLI turns a KilnError into one clear message and an exit code; anything
 * else escaping to the CLI is a bug and is shown with its stack only under --debug.
 */
export type ErrorKind =
  | 'config' // dbt_project.yml / profiles.yml / CLI flags
  | 'yaml' // YAML syntax or shape
  | 'template' // Jinja syntax or render error
  | 'graph' // cycles, missing refs/sources, duplicates
  | 'selection' // malformed selectors
  | 'database' // a SQL error reported by the warehouse
  | 'connection' // the warehouse could not be reached
  | 'internal';

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
}

export class KilnError extends Error {
  readonly kind: ErrorKind;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly hint?: string;
  /** True for transient warehouse failures that a retry may cure. */
  readonly retryable: boolean;
  /** For a warehouse error: the statement sent, so the line it reports can be traced to the model's file. */
  readonly statement?: string;

  constructor(
    kind: ErrorKind,
    message: string,
    opts: ErrorLocation & { hint?: string; cause?: unknown; retryable?: boolean; statement?: string } = {},
  ) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'KilnError';
    this.kind = kind;
    this.file = opts.file;
    this.line = opts.line;
    this.column = opts.column;
    this.hint = opts.hint;
    this.retryable = opts.retryable ?? false;
    this.statement = opts.statement;
  }

  /** Bad input (exit 2) as opposed to failed work (exit 1). */
  get isInputError(): boolean {
    return ['config', 'yaml', 'template', 'graph', 'selection'].includes(this.kind);
  }

  /** One human-readable block: where, what, how to fix. */
  format(): string {
    let where = '';
    if (this.file) {
      where = this.file;
      if (this.line) where += `:${this.line}`;
      if (this.line && this.column) where += `:${this.column}`;
      where += ': ';
    }
    let text = `${where}${this.message}`;
    if (this.hint) text += `\n  hint: ${this.hint}`;
    return text;
  }
}

export function isKilnError(e: unknown): e is KilnError {
  return e instanceof KilnError;
}

export function errorMessage(e: unknown): string {
  if (e instanceof KilnError) return e.format();
  if (e instanceof Error) return e.message;
  return String(e);
}
