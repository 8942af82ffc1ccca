import { and, eq, isNull, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { userNotifications } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { visibleNotifications } from './visible-notifications.ts'

/** The unread count alone (the top bar's badge): one query on the (user_id, read_at) index. */
export const countUnread = async (db: DbOrTx, actor: Actor) => {
  if (actor.userId === null) return 0
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(userNotifications)
    .where(
      and(eq(userNotifications.userId, actor.userId), isNull(userNotifications.readAt), visibleNotifications(actor)),
    )
  return row?.n ?? 0
}
