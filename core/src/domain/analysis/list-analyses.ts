import { and, desc, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { enrichmentFindings, incidents } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'
import { ANALYSIS_KIND, type AnalysisFinding } from './analysis-types.ts'

/**
 * The verdicts of the message analysis on one incident, newest first (at most 20).
 * @throws AppError FORBIDDEN without incidents.read, NOT_FOUND for an incident the actor cannot see.
 */
export const listAnalyses = async (db: Db, actor: Actor, incidentId: number) => {
  assertCan(actor, 'incidents.read')
  const [i] = await db
    .select({ isPrivate: incidents.isPrivate, teamId: incidents.teamId })
    .from(incidents)
    .where(eq(incidents.id, incidentId))
  assertVisible(actor, i, 'incident')
  const rows = await db
    .select({ createdAt: enrichmentFindings.createdAt, data: enrichmentFindings.data })
    .from(enrichmentFindings)
    .where(and(eq(enrichmentFindings.incidentId, incidentId), eq(enrichmentFindings.kind, ANALYSIS_KIND)))
    .orderBy(desc(enrichmentFindings.id))
    .limit(20)
  return rows.map((r) => ({ createdAt: r.createdAt, ...(r.data as AnalysisFinding) }))
}
