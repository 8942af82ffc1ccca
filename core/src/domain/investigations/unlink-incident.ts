import { and, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidents, investigationIncidents } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertVisible } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addHistory } from '../incidents/incident-tx.ts'
import { addInvestigationHistory, withInvestigation } from './investigation-tx.ts'

/** Unlinks an incident. @throws AppError FORBIDDEN, NOT_FOUND (also when it was not linked). */
export const unlinkIncident = (db: Db, actor: Actor, id: number, incidentId: number) =>
  withInvestigation(db, actor, id, async (tx) => {
    const [inc] = await tx.select().from(incidents).where(eq(incidents.id, incidentId))
    assertVisible(actor, inc, 'incident')
    const [gone] = await tx
      .delete(investigationIncidents)
      .where(and(eq(investigationIncidents.investigationId, id), eq(investigationIncidents.incidentId, incidentId)))
      .returning()
    if (!gone) throw notFound('linked incident')
    await addInvestigationHistory(tx, actor, id, { historyType: 'incident_unlinked', incidentId })
    await addHistory(tx, actor, incidentId, {
      historyType: 'investigation_unlinked',
      summary: `unlinked from investigation ${id}`,
    })
    await appendAudit(tx, actor, {
      action: 'investigation.unlink',
      objectType: 'investigation',
      objectId: id,
      after: { incidentId },
    })
    return { unlinked: true }
  })
