import type { Db } from '../../db/client.ts'
import type { Actor } from '../../policy/actor.ts'
import { changeIncidentState } from './change-incident-state.ts'

/**
 * Reopens a closed or ignored incident (to `assigned` when it has an assignee, else `open`).
 * @throws AppError FORBIDDEN, NOT_FOUND, CONFLICT when it is not closed or ignored.
 */
export const reopenIncident = (db: Db, actor: Actor, incidentId: number, reason = '') =>
  changeIncidentState(db, actor, incidentId, 'open', reason)
