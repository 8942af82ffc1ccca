import { asc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { incidents, responseRuns } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'
import { responseTypeOf } from './response-types.ts'

/** Every response run of an incident (oldest first) with its state, outcome and whether it can be undone. @throws NOT_FOUND */
export const listResponseRuns = async (db: DbOrTx, actor: Actor, incidentId: number) => {
  assertCan(actor, 'incidents.read')
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, incidentId))
  assertVisible(actor, incident, 'incident')
  const rows = await db
    .select()
    .from(responseRuns)
    .where(eq(responseRuns.incidentId, incidentId))
    .orderBy(asc(responseRuns.id))
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
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    undoneAt: r.undoneAt,
  }))
}
