import type { Db } from '../../db/client.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addHistory, touch, withIncident } from './incident-tx.ts'

/**
 * Adds a comment (`summary`, optional `detail`) to an incident; answers the history record.
 * @throws AppError FORBIDDEN, NOT_FOUND, INVALID_REQUEST for an empty comment.
 */
export const addComment = async (
  db: Db,
  actor: Actor,
  incidentId: number,
  input: { summary: string; detail?: string },
) => {
  const summary = input.summary.trim()
  if (!summary && !input.detail?.trim()) throw new AppError('INVALID_REQUEST', 'summary: required')
  return withIncident(db, actor, incidentId, async (tx) => {
    const h = await addHistory(tx, actor, incidentId, { historyType: 'comment', summary, detail: input.detail ?? '' })
    await touch(tx, incidentId)
    await appendAudit(tx, actor, {
      action: 'incident.comment',
      objectType: 'incident',
      objectId: incidentId,
      after: { historyId: h.id },
    })
    return h
  })
}
