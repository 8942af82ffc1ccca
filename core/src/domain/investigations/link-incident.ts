import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidents, investigationIncidents } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertVisible } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addHistory } from '../incidents/incident-tx.ts'
import { addInvestigationHistory, withInvestigation } from './investigation-tx.ts'

/**
 * Links an incident to an investigation (idempotent); both must be visible to the actor. Recorded
 * in both histories. @throws AppError FORBIDDEN, NOT_FOUND.
 */
export const linkIncident = (db: Db, actor: Actor, id: number, incidentId: number) =>
  withInvestigation(db, actor, id, async (tx) => {
    const [inc] = await tx.select().from(incidents).where(eq(incidents.id, incidentId))
    assertVisible(actor, inc, 'incident')
    const [added] = await tx
      .insert(investigationIncidents)
      .values({ investigationId: id, incidentId, linkedBy: actor.userId })
      .onConflictDoNothing()
      .returning()
    if (added) {
      await addInvestigationHistory(tx, actor, id, { historyType: 'incident_linked', incidentId })
      await addHistory(tx, actor, incidentId, {
        historyType: 'investigation_linked',
        summary: `linked to investigation ${id}`,
      })
      await appendAudit(tx, actor, {
        action: 'investigation.link',
        objectType: 'investigation',
        objectId: id,
        after: { incidentId },
      })
    }
    return { linked: Boolean(added) }
  })
