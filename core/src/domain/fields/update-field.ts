import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidentFields } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { fieldNameProblem } from '../../storable.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { normaliseOptions } from './create-field.ts'

/**
 * Renames a custom field and/or replaces a select field's options. Built-in fields keep their
 * name (the compatible API addresses them by name) but their options may be extended.
 * Existing values are kept even when their option is removed (history stays readable). Audited.
 * @throws AppError FORBIDDEN without fields.manage, NOT_FOUND, INVALID_REQUEST, CONFLICT on a taken name.
 */
export const updateField = async (
  db: Db,
  actor: Actor,
  input: { fieldId: number; name?: string; options?: string[] },
) => {
  assertCan(actor, 'fields.manage')
  return db.transaction(async (tx) => {
    const [field] = await tx.select().from(incidentFields).where(eq(incidentFields.id, input.fieldId)).for('update')
    if (!field) throw new AppError('NOT_FOUND', `field ${input.fieldId} not found`)
    const name = input.name === undefined ? field.name : input.name.trim()
    if (!name || name.length > 100) throw new AppError('INVALID_REQUEST', 'name: 1 to 100 characters')
    const reserved = fieldNameProblem(name)
    if (reserved) throw new AppError('INVALID_REQUEST', `name: ${reserved}`)
    if (field.isBuiltin && name !== field.name)
      throw new AppError('INVALID_REQUEST', 'name: built-in fields cannot be renamed')
    const options = input.options === undefined ? field.options : normaliseOptions(field.kind, input.options)
    if (name !== field.name) {
      const [taken] = await tx
        .select({ id: incidentFields.id })
        .from(incidentFields)
        .where(eq(incidentFields.name, name))
      if (taken) throw new AppError('CONFLICT', `name: a field called ${name} already exists`)
    }
    const [row] = await tx
      .update(incidentFields)
      .set({ name, options })
      .where(eq(incidentFields.id, field.id))
      .returning()
    await appendAudit(tx, actor, {
      action: 'field.update',
      objectType: 'incident_field',
      objectId: field.id,
      before: { name: field.name, options: field.options },
      after: { name, options },
    })
    return row!
  })
}
