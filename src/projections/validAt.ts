import { type RawBuilder, sql } from 'kysely';

/**
 * The rows of a versioned table that hold at `asOf` (a global position), or now when `asOf` is
 * undefined: `valid_from <= P AND (valid_to IS NULL OR valid_to > P)`.
 */
export function validAt(table: string, asOf: number | undefined): RawBuilder<boolean> {
  const from = sql.ref(`${table}.valid_from`);
  const to = sql.ref(`${table}.valid_to`);
  if (asOf === undefined) return sql<boolean>`${to} is null`;
  return sql<boolean>`(${from} <= ${asOf} and (${to} is null or ${to} > ${asOf}))`;
}
