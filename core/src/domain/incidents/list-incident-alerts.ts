import { and, asc, between, eq, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../../db/client.ts'
import { alertEmails, alerts, incidents, sources } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, canSee } from '../../policy/index.ts'

/**
 * One page of an incident's alerts (oldest first) with their e-mails; the raw payload is not
 * loaded. No visibility check: callers that already checked the incident use it directly.
 */
export const loadAlertPage = async (db: DbOrTx, incidentId: number, offset: number, limit: number) => {
  const rows = await db
    .select({
      id: alerts.id,
      receivedAt: alerts.receivedAt,
      classification: alerts.classification,
      severity: alerts.severity,
      summary: alerts.summary,
      description: alerts.description,
      attackDirection: alerts.attackDirection,
      attackers: alerts.attackers,
      targets: alerts.targets,
      threatInfo: alerts.threatInfo,
      isFalsePositive: alerts.isFalsePositive,
      source: sources.name,
    })
    .from(alerts)
    .leftJoin(sources, eq(sources.id, alerts.sourceId))
    .where(eq(alerts.incidentId, incidentId))
    .orderBy(asc(alerts.id))
    .offset(offset)
    .limit(limit)
  if (rows.length === 0) return []
  const emails = (
    await db
      .select({ email: alertEmails })
      .from(alertEmails)
      .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
      .where(and(eq(alerts.incidentId, incidentId), between(alertEmails.alertId, rows[0]!.id, rows.at(-1)!.id)))
      .orderBy(asc(alertEmails.id))
  ).map((r) => r.email)
  const byAlert = new Map<number, typeof emails>()
  for (const e of emails) byAlert.set(e.alertId, [...(byAlert.get(e.alertId) ?? []), e])
  return rows.map((a) => {
    const mine = byAlert.get(a.id) ?? []
    return { ...a, emails: mine, hasOriginal: mine.some((e) => e.originalSha256) }
  })
}

export type AlertWithEmails = Awaited<ReturnType<typeof loadAlertPage>>[number]

/**
 * A page of an incident's alerts for the incident page's "load more".
 * @throws AppError FORBIDDEN without incidents.read, NOT_FOUND when the incident is invisible.
 */
export const listIncidentAlerts = async (
  db: Db,
  actor: Actor,
  incidentId: number,
  page: { offset: number; limit: number },
) => {
  assertCan(actor, 'incidents.read')
  const [row] = await db
    .select({ isPrivate: incidents.isPrivate, teamId: incidents.teamId })
    .from(incidents)
    .where(eq(incidents.id, incidentId))
  if (!row || !canSee(actor, row)) throw new AppError('NOT_FOUND', 'incident not found')
  const [{ n } = { n: 0 }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(alerts)
    .where(eq(alerts.incidentId, incidentId))
  return { total: n, alerts: await loadAlertPage(db, incidentId, page.offset, Math.min(500, page.limit)) }
}
