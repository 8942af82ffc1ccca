import { asc, gt } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { auditLog } from '../../db/schema/index.ts'
import { GENESIS, hashAuditRow } from './append-audit.ts'

export type AuditVerdict =
  | { ok: true; records: number }
  | { ok: false; records: number; brokenAt: number; reason: string }

/**
 * Recomputes the whole chain in id order, a page at a time (memory independent of log size).
 * Detects edited records (hash mismatch), deleted or reordered records (prev_hash mismatch).
 */
export const verifyAudit = async (db: DbOrTx, pageSize = 5000): Promise<AuditVerdict> => {
  let prev = GENESIS
  let after = 0
  let records = 0
  for (;;) {
    const page = await db
      .select()
      .from(auditLog)
      .where(gt(auditLog.id, after))
      .orderBy(asc(auditLog.id))
      .limit(pageSize)
    for (const row of page) {
      if (row.prevHash !== prev)
        return { ok: false, records, brokenAt: row.id, reason: 'a record before this one was deleted or changed' }
      if (hashAuditRow(prev, row) !== row.hash)
        return { ok: false, records, brokenAt: row.id, reason: 'this record was edited' }
      prev = row.hash
      records++
    }
    if (page.length < pageSize) return { ok: true, records }
    after = page.at(-1)!.id
  }
}
