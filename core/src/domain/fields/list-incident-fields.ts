import { asc } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidentFields } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'

/** Every incident field definition (built-ins first). @throws AppError FORBIDDEN without incidents.read. */
export const listIncidentFields = async (db: Db, actor: Actor) => {
  assertCan(actor, 'incidents.read')
  return db.select().from(incidentFields).orderBy(asc(incidentFields.id))
}
