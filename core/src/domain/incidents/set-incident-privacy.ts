import type { DbOrTx } from '../../db/client.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addHistory, touch, withIncident } from './incident-tx.ts'

/**
 * Makes an incident private to its team (which the actor must be in) or public again. A private
 * incident is then invisible to non-members on every path (lists, counts, search, compatible API).
 * @throws AppError FORBIDDEN, NOT_FOUND, INVALID_REQUEST when it has no team or the actor is not in it.
 */
export const setIncidentPrivacy = async (db: DbOrTx, actor: Actor, incidentId: number, isPrivate: boolean) =>
  withIncident(db, actor, incidentId, async (tx, row) => {
    if (row.isPrivate === isPrivate) return { changed: false }
    if (isPrivate && (row.teamId === null || (actor.kind !== 'system' && !actor.teamIds.includes(row.teamId)))) {
      throw new AppError('INVALID_REQUEST', 'isPrivate: assign the incident to a team you are in first')
    }
    await touch(tx, incidentId, { isPrivate })
    await addHistory(tx, actor, incidentId, {
      historyType: 'field_change',
      field: 'private',
      stateFrom: String(row.isPrivate),
      stateTo: String(isPrivate),
    })
    await appendAudit(tx, actor, {
      action: 'incident.privacy',
      objectType: 'incident',
      objectId: incidentId,
      before: { isPrivate: row.isPrivate },
      after: { isPrivate },
    })
    return { changed: true }
  })
