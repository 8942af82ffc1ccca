import { type SQL, sql } from 'drizzle-orm'
import { bigintArray } from '../../db/sql-arrays.ts'

/** `YYYY-MM-DDTHH:MM:SSZ` in UTC, whole seconds (API-COMPAT.md: clients parse it with a fixed format). */
export const isoZ = (col: SQL) => sql`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`

/** SQL twin of `visibleWhere` for raw queries over incident alias `i` (or investigations). */
export const visibleSql = (actor: { kind: string; teamIds: number[] }, alias = sql`i`) =>
  actor.kind === 'system'
    ? sql`true`
    : sql`(NOT ${alias}.is_private OR ${alias}.team_id = ANY(${bigintArray(actor.teamIds)}))`
