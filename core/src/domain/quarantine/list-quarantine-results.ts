import { asc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { incidents, quarantineRecords } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'
import type { CopyPair } from './pull-mailboxes.ts'

/** Recipient types as the results show them. */
export const TYPE_TITLES: Record<string, string> = {
  original: 'Original Recipient',
  dl: 'Distribution List',
  forward: 'Forwarded',
  search: 'Search',
}

/** Per-recipient quarantine results of one incident (no provider secrets; folder names, not ids). @throws FORBIDDEN, NOT_FOUND */
export const listQuarantineResults = async (db: DbOrTx, actor: Actor, incidentId: number) => {
  assertCan(actor, 'incidents.read')
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, incidentId))
  assertVisible(actor, incident, 'incident')
  const rows = await db
    .select()
    .from(quarantineRecords)
    .where(eq(quarantineRecords.incidentId, incidentId))
    .orderBy(asc(quarantineRecords.id))
  return rows.map((r) => ({
    id: r.id,
    mailbox: r.mailbox,
    messageId: r.messageId,
    recipientType: TYPE_TITLES[r.recipientType] ?? r.recipientType,
    via: r.via,
    status: r.status,
    provider: r.provider,
    isRead: r.isRead,
    originalFolder: r.originalFolder,
    quarantineFolder: r.quarantineFolder,
    copies: (r.copies as CopyPair[]).length,
    wasUndone: r.undoneAt !== null,
    attempts: r.attempts,
    details: r.details,
    error: r.lastError,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    undoneAt: r.undoneAt,
  }))
}
