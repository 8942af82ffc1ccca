import { and, desc, eq, gte, ilike, lt, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { auditLog } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'

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

/** Newest-first audit records, keyset-paged by id. @throws AppError FORBIDDEN without audit.read. */
export const listAudit = async (db: DbOrTx, actor: Actor, f: AuditFilter) => {
  assertCan(actor, 'audit.read')
  const where: SQL[] = []
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
