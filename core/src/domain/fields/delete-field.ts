import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { incidentFields } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

/**
 * Deletes a custom field and every value of it on incidents (audited). Built-ins cannot be deleted.
 * @throws AppError FORBIDDEN without fields.manage, NOT_FOUND, INVALID_REQUEST for a built-in field.
 */
export const deleteField = async (db: Db, actor: Actor, fieldId: number) => {
  assertCan(actor, 'fields.manage')
  return db.transaction(async (tx) => {
    const [field] = await tx.select().from(incidentFields).where(eq(incidentFields.id, fieldId)).for('update')
    if (!field) throw new AppError('NOT_FOUND', `field ${fieldId} not found`)
    if (field.isBuiltin) throw new AppError('INVALID_REQUEST', 'field: built-in fields cannot be deleted')
    await tx.delete(incidentFields).where(eq(incidentFields.id, field.id))
    await appendAudit(tx, actor, {
      action: 'field.delete',
      objectType: 'incident_field',
      objectId: field.id,
      before: { name: field.name, kind: field.kind, options: field.options },
    })
    return field
  })
}
