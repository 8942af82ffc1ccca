import type { Db } from '../../db/client.ts'
import { incidentFields } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { fieldNameProblem } from '../../storable.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { FIELD_KINDS, type FieldKind } from './list-fields.ts'

/** Trims, drops blanks and duplicates; a select needs at least one option. @throws AppError INVALID_REQUEST. */
export const normaliseOptions = (kind: string, options: string[]) => {
  const clean = [...new Set(options.map((o) => o.trim()).filter(Boolean))]
  if (clean.some((o) => o.length > 200))
    throw new AppError('INVALID_REQUEST', 'options: each option at most 200 characters')
  if (clean.length > 200) throw new AppError('INVALID_REQUEST', 'options: at most 200 options')
  if (kind === 'select' && clean.length === 0)
    throw new AppError('INVALID_REQUEST', 'options: a select field needs at least one option')
  return kind === 'select' ? clean : []
}

/**
 * Defines a custom incident field (text, select, number or date). Audited.
 * @throws AppError FORBIDDEN without fields.manage, INVALID_REQUEST for a bad name, kind or options,
 *   CONFLICT when the name is taken (built-in names included).
 */
export const createField = async (db: Db, actor: Actor, input: { name: string; kind: string; options?: string[] }) => {
  assertCan(actor, 'fields.manage')
  const name = input.name.trim()
  if (!name || name.length > 100) throw new AppError('INVALID_REQUEST', 'name: 1 to 100 characters')
  const reserved = fieldNameProblem(name)
  if (reserved) throw new AppError('INVALID_REQUEST', `name: ${reserved}`)
  if (!FIELD_KINDS.includes(input.kind as FieldKind))
    throw new AppError('INVALID_REQUEST', `kind: one of ${FIELD_KINDS.join(', ')}`)
  const options = normaliseOptions(input.kind, input.options ?? [])
  return db.transaction(async (tx) => {
    const [field] = await tx
      .insert(incidentFields)
      .values({ name, kind: input.kind, options })
      .onConflictDoNothing()
      .returning()
    if (!field) throw new AppError('CONFLICT', `name: a field called ${name} already exists`)
    await appendAudit(tx, actor, {
      action: 'field.create',
      objectType: 'incident_field',
      objectId: field.id,
      after: { name, kind: field.kind, options },
    })
    return field
  })
}
