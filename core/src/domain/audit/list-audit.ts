import { and, desc, eq, gte, ilike, lt, not, type SQL, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { auditLog } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, visibleAt } from '../../policy/index.ts'

export type AuditFilter = {
  action?: string
  actor?: string
  objectType?: string
  objectId?: string
  since?: Date
  until?: Date
  before?: number
  limit?: number
}

/** A text that is an id as bigint, else NULL (which matches no row): a cast that never fails. */
const asId = (text: SQL) => sql`(CASE WHEN ${text} ~ '^[0-9]{1,18}$' THEN (${text})::bigint END)`

/**
 * SQL that is true for a record the actor may not see: one about an incident or investigation
 * private to a team the actor is not in (its close summary, fields, names, attachments…), or one
 * naming such an incident (an investigation's link, unlink or deletion). Privacy is the object's
 * current one, as on every other read; a deleted investigation keeps the privacy its deletion
 * record states. Never NULL (NOT NULL would hide every record); every cast is guarded by asId.
 */
const aboutInvisible = (actor: Actor): SQL => {
  const teams = sql`${`{${actor.teamIds.join(',')}}`}::bigint[]`
  const hidden = (table: 'incidents' | 'investigations', id: SQL) =>
    sql`EXISTS (SELECT 1 FROM ${sql.raw(table)} o WHERE o.id = ${id} AND NOT ${visibleAt(actor, 'o')})`
  const objectId = asId(sql`${auditLog.objectId}`)
  const deletedPrivate = sql`NOT EXISTS (SELECT 1 FROM investigations o WHERE o.id = ${objectId})
    AND EXISTS (SELECT 1 FROM audit_log d WHERE d.object_type = 'investigation' AND d.object_id = ${auditLog.objectId}
      AND d.action = 'investigation.delete' AND d.before->>'isPrivate' = 'true'
      AND NOT coalesce(${asId(sql`d.before->>'teamId'`)} = ANY(${teams}), false))`
  const namedIncidents = sql`EXISTS (SELECT 1 FROM jsonb_array_elements_text(${auditLog.before}->'incidentIds') e(v)
    WHERE ${hidden('incidents', asId(sql`e.v`))})`
  return sql`(CASE ${auditLog.objectType}
      WHEN 'incident' THEN ${hidden('incidents', objectId)}
      WHEN 'investigation' THEN ${hidden('investigations', objectId)} OR (${deletedPrivate})
      ELSE false END
    OR ${hidden('incidents', asId(sql`${auditLog.after}->>'incidentId'`))}
    OR CASE WHEN jsonb_typeof(${auditLog.before}->'incidentIds') = 'array' THEN ${namedIncidents} ELSE false END)`
}

/**
 * Newest-first audit records, keyset-paged by id, without the records about private objects the
 * actor may not see (the same rule as every other read; `verifyAudit` still checks the whole chain).
 * @throws AppError FORBIDDEN without audit.read.
 */
export const listAudit = async (db: DbOrTx, actor: Actor, f: AuditFilter) => {
  assertCan(actor, 'audit.read')
  const where: SQL[] = []
  if (actor.kind !== 'system') where.push(not(aboutInvisible(actor)))
  if (f.action) where.push(ilike(auditLog.action, `${f.action.replace(/[%_]/g, '\\$&')}%`))
  if (f.actor) where.push(eq(auditLog.actorLabel, f.actor))
  if (f.objectType) where.push(eq(auditLog.objectType, f.objectType))
  if (f.objectId) where.push(eq(auditLog.objectId, f.objectId))
  if (f.since) where.push(gte(auditLog.at, f.since))
  if (f.until) where.push(lt(auditLog.at, f.until))
  if (f.before) where.push(lt(auditLog.id, f.before))
  return db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(Math.min(f.limit ?? 100, 1000))
}
