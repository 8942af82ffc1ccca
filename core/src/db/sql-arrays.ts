import { sql } from 'drizzle-orm'

// drizzle's `sql` template spreads a JS array into separate parameters; these pass one JSON
// parameter instead and build the PostgreSQL array server-side.

/** A `text[]` from one JSON parameter. */
export const textArray = (values: readonly string[]) =>
  sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(values)}::json))`

/** A `bigint[]` from one JSON parameter. */
export const bigintArray = (values: readonly number[]) =>
  sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(values)}::json)::bigint)`
