import { asc, desc } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { incidentFields } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'

export const FIELD_KINDS = ['text', 'select', 'number', 'date'] as const
export type FieldKind = (typeof FIELD_KINDS)[number]

/** Incident field definitions, built-ins first. Any signed-in actor may read them (incident pages need them). */
export const listFields = async (db: DbOrTx, _actor: Actor) =>
  db.select().from(incidentFields).orderBy(desc(incidentFields.isBuiltin), asc(incidentFields.id))
