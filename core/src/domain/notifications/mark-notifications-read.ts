import { and, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { userNotifications } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'

/**
 * Marks the actor's own notifications read: the given ids, or all. Ids of other users' rows are
 * ignored (never revealed, never touched). Returns how many changed (none for an actor that is no user).
 */
export const markNotificationsRead = async (db: Db, actor: Actor, which: { ids: number[] } | { all: true }) => {
  if (actor.userId === null) return { marked: 0 }
  const rows = await db
    .update(userNotifications)
    .set({ readAt: sql`now()` })
    .where(
      and(
        eq(userNotifications.userId, actor.userId),
        isNull(userNotifications.readAt),
        'ids' in which ? inArray(userNotifications.id, which.ids.length ? which.ids : [0]) : undefined,
      ),
    )
    .returning({ id: userNotifications.id })
  return { marked: rows.length }
}
