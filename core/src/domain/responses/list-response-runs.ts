import { asc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { incidents, responseRuns } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible, canRunResponse } from '../../policy/index.ts'
import { readResponsePermissions } from '../../settings/response-permissions.ts'
import { responseTypeOf } from './response-types.ts'

/**
 * Every response run of an incident (oldest first) with its state, outcome, whether it can be undone
 * and whether the caller may act on it (`canRun`: responses.run and a team allowed for its type). @throws NOT_FOUND
 */
export const listResponseRuns = async (db: DbOrTx, actor: Actor, incidentId: number) => {
  assertCan(actor, 'incidents.read')
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, incidentId))
  assertVisible(actor, incident, 'incident')
  const rows = await db
    .select()
    .from(responseRuns)
    .where(eq(responseRuns.incidentId, incidentId))
    .orderBy(asc(responseRuns.id))
  const { teamsByType } = await readResponsePermissions(db)
  return rows.map((r) => ({
    id: r.id,
    type: r.responseType,
    title: responseTypeOf(r.responseType)?.title ?? r.responseType,
    target: r.target,
    status: r.status,
    matchConditionId: r.matchConditionId,
    attempts: r.attempts,
    result: (r.result ?? null) as Record<string, unknown> | null,
    error: r.error,
    canUndo: (r.status === 'succeeded' || r.status === 'partial') && !!responseTypeOf(r.responseType)?.undo,
    canRun: canRunResponse(actor, teamsByType[r.responseType]),
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    undoneAt: r.undoneAt,
  }))
}
