import { asc } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidentFields } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

/**
 * Defines a custom incident field (`text`, or `select` with options), settable through
 * `updateIncidentFields` and the compatible `incident_fields.json`.
 * @throws AppError FORBIDDEN without fields.manage, INVALID_REQUEST, CONFLICT for a taken name.
 */
export const createIncidentField = async (
  db: Db,
  actor: Actor,
  input: { name: string; kind: 'text' | 'select'; options?: string[] },
) => {
  assertCan(actor, 'fields.manage')
  const name = input.name.trim()
  if (!name || name.length > 100) throw new AppError('INVALID_REQUEST', 'name: 1 to 100 characters')
  const options = [...new Set((input.options ?? []).map((o) => o.trim()).filter(Boolean))]
  if (input.kind === 'select' && options.length === 0)
    throw new AppError('INVALID_REQUEST', 'options: a select field needs at least one option')
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(incidentFields)
      .values({ name, kind: input.kind, options })
      .onConflictDoNothing()
      .returning()
    if (!row) throw new AppError('CONFLICT', `a field named ${name} already exists`)
    await appendAudit(tx, actor, {
      action: 'field.create',
      objectType: 'incident_field',
      objectId: row.id,
      after: { name, kind: row.kind, options },
    })
    return row
  })
}

/** Every incident field definition (built-ins first). @throws AppError FORBIDDEN without incidents.read. */
export const listIncidentFields = async (db: Db, actor: Actor) => {
  assertCan(actor, 'incidents.read')
  return db.select().from(incidentFields).orderBy(asc(incidentFields.id))
}
