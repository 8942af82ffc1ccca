import { and, asc, desc, eq, isNull, or, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import {
  attachments,
  incidents,
  investigationHistory,
  investigationIncidents,
  investigations,
} from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible, visibleAt, visibleWhere } from '../../policy/index.ts'

/**
 * One investigation with its linked incidents (only those the actor may see), history (comments
 * included; not the entries about incidents the actor may not see) and attachments. @throws AppError FORBIDDEN, NOT_FOUND (also when private to another team).
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
  // entries about an incident the actor may not see (linked, unlinked) would name it: left out
  const history = (
    await db
      .select({ entry: investigationHistory })
      .from(investigationHistory)
      .leftJoin(incidents, eq(incidents.id, investigationHistory.incidentId))
      .where(
        and(
          eq(investigationHistory.investigationId, id),
          or(isNull(investigationHistory.incidentId), visibleWhere(actor, incidents)),
        ),
      )
      .orderBy(asc(investigationHistory.id))
  ).map((r) => r.entry)
  const files = await db
    .select()
    .from(attachments)
    .where(eq(attachments.investigationId, id))
    .orderBy(desc(attachments.id))
  return { ...inv, incidents: linked, history, attachments: files }
}

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
