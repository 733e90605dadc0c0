/** Parses a time given in a config or a flag: a date or an ISO timestamp, UTC unless it has an offset. */
export function parseTime(value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value instanceof Date) return value;
  const text = String(value).trim().replace(' ', 'T');
  const withZone =
    /([zZ]|[+-]\d\d:?\d\d)$/.test(text) || !text.includes('T')
      ? text.includes('T')
        ? text
        : `${text}T00:00:00Z`
      : `${text}Z`;
  const d = new Date(withZone);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
