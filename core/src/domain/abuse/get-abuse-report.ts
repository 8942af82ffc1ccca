import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { abuseReports, alerts, incidents } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'

/** Throws NOT_FOUND unless `id` is a stored report whose incident the actor may see; answers its blobs. */
export const getAbuseReport = async (db: Db, actor: Actor, id: number) => {
  assertCan(actor, 'alerts.read')
  const [row] = await db
    .select({ r: abuseReports, incidentId: alerts.incidentId })
    .from(abuseReports)
    .innerJoin(alerts, eq(alerts.id, abuseReports.alertId))
    .where(eq(abuseReports.id, id))
  if (!row) throw notFound('abuse report')
  if (row.incidentId) {
    const [i] = await db.select().from(incidents).where(eq(incidents.id, row.incidentId))
    assertVisible(actor, i, 'abuse report')
  }
  return row.r
}
