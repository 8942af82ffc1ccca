import { lt, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { sessions } from '../../db/schema/index.ts'

/** Deletes expired web sessions; returns how many. Idempotent by nature. */
export const purgeSessions = async (db: DbOrTx) => {
  const removed = await db.delete(sessions).where(lt(sessions.expiresAt, sql`now()`)).returning({ id: sessions.idHash })
  return { removed: removed.length }
}
