import { asc, desc, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { attachments, incidentHistory, incidents } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'

/**
 * An incident's full history (field and disposition changes, state, assignment, comments, links)
 * oldest first, and its attachments newest first — for the incident page.
 * @throws AppError FORBIDDEN without incidents.read, NOT_FOUND when invisible.
 */
export const getIncidentActivity = async (db: Db, actor: Actor, incidentId: number) => {
  assertCan(actor, 'incidents.read')
  const [row] = await db
    .select({ isPrivate: incidents.isPrivate, teamId: incidents.teamId })
    .from(incidents)
    .where(eq(incidents.id, incidentId))
  assertVisible(actor, row, 'incident')
  const history = await db
    .select()
    .from(incidentHistory)
    .where(eq(incidentHistory.incidentId, incidentId))
    .orderBy(asc(incidentHistory.id))
  const files = await db
    .select()
    .from(attachments)
    .where(eq(attachments.incidentId, incidentId))
    .orderBy(desc(attachments.id))
  return { history, attachments: files }
}
