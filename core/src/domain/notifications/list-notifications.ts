import { and, desc, eq, isNull, type SQL, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { incidents, userNotifications } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { visibleWhere } from '../../policy/index.ts'

/** Notifications of incidents the actor can (still) see, and those about no incident. */
const visible = (actor: Actor): SQL =>
  sql`(${userNotifications.incidentId} IS NULL OR EXISTS (SELECT 1 FROM ${incidents} WHERE ${incidents.id} = ${userNotifications.incidentId} AND ${visibleWhere(actor, incidents)}))`

/**
 * The actor's own notifications (an API key: its creator's), newest first, and how many are
 * unread — never another user's, never about an incident the actor can no longer see. An actor
 * that is no user (the system, a key without a creator) has none.
 */
export const listNotifications = async (db: DbOrTx, actor: Actor, opts: { limit?: number } = {}) => {
  if (actor.userId === null) return { items: [], unread: 0 }
  const mine = and(eq(userNotifications.userId, actor.userId), visible(actor))
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

/** The unread count alone (the top bar's badge): one query on the (user_id, read_at) index. */
export const countUnread = async (db: DbOrTx, actor: Actor) => {
  if (actor.userId === null) return 0
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(userNotifications)
    .where(and(eq(userNotifications.userId, actor.userId), isNull(userNotifications.readAt), visible(actor)))
  return row?.n ?? 0
}
