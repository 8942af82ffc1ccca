import { and, asc, eq, sql } from 'drizzle-orm'
import { ConnectorError } from '../../connectors/errors.ts'
import { supports } from '../../connectors/types.ts'
import { connectors } from '../../db/schema/index.ts'
import type { JobContext } from '../../jobs/define-job.ts'
import { readNotificationSettings } from '../../settings/notifications.ts'
import { openConnector } from '../connectors/open-connector.ts'

type Pending = { id: number; incident_id: number | null; kind: string; message: string; email: string }

/** Fixed per notification, so a resend after a crash is recognisable as the same message. */
export const notificationMessageId = (id: number) => `<notification-${id}@clawback.invalid>`

/**
 * Sends every pending notification e-mail (plain text) through the configured smtp connector (or
 * the first enabled one). Rows nobody can receive — no address, disabled user, a private incident
 * the user no longer sees, older than a day — are closed without sending. Each row is sent under
 * its row lock (SKIP LOCKED: concurrent runs share the work) and marked in the same transaction,
 * so a crash can repeat at most the one message in flight, with the same Message-ID. A relay that
 * refuses the address permanently closes the row; a temporary failure throws (the queue retries).
 * @throws ConnectorError unavailable/auth from the relay
 */
export const sendNotificationEmails = async (ctx: Pick<JobContext, 'db' | 'keyring' | 'log' | 'signal'>) => {
  const { db } = ctx
  await db.execute(sql`
    UPDATE user_notifications n SET emailed_at = now()
      FROM users u
     WHERE n.emailed_at IS NULL AND u.id = n.user_id
       AND (coalesce(u.email, '') = '' OR u.is_disabled OR n.created_at < now() - interval '1 day'
            OR EXISTS (SELECT 1 FROM incidents i WHERE i.id = n.incident_id AND i.is_private
                       AND NOT EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = i.team_id AND m.user_id = n.user_id)))`)
  const settings = await readNotificationSettings(db)
  const [relay] = await db
    .select({ id: connectors.id })
    .from(connectors)
    .where(
      settings.connectorId
        ? eq(connectors.id, settings.connectorId)
        : and(eq(connectors.kind, 'smtp'), eq(connectors.isEnabled, true)),
    )
    .orderBy(asc(connectors.id))
    .limit(1)
  if (!relay) return { sent: 0, skipped: 'no smtp connector' }
  const opened = await openConnector(db, ctx.keyring, relay.id, { signal: ctx.signal, log: ctx.log })
  let sent = 0
  try {
    if (!supports(opened.connector, 'notify.email'))
      throw new ConnectorError('rejected', `connector ${opened.row.name} cannot send e-mail`)
    const mailer = opened.connector
    for (;;) {
      const more = await db.transaction(async (tx) => {
        const [n] = (await tx.execute(sql`
          SELECT n.id::int AS id, n.incident_id::int AS incident_id, n.kind, n.message, u.email
            FROM user_notifications n JOIN users u ON u.id = n.user_id
           WHERE n.emailed_at IS NULL AND coalesce(u.email, '') <> ''
           ORDER BY n.created_at LIMIT 1 FOR UPDATE OF n SKIP LOCKED`)) as unknown as Pending[]
        if (!n) return false
        try {
          await mailer.sendMail(
            {
              to: [n.email],
              subject: `[Clawback] ${n.message}`.replace(/[\r\n]+/g, ' ').slice(0, 200),
              text: `${n.message}\n${n.incident_id ? `\nIncident #${n.incident_id}\n` : ''}\n-- \nClawback workflow notification (${n.kind})\n`,
              messageId: notificationMessageId(n.id),
              headers: n.incident_id ? { 'X-Clawback-Incident': String(n.incident_id) } : {},
            },
            opened.ctx,
          )
          sent++
        } catch (err) {
          if (!(err instanceof ConnectorError && err.kind === 'rejected')) throw err
          ctx.log.warn({ notificationId: n.id, err: err.message }, 'notification e-mail refused; not retried')
        }
        await tx.execute(sql`UPDATE user_notifications SET emailed_at = now() WHERE id = ${n.id}`)
        return true
      })
      if (!more) return { sent }
    }
  } finally {
    await opened.close()
  }
}
