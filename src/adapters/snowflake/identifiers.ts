/**
 * Snowflake folds unquoted identifiers to upper case. kiln writes a name that is a plain
 * identifier unquoted (so `stg_orders` is the object STG_ORDERS, as dbt-snowflake with its
 * default `quoting: false` makes it), and quotes only what must be quoted: reserved words
 * (upper-cased, so they name the same object) and names that are not plain identifiers
 * (kept as written: `"Order Items"`).
 */
import { quoteDoubled } from '../sql.js';

/** Snowflake's reserved keywords: these cannot stand unquoted as identifiers. */
const reserved = new Set(
  `ALL ALTER AND ANY AS BETWEEN BY CASE CAST CHECK COLUMN CONNECT CONNECTION CONSTRAINT CREATE CROSS CURRENT
  CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DATABASE DELETE DISTINCT DROP ELSE EXISTS FALSE
  FOLLOWING FOR FROM FULL GRANT GROUP GSCLUSTER HAVING ILIKE IN INCREMENT INNER INSERT INTERSECT INTO IS ISSUE
  JOIN LATERAL LEFT LIKE LOCALTIME LOCALTIMESTAMP MINUS NATURAL NOT NULL OF ON OR ORDER ORGANIZATION QUALIFY
  REGEXP REVOKE RIGHT RLIKE ROW ROWS SAMPLE SCHEMA SELECT SET SOME START TABLE TABLESAMPLE THEN TO TRIGGER
  TRUE TRY_CAST UNION UNIQUE UPDATE USING VALUES VIEW WHEN WHENEVER WHERE WITH`.split(/\s+/),
);

const plain = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Whether `name` is an identifier Snowflake accepts unquoted (case aside). */
export function isPlainIdentifier(name: string): boolean {
  return plain.test(name) && !reserved.has(name.toUpperCase());
}

/** The name Snowflake stores for `name`: plain identifiers and reserved words upper-cased, anything else as written. */
export function storedName(name: string): string {
  return plain.test(name) ? name.toUpperCase() : name;
}

/** How `name` is written in SQL so that it names storedName(name). */
export function quoteIdentifier(name: string): string {
  if (isPlainIdentifier(name)) return name;
  return quoteDoubled(storedName(name));
}

/**
 * How a relation part already in its stored form is written: unquoted only when Snowflake's
 * folding gives it back unchanged, so a name stored as `Order Items` or `orders` stays itself.
 */
export function quoteStored(name: string): string {
  return isPlainIdentifier(name) && name === name.toUpperCase() ? name : quoteDoubled(name);
}

/**
 * Result column names as kiln's templates expect them: a column Snowflake upper-cased
 * (`select count(*) as failures` comes back as FAILURES) is given back in lower case, as
 * it was most likely written; a quoted mixed-case name is left alone.
 */
export function resultColumnName(name: string): string {
  return /^[A-Z_][A-Z0-9_$]*$/.test(name) ? name.toLowerCase() : name;
}
