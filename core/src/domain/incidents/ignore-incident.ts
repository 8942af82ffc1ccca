import type { Db } from '../../db/client.ts'
import type { Actor } from '../../policy/actor.ts'
import { changeIncidentState } from './change-incident-state.ts'

/** Marks an incident ignored (noise); reopen undoes it. @throws AppError FORBIDDEN, NOT_FOUND. */
export const ignoreIncident = (db: Db, actor: Actor, incidentId: number, reason = '') =>
  changeIncidentState(db, actor, incidentId, 'ignored', reason)
