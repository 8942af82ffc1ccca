import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { attachments, investigationHistory, investigationIncidents, investigations } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addHistory } from '../incidents/incident-tx.ts'
import { lockInvestigation } from './investigation-tx.ts'

/**
 * Deletes an investigation opened by mistake: its links go (each linked incident's history says
 * so; the incidents themselves are untouched) and the audit record keeps what it was.
 *
 * An investigation holding comments or attachments is refused: those are analysts' evidence and
 * exist nowhere else. Such an investigation is closed instead (`PATCH state: closed`).
 * @throws AppError FORBIDDEN without investigations.write, NOT_FOUND (also when private to another
 *   team), CONFLICT when it has comments or attachments.
 */
export const deleteInvestigation = async (db: Db, actor: Actor, id: number) => {
  assertCan(actor, 'investigations.write')
  return db.transaction(async (tx) => {
    const inv = await lockInvestigation(tx, actor, id)
    const [{ comments }] = (await tx
      .select({ comments: sql<number>`count(*)::int` })
      .from(investigationHistory)
      .where(and(eq(investigationHistory.investigationId, id), eq(investigationHistory.historyType, 'comment')))) as [
      { comments: number },
    ]
    const [{ files }] = (await tx
      .select({ files: sql<number>`count(*)::int` })
      .from(attachments)
      .where(eq(attachments.investigationId, id))) as [{ files: number }]
    if (comments > 0 || files > 0)
      throw new AppError(
        'CONFLICT',
        `investigation has ${comments} comment(s) and ${files} attachment(s) and cannot be deleted without losing evidence; close it instead (state: closed)`,
      )
    const linked = await tx
      .select({ incidentId: investigationIncidents.incidentId })
      .from(investigationIncidents)
      .where(eq(investigationIncidents.investigationId, id))
    for (const { incidentId } of linked)
      await addHistory(tx, actor, incidentId, {
        historyType: 'investigation_unlinked',
        summary: `investigation ${id} (${inv.name}) deleted`,
      })
    await tx.delete(investigations).where(eq(investigations.id, id))
    await appendAudit(tx, actor, {
      action: 'investigation.delete',
      objectType: 'investigation',
      objectId: id,
      before: {
        name: inv.name,
        state: inv.state,
        teamId: inv.teamId,
        isPrivate: inv.isPrivate,
        incidentIds: linked.map((l) => l.incidentId),
      },
    })
    return { id: inv.id, name: inv.name, deleted: true }
  })
}
