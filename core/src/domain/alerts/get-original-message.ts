import { and, eq, isNotNull } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { alertEmails, alerts, incidents } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'
import { openBlob } from '../attachments/blob-store.ts'

/**
 * The original message (raw .eml) of an alert, when one was stored (abuse reports, uploads), and
 * only when the alert's incident is visible. @throws AppError FORBIDDEN without alerts.read, NOT_FOUND.
 */
export const getOriginalMessage = async (db: Db, actor: Actor, alertId: number, dataDir: string) => {
  assertCan(actor, 'alerts.read')
  const [a] = await db.select().from(alerts).where(eq(alerts.id, alertId))
  if (!a) throw notFound('alert')
  if (a.incidentId) {
    const [i] = await db.select().from(incidents).where(eq(incidents.id, a.incidentId))
    assertVisible(actor, i, 'alert')
  }
  const [email] = await db
    .select()
    .from(alertEmails)
    .where(and(eq(alertEmails.alertId, alertId), isNotNull(alertEmails.originalSha256)))
    .orderBy(alertEmails.id)
    .limit(1)
  const blob = email?.originalSha256 ? openBlob(dataDir, email.originalSha256) : undefined
  if (!blob) throw notFound('original message')
  return { blob, filename: `alert-${alertId}.eml` }
}
