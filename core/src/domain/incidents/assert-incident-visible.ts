import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidents, investigations } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertVisible } from '../../policy/index.ts'

/**
 * Existence and visibility of the object a route addresses, checked before its input is parsed so
 * that a private object of another team answers 404 whatever the body (no leak through 400s).
 * @throws AppError NOT_FOUND.
 */
export const assertObjectVisible = async (db: Db, actor: Actor, kind: 'incident' | 'investigation', id: number) => {
  const table = kind === 'incident' ? incidents : investigations
  const [row] = await db
    .select({ isPrivate: table.isPrivate, teamId: table.teamId })
    .from(table)
    .where(eq(table.id, id))
  assertVisible(actor, row, kind)
}
