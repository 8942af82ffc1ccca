import type { QuarantineContext } from './connector-calls.ts'

/** First key of the per-mailbox advisory locks (the second is hashtext(mailbox)); unique in this code base. */
const NAMESPACE = 1_700_017
/**
 * Mailboxes worked per lock round. Each held mailbox is one entry in PostgreSQL's shared lock
 * table (max_locks_per_transaction × max_connections, 6,400 by default), so a round stays well
 * under it while keeping a connector's chunks (200, four at once) busy.
 */
export const SLICE = 800
/** How often mailboxes another run holds are asked for again. */
const RETRY_MS = 200

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    })
  })

/**
 * Runs `work` over `items`, a slice at a time, with only the items whose mailbox this run holds:
 * a session advisory lock per mailbox in PostgreSQL, so no two runs — in this process or in
 * another worker process on the same database — work one mailbox at the same time, and each
 * connector instance's per-mailbox limits (Graph's 4 concurrent requests, Gmail's per-user quota,
 * EWS back-off) hold for the whole deployment. Locks are only tried (never waited on while others
 * are held), so there is no deadlock; items whose mailbox is held elsewhere are tried again every
 * 200 ms. A killed process's connection closes and PostgreSQL drops its locks. Two mailboxes whose
 * hashes collide merely share a lock.
 * Answers the items left unworked because the signal aborted (empty otherwise).
 * @throws what `work` throws (the locks are released first)
 */
export const withMailboxLocks = async <T>(
  q: QuarantineContext,
  items: T[],
  mailboxOf: (item: T) => string,
  work: (held: T[]) => Promise<void>,
): Promise<T[]> => {
  if (items.length === 0) return []
  const conn = await q.db.$client.reserve()
  try {
    let pending = items
    while (pending.length > 0 && !q.signal.aborted) {
      const busy: T[] = []
      for (let i = 0; i < pending.length; i += SLICE) {
        const slice = pending.slice(i, i + SLICE)
        if (q.signal.aborted) {
          busy.push(...slice)
          continue
        }
        const keys = [...new Set(slice.map((t) => mailboxOf(t).toLowerCase()))]
        const rows = await conn<{ m: string; ok: boolean }[]>`
          SELECT m, pg_try_advisory_lock(${NAMESPACE}::int, hashtext(m)) AS ok FROM unnest(${conn.array(keys)}::text[]) AS m`
        const held = new Set(rows.filter((r) => r.ok).map((r) => r.m))
        const mine = slice.filter((t) => held.has(mailboxOf(t).toLowerCase()))
        busy.push(...slice.filter((t) => !held.has(mailboxOf(t).toLowerCase())))
        try {
          if (mine.length > 0) await work(mine)
        } finally {
          await conn`SELECT pg_advisory_unlock_all()`
        }
      }
      pending = busy
      if (pending.length > 0) await sleep(RETRY_MS, q.signal)
    }
    return pending
  } finally {
    conn.release()
  }
}
