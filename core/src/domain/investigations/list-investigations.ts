import { and, desc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { investigations } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, visibleAt, visibleWhere } from '../../policy/index.ts'

/**
 * Investigations visible to the actor, newest first, optionally by state; `incidentCount` counts
 * the linked incidents the actor may see. @throws AppError FORBIDDEN.
 */
export const listInvestigations = async (
  db: Db,
  actor: Actor,
  filter: { state?: string; limit?: number; beforeId?: number } = {},
) => {
  assertCan(actor, 'investigations.read')
  const where = [visibleWhere(actor, investigations)]
  if (filter.state) where.push(eq(investigations.state, filter.state))
  if (filter.beforeId) where.push(sql`${investigations.id} < ${filter.beforeId}`)
  const limit = Math.max(1, Math.min(filter.limit ?? 50, 500))
  const rows = await db
    .select({
      id: investigations.id,
      name: investigations.name,
      state: investigations.state,
      isPrivate: investigations.isPrivate,
      teamId: investigations.teamId,
      createdAt: investigations.createdAt,
      updatedAt: investigations.updatedAt,
      // only the linked incidents the actor may see: a count must not reveal private ones
      incidentCount: sql<number>`(SELECT count(*)::int FROM investigation_incidents x JOIN incidents i ON i.id = x.incident_id WHERE x.investigation_id = "investigations"."id" AND ${visibleAt(actor, 'i')})`,
    })
    .from(investigations)
    .where(and(...where))
    .orderBy(desc(investigations.id))
    .limit(limit + 1)
  return { items: rows.slice(0, limit), nextBeforeId: rows.length > limit ? rows[limit - 1]!.id : undefined }
}
