import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { bigintArray } from '../../db/sql-arrays.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { compactIncidentCounts } from './compact-incident-counts.ts'
import { type IncidentFilter, incidentConditions } from './incident-conditions.ts'

export type StateCounts = Record<'new' | 'open' | 'assigned' | 'closed' | 'ignored', number> & Record<string, number>

export const emptyCounts = (): StateCounts => ({ new: 0, open: 0, assigned: 0, closed: 0, ignored: 0 })

/** Delta rows beyond which a read folds them first (the incidents.compact-counts job does it every five minutes). */
const FOLD_ABOVE = 2_000

/** Whether the filter narrows more than the state (the tabs count every state, so states do not matter). */
const isNarrowed = (f: IncidentFilter) =>
  Boolean(
    f.createdFrom ||
      f.createdTo ||
      f.closedFrom ||
      f.closedTo ||
      f.severities?.length ||
      f.sourceId ||
      f.teamId ||
      f.assigneeId ||
      f.abuseDisposition ||
      f.classification ||
      f.q?.trim(),
  )

/**
 * Visible incidents per state for the list's tabs, every filter applied except the state. Without
 * filters (the default view, polled every 20 s per open page) the counts come from
 * `incident_state_counts` (migration 0004: maintained by triggers per state and visibility scope),
 * summed over the scopes the actor may see: public incidents and the private ones of its own teams
 * only. With filters the incidents themselves are counted. @throws AppError FORBIDDEN without incidents.read.
 */
export const countIncidentsByState = async (db: Db, actor: Actor, f: IncidentFilter = {}): Promise<StateCounts> => {
  assertCan(actor, 'incidents.read')
  const counts = emptyCounts()
  if (isNarrowed(f)) {
    const rows = await db.execute<{ state: string; n: number }>(
      sql`SELECT i.state::text AS state, count(*)::int AS n FROM incidents i WHERE ${incidentConditions(actor, f, false)} GROUP BY 1`,
    )
    for (const r of rows) counts[r.state] = r.n
    return counts
  }
  const scopes = actor.kind === 'system' ? sql`true` : sql`scope = ANY(${bigintArray([0, ...actor.teamIds])})`
  const rows = await db.execute<{ state: string; n: string; deltas: number }>(
    sql`SELECT state::text AS state, sum(n)::text AS n, (SELECT count(*) FROM incident_state_counts)::int AS deltas
      FROM incident_state_counts WHERE ${scopes} GROUP BY 1`,
  )
  for (const r of rows) counts[r.state] = Number(r.n)
  if ((rows[0]?.deltas ?? 0) > FOLD_ABOVE) await compactIncidentCounts(db)
  return counts
}
