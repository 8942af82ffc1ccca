import { type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { textArray } from '../../db/sql-arrays.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, visibleAt } from '../../policy/index.ts'
import { isPgTimestamp } from '../../storable.ts'
import { type CompatSelection, loadCompatIncidents } from './compat-incidents.ts'

export type CompatFilter = {
  states?: string[]
  createdAfter?: Date
  createdBefore?: Date
  closedAfter?: Date
  closedBefore?: Date
  messageIds?: string[]
  expand: boolean
  /** optional paging (Clawback extension): page size and the opaque cursor of the previous page */
  pageSize?: number
  cursor?: string
  /** `limit=N` without any lower bound: the N most recent incidents */
  recent?: number
}

const STATES = new Set(['new', 'open', 'assigned', 'closed', 'ignored'])
const DEFAULT_WINDOW_MS = 30 * 86400_000
const STREAM_PAGE = 250

type Cursor = { at: string; id: number }
export const encodeCursor = (c: Cursor) => Buffer.from(`${c.at}|${c.id}`).toString('base64url')
const decodeCursor = (s: string): Cursor => {
  const [at, id] = Buffer.from(s, 'base64url').toString('utf8').split('|')
  if (!at || !id || !/^\d{1,15}$/.test(id) || !isPgTimestamp(at))
    throw new AppError('INVALID_REQUEST', 'cursor: not a cursor this server issued')
  return { at, id: Number(id) }
}

const whereOf = (actor: Actor, f: CompatFilter): SQL => {
  const parts: SQL[] = [visibleAt(actor, 'i')]
  if (f.states?.length) {
    const bad = f.states.filter((s) => !STATES.has(s))
    if (bad.length) throw new AppError('INVALID_REQUEST', `state: unknown state ${bad.join(', ')}`)
    parts.push(sql`i.state::text = ANY(${textArray(f.states)})`)
  }
  const hasLower = f.createdAfter || f.closedAfter || f.messageIds?.length || f.recent
  const createdAfter = f.createdAfter ?? (hasLower ? undefined : new Date(Date.now() - DEFAULT_WINDOW_MS))
  // Half-open windows: *_after inclusive, *_before exclusive; a missing *_before means now.
  if (createdAfter) parts.push(sql`i.created_at >= ${createdAfter.toISOString()}::timestamptz`)
  parts.push(sql`i.created_at < ${(f.createdBefore ?? new Date()).toISOString()}::timestamptz`)
  if (f.closedAfter) parts.push(sql`i.closed_at >= ${f.closedAfter.toISOString()}::timestamptz`)
  if (f.closedAfter || f.closedBefore)
    parts.push(sql`i.closed_at < ${(f.closedBefore ?? new Date()).toISOString()}::timestamptz`)
  if (f.messageIds?.length) {
    parts.push(
      sql`i.id IN (SELECT a.incident_id FROM alert_emails e JOIN alerts a ON a.id = e.alert_id WHERE e.message_id = ANY(${textArray(f.messageIds)}))`,
    )
  }
  return sql.join(parts, sql` AND `)
}

/**
 * The compatible incident list (`GET /api/incidents`): incidents visible to the actor matching the
 * filter, ordered by (created_at, id). Returns either one page (`pageSize`, with `nextCursor`),
 * the most recent N (`recent`), or — the compatible default — an async iterator of JSON text
 * chunks forming one array, fetched in keyset pages so memory does not grow with the window.
 * @throws AppError FORBIDDEN without incidents.read, INVALID_REQUEST for an unknown state or cursor.
 */
export const listCompatIncidents = (db: Db, actor: Actor, f: CompatFilter) => {
  assertCan(actor, 'incidents.read')
  const where = whereOf(actor, f)
  const page = (after: Cursor | undefined, selection: Omit<CompatSelection, 'where'>) => {
    const keyset = after ? sql` AND (i.created_at, i.id) > (${after.at}::timestamptz, ${after.id})` : sql``
    return loadCompatIncidents(db, { where: sql`${where}${keyset}`, ...selection }, f.expand)
  }
  if (f.recent) {
    const recent = f.recent
    return {
      kind: 'page' as const,
      load: async () => {
        const { json } = await loadCompatIncidents(db, { where, limit: recent, newest: true }, f.expand)
        return { body: `[${json}]`, nextCursor: undefined as string | undefined }
      },
    }
  }
  if (f.pageSize) {
    const size = f.pageSize
    return {
      kind: 'page' as const,
      load: async () => {
        const { incidents, json, hasMore } = await page(f.cursor ? decodeCursor(f.cursor) : undefined, {
          limit: size + 1,
          show: size,
        })
        const last = incidents[incidents.length - 1]
        return {
          body: `[${json}]`,
          nextCursor: hasMore && last ? encodeCursor({ at: last.at, id: Number(last.id) }) : undefined,
        }
      },
    }
  }
  const start = f.cursor ? decodeCursor(f.cursor) : undefined
  return {
    kind: 'stream' as const,
    async *chunks() {
      let first = true
      yield '['
      // A page's PostgreSQL work starts as soon as the previous page's incidents (and so its
      // keyset cursor) are known, so PostgreSQL reads page N+1 while Node presents and writes page N.
      const startPage = (after: Cursor | undefined) => {
        let next!: (c: Cursor | undefined) => void
        const cursor = new Promise<Cursor | undefined>((resolve) => {
          next = resolve
        })
        const rows = page(after, {
          limit: STREAM_PAGE,
          onIncidents: (incs) => {
            const last = incs[incs.length - 1]
            next(incs.length < STREAM_PAGE || !last ? undefined : { at: last.at, id: Number(last.id) })
          },
        })
        rows.catch(() => next(undefined)) // a client that went away must not leave an unhandled rejection
        return { cursor, rows }
      }
      let current: ReturnType<typeof startPage> | undefined = startPage(start)
      while (current) {
        const after: Cursor | undefined = await current.cursor
        const following: ReturnType<typeof startPage> | undefined = after ? startPage(after) : undefined
        const { json } = await current.rows
        current = following
        if (json === '') break
        yield first ? json : `,${json}`
        first = false
      }
      yield ']'
    },
  }
}
