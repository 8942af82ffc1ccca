import { z } from 'zod'
import { jobSpec } from './define-job.ts'

/** NOTIFYed (on commit) by `notifyUsers` when its caller has no pg-boss handle. */
export const NOTIFY_CHANNEL = 'clawback_notifications'

/**
 * Sends the e-mail part of workflow notifications: drains the outbox (`user_notifications` rows
 * without `emailed_at`), whoever enqueued it — `notifyUsers` in its transaction, the NOTIFY, or
 * the schedule (the safety net). `ids` is informational: any run sends every pending row, so a
 * lost job delays an e-mail by a minute at most and never drops it. Idempotent: a row is sent
 * under its row lock and marked in the same transaction.
 */
export const notificationEmailJob = jobSpec({
  name: 'notification.email',
  payload: z.object({ ids: z.array(z.number().int().positive()).max(10_000).optional() }).passthrough(),
  queue: { retryLimit: 5, retryDelay: 10, retryBackoff: true, retryDelayMax: 300, expireInSeconds: 300, notify: true },
  cron: '* * * * *',
  notifyChannel: NOTIFY_CHANNEL,
})
