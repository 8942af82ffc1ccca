import { and, asc, desc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import {
  attachments,
  incidents,
  investigationHistory,
  investigationIncidents,
  investigations,
} from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible, visibleWhere } from '../../policy/index.ts'

/**
 * One investigation with its linked incidents (only those the actor may see), history (comments
 * included) and attachments. @throws AppError FORBIDDEN, NOT_FOUND (also when private to another team).
 */
export const getInvestigation = async (db: Db, actor: Actor, id: number) => {
  assertCan(actor, 'investigations.read')
  const [row] = await db.select().from(investigations).where(eq(investigations.id, id))
  const inv = assertVisible(actor, row, 'investigation')
  const linked = await db
    .select({
      id: incidents.id,
      state: incidents.state,
      type: incidents.type,
      summary: incidents.summary,
      severity: incidents.severity,
      linkedAt: investigationIncidents.linkedAt,
    })
    .from(investigationIncidents)
    .innerJoin(incidents, eq(incidents.id, investigationIncidents.incidentId))
    .where(and(eq(investigationIncidents.investigationId, id), visibleWhere(actor, incidents)))
    .orderBy(asc(incidents.id))
  const history = await db
    .select()
    .from(investigationHistory)
    .where(eq(investigationHistory.investigationId, id))
    .orderBy(asc(investigationHistory.id))
  const files = await db
    .select()
    .from(attachments)
    .where(eq(attachments.investigationId, id))
    .orderBy(desc(attachments.id))
  return { ...inv, incidents: linked, history, attachments: files }
}

/** Investigations visible to the actor, newest first, optionally by state. @throws AppError FORBIDDEN. */
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
      incidentCount: sql<number>`(SELECT count(*)::int FROM investigation_incidents x WHERE x.investigation_id = ${investigations.id})`,
    })
    .from(investigations)
    .where(and(...where))
    .orderBy(desc(investigations.id))
    .limit(limit + 1)
  return { items: rows.slice(0, limit), nextBeforeId: rows.length > limit ? rows[limit - 1]!.id : undefined }
}
