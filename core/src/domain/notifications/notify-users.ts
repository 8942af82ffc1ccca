import { sql } from 'drizzle-orm'
import type { PgBoss } from 'pg-boss'
import type { DbOrTx } from '../../db/client.ts'
import { userNotifications } from '../../db/schema/index.ts'
import { enqueue } from '../../jobs/enqueue.ts'
import { NOTIFY_CHANNEL, notificationEmailJob } from '../../jobs/notification-email.ts'

export type NotificationKind = 'assigned' | 'state_changed' | 'score' | 'response_finished' | 'response_failed'

/**
 * Notifies users about an incident, inside the caller's transaction: one in-app row per distinct
 * recipient (nulls and `exceptUserId`, the actor, dropped) and the e-mail part for all of them as
 * ONE `notification.email` job — enqueued in the transaction when the caller has `boss`, else
 * started by a NOTIFY that PostgreSQL delivers only on commit. Either way the rows are the outbox
 * (`emailed_at`), so a lost job or NOTIFY is caught by the job's schedule. Returns the row ids.
 */
export const notifyUsers = async (
  tx: DbOrTx,
  n: {
    userIds: (number | null | undefined)[]
    exceptUserId?: number | null
    incidentId: number | null
    kind: NotificationKind
    message: string
  },
  boss?: PgBoss,
) => {
  const to = [...new Set(n.userIds.filter((u): u is number => typeof u === 'number' && u !== n.exceptUserId))]
  if (to.length === 0) return []
  const rows = await tx
    .insert(userNotifications)
    .values(to.map((userId) => ({ userId, incidentId: n.incidentId, kind: n.kind, message: n.message.slice(0, 500) })))
    .returning({ id: userNotifications.id })
  const ids = rows.map((r) => r.id)
  if (boss) await enqueue(boss, tx, notificationEmailJob, { ids })
  else await tx.execute(sql`SELECT pg_notify(${NOTIFY_CHANNEL}, '')`)
  return ids
}
