import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { markNotificationsRead } from '../../../core/src/domain/notifications/mark-notifications-read.ts'
import { redirect } from '../htmx.ts'

/** POST /notifications/read: marks all of the user's own notifications read (CSRF by the guard). */
export const notificationRead = async (c: Context<AppEnv>) => {
  await markNotificationsRead(c.var.deps.db, c.var.actor!, { all: true })
  return redirect(c, '/notifications')
}
