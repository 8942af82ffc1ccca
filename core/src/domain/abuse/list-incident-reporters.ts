import { asc, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { abuseReports, alerts, incidents, sources } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'

/**
 * The user reports behind an incident, oldest first: who reported (address and name), when, through
 * which abuse mailbox, how the original was found, and the alert whose report and original can be
 * downloaded. @throws AppError FORBIDDEN (alerts.read, or a private incident), NOT_FOUND.
 */
export const listIncidentReporters = async (db: Db, actor: Actor, incidentId: number) => {
  assertCan(actor, 'alerts.read')
  const [i] = await db.select().from(incidents).where(eq(incidents.id, incidentId))
  assertVisible(actor, i, 'incident')
  const rows = await db
    .select({ r: abuseReports, source: sources.name })
    .from(abuseReports)
    .innerJoin(alerts, eq(alerts.id, abuseReports.alertId))
    .innerJoin(sources, eq(sources.id, abuseReports.sourceId))
    .where(eq(alerts.incidentId, incidentId))
    .orderBy(asc(abuseReports.createdAt), asc(abuseReports.id))
  return rows.map(({ r, source }) => ({
    id: r.id,
    alertId: r.alertId,
    reporter: r.reporter,
    reporterName: r.reporterName,
    reportedAt: r.reportedAt?.toISOString() ?? null,
    receivedAt: r.createdAt.toISOString(),
    subject: r.subject,
    source,
    originalFormat: r.originalFormat,
    originalMessageId: r.originalMessageId,
  }))
}
