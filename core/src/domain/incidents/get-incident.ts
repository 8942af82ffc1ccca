import type { Db } from '../../db/client.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { presentIncident } from './incident-tx.ts'

/**
 * One incident in the compatible shape (used by the native API and the UI as well), events expanded
 * unless `expand` is false. @throws AppError FORBIDDEN without incidents.read, NOT_FOUND when it
 * does not exist or is private to a team the actor is not in.
 */
export const getIncident = async (db: Db, actor: Actor, id: number, options: { expand?: boolean } = {}) => {
  assertCan(actor, 'incidents.read')
  return presentIncident(db, actor, id, options.expand ?? true)
}
