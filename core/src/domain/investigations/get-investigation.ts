import { and, asc, desc, eq, isNull, or } from 'drizzle-orm'
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
