import { and, asc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { abuseMailboxState, sources } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { presentSource } from '../sources/create-source.ts'
import { ABUSE_SOURCE_TYPE } from './abuse-settings.ts'

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null)

/** The health line of a source: last poll, last success, backlog, processed, last error, how it waits. */
export const presentHealth = (s: typeof abuseMailboxState.$inferSelect | null) => ({
  lastPollAt: iso(s?.lastPollAt),
  lastSuccessAt: iso(s?.lastSuccessAt),
  backlog: s?.backlog ?? null,
  processed: s?.processed ?? 0,
  lastError: s?.lastError ?? null,
  lastErrorAt: iso(s?.lastErrorAt),
  failures: s?.failures ?? 0,
  mode: s?.mode ?? null,
})

const select = (db: DbOrTx) =>
  db
    .select({ source: sources, state: abuseMailboxState })
    .from(sources)
    .leftJoin(abuseMailboxState, eq(abuseMailboxState.sourceId, sources.id))

/** Every abuse mailbox with its health line, by name. @throws AppError FORBIDDEN without sources.read. */
export const listAbuseMailboxes = async (db: DbOrTx, actor: Actor) => {
  assertCan(actor, 'sources.read')
  const rows = await select(db).where(eq(sources.type, ABUSE_SOURCE_TYPE)).orderBy(asc(sources.name))
  return rows.map((r) => ({ ...presentSource(r.source), health: presentHealth(r.state) }))
}

/** One abuse mailbox with its health line. @throws AppError FORBIDDEN, NOT_FOUND. */
export const getAbuseMailbox = async (db: DbOrTx, actor: Actor, id: number) => {
  assertCan(actor, 'sources.read')
  const [r] = await select(db).where(and(eq(sources.id, id), eq(sources.type, ABUSE_SOURCE_TYPE)))
  if (!r) throw notFound('abuse mailbox')
  return { ...presentSource(r.source), health: presentHealth(r.state) }
}
