import { and, eq, inArray, sql } from 'drizzle-orm'
import { ConnectorError } from '../../connectors/errors.ts'
import type { MailCopy } from '../../connectors/types.ts'
import { quarantineRecords } from '../../db/schema/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { bulkCall, connectorPool, isRetryable, type QuarantineContext } from './connector-calls.ts'
import type { CopyPair } from './pull-mailboxes.ts'
import { searchUnderMailboxLocks } from './search-under-locks.ts'

type Row = typeof quarantineRecords.$inferSelect

/**
 * Undoes the incident's quarantine: every copy this incident moved goes back to its original
 * folder with its original read state (a message the user had deleted goes back to Trash). Each
 * mailbox is searched again first, so a retried undo never moves twice (a recorded quarantine copy
 * that is no longer there counts as restored). Audited per mailbox with the initiator.
 * @throws ConnectorError unavailable when throttled/unavailable mailboxes remain (the job retries)
 */
export const restoreIncident = async (q: QuarantineContext) => {
  const pool = connectorPool(q)
  let isRetryLeft = false
  try {
    const rows = await q.db
      .select()
      .from(quarantineRecords)
      .where(
        and(
          eq(quarantineRecords.incidentId, q.incidentId),
          inArray(quarantineRecords.status, ['successful', 'failed', 'quarantining', 'restoring']),
        ),
      )
    const movable = rows.filter(
      (r) => r.connectorId && (r.copies as CopyPair[]).some((p) => p.original && p.quarantined),
    )
    for (const [connectorId, all] of Map.groupBy(movable, (r) => r.connectorId!)) {
      const left = await searchUnderMailboxLocks(
        q,
        pool,
        connectorId,
        all,
        'restore mail',
        async (group, found, mail, opened) => {
          const asks: { row: Row; pair: CopyPair; now: MailCopy }[] = []
          const skipped = new Set<number>()
          group.forEach((row, i) => {
            const a = found[i]!
            if (!a.ok) {
              isRetryLeft ||= isRetryable(a.error)
              skipped.add(row.id)
              return
            }
            for (const pair of row.copies as CopyPair[]) {
              const now = pair.original && a.value.copies.find((c) => c.providerId === pair.quarantined?.providerId)
              if (now) asks.push({ row, pair, now })
            }
          })
          const answers = await bulkCall(
            asks.map((x) => ({ quarantined: x.now, original: x.pair.original! })),
            (chunk) => mail.restore(chunk, opened.ctx),
            q.signal,
          )
          const failed = new Map<number, string>()
          answers.forEach((a, k) => {
            if (!a.ok) {
              isRetryLeft ||= isRetryable(a.error)
              failed.set(asks[k]!.row.id, a.error.message)
            }
          })
          for (const row of group) {
            if (skipped.has(row.id)) continue
            const err = failed.get(row.id)
            const restored = asks.filter((x, k) => x.row.id === row.id && answers[k]!.ok)
            await q.db.transaction(async (tx) => {
              await tx
                .update(quarantineRecords)
                .set(
                  err
                    ? { status: 'restoring', lastError: `undo: ${err}`.slice(0, 2000) }
                    : {
                        status: 'undone',
                        undoneAt: sql`now()`,
                        lastError: null,
                        details: `restored to ${[...new Set((row.copies as CopyPair[]).flatMap((p) => (p.original ? [p.original.folderName] : [])))].join(', ')}`,
                      },
                )
                .where(eq(quarantineRecords.id, row.id))
              await appendAudit(tx, q.actor, {
                action: 'quarantine.restore',
                objectType: 'incident',
                objectId: q.incidentId,
                after: {
                  mailbox: row.mailbox,
                  messageId: row.messageId,
                  connector: opened.row.name,
                  runId: q.runId,
                  to: restored.map((x) => x.pair.original!.folderName),
                  error: err ?? null,
                },
              })
            })
          }
        },
      )
      if (left.length > 0) isRetryLeft = true
    }
    if (isRetryLeft)
      throw new ConnectorError('unavailable', 'undo incomplete: throttled or unavailable mailboxes are retried')
    return { restored: movable.length }
  } finally {
    await pool.closeAll()
  }
}
