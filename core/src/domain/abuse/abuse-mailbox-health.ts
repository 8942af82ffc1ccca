import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { abuseMailboxState, sources } from '../../db/schema/index.ts'

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

/** Sources joined with their poller state (the health line's data). */
export const selectAbuseMailboxes = (db: DbOrTx) =>
  db
    .select({ source: sources, state: abuseMailboxState })
    .from(sources)
    .leftJoin(abuseMailboxState, eq(abuseMailboxState.sourceId, sources.id))
