import { createHash } from 'node:crypto'
import { desc, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { auditLog } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'

export const GENESIS = '0'.repeat(64)
const AUDIT_LOCK = 0x61756474 // 'audt'

export type AuditEntry = {
  action: string
  objectType?: string
  objectId?: string | number
  before?: unknown
  after?: unknown
}

export type AuditRow = typeof auditLog.$inferSelect

/** Key-sorted JSON, so the hash does not depend on how jsonb reorders keys. */
export const canonical = (value: unknown): string => {
  if (value === null || value === undefined) return 'null'
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(value)
}

export const hashAuditRow = (prevHash: string, row: Omit<AuditRow, 'id' | 'hash' | 'prevHash'>) =>
  createHash('sha256')
    .update(prevHash)
    .update(
      canonical({
        at: row.at.toISOString(),
        actorUserId: row.actorUserId,
        actorLabel: row.actorLabel,
        action: row.action,
        objectType: row.objectType,
        objectId: row.objectId,
        before: row.before,
        after: row.after,
        ip: row.ip,
        requestId: row.requestId,
      }),
    )
    .digest('hex')

/**
 * Appends one record to the hash-chained audit log inside the caller's transaction (so the record
 * commits with the change it describes). Appends are serialised by a transaction-scoped advisory
 * lock so the chain never forks.
 */
export const appendAudit = async (tx: DbOrTx, actor: Actor, entry: AuditEntry) => {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`)
  const [last] = await tx.select({ hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.id)).limit(1)
  const row = {
    at: new Date(),
    actorUserId: actor.userId ?? null,
    actorLabel: actor.label,
    action: entry.action,
    objectType: entry.objectType ?? null,
    objectId: entry.objectId === undefined ? null : String(entry.objectId),
    before: (entry.before ?? null) as unknown,
    after: (entry.after ?? null) as unknown,
    ip: actor.ip ?? null,
    requestId: actor.requestId ?? null,
  }
  const prevHash = last?.hash ?? GENESIS
  const [inserted] = await tx
    .insert(auditLog)
    .values({ ...row, prevHash, hash: hashAuditRow(prevHash, row) })
    .returning({ id: auditLog.id })
  return inserted!.id
}
