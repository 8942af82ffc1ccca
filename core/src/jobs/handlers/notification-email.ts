import { sendNotificationEmails } from '../../domain/notifications/send-notification-emails.ts'
import { withHandler } from '../define-job.ts'
import { notificationEmailJob } from '../notification-email.ts'

export const notificationEmailWorker = withHandler(notificationEmailJob, (_data, ctx) => sendNotificationEmails(ctx))
