import { type SQL, sql } from 'drizzle-orm'

/** `YYYY-MM-DDTHH:MM:SSZ` in UTC, whole seconds (API-COMPAT.md: clients parse it with a fixed format). */
export const isoZ = (col: SQL) => sql`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`
