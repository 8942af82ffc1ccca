import { and, desc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { userNotifications } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { countUnread } from './count-unread-notifications.ts'
import { visibleNotifications } from './visible-notifications.ts'

/**
 * The actor's own notifications (an API key: its creator's), newest first, and how many are
 * unread — never another user's, never about an incident the actor can no longer see. An actor
 * that is no user (the system, a key without a creator) has none.
 */
export const listNotifications = async (db: DbOrTx, actor: Actor, opts: { limit?: number } = {}) => {
  if (actor.userId === null) return { items: [], unread: 0 }
  const mine = and(eq(userNotifications.userId, actor.userId), visibleNotifications(actor))
  const items = await db
    .select({
      id: userNotifications.id,
      incidentId: userNotifications.incidentId,
      kind: userNotifications.kind,
      message: userNotifications.message,
      readAt: userNotifications.readAt,
      createdAt: userNotifications.createdAt,
    })
    .from(userNotifications)
    .where(mine)
    .orderBy(desc(userNotifications.createdAt), desc(userNotifications.id))
    .limit(opts.limit ?? 100)
  return { items, unread: await countUnread(db, actor) }
}
