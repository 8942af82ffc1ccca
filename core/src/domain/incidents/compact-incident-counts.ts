import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'

/** Folds the delta rows of incident_state_counts (one row per scope and state remains); returns how many it folded. */
export const compactIncidentCounts = async (db: Db) =>
  Number((await db.execute<{ n: number }>(sql`SELECT incident_state_counts_compact() AS n`))[0]?.n ?? 0)
