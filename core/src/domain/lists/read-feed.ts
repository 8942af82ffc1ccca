import { createHash } from 'node:crypto'
import { and, asc, eq } from 'drizzle-orm'
import { sha256 } from '../../auth/tokens.ts'
import type { Db } from '../../db/client.ts'
import { listMembers, lists } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import { notExpired } from './list-members.ts'

/**
 * The plain-text feed of a list (one canonical entry per line, unexpired members only) for the
 * token in its feed URL, with a strong ETag over the body so pollers can send If-None-Match.
 * @throws AppError NOT_FOUND for an unknown token.
 */
export const readFeed = async (db: Db, token: string) => {
  const [list] = await db
    .select()
    .from(lists)
    .where(eq(lists.feedTokenHash, sha256(token)))
  if (!list) throw notFound('feed')
  const rows = await db
    .select({ value: listMembers.value })
    .from(listMembers)
    .where(and(eq(listMembers.listId, list.id), notExpired))
    .orderBy(asc(listMembers.value))
  const body = rows.length ? `${rows.map((r) => r.value).join('\n')}\n` : ''
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` }
}
