import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { countIncidentsByState } from '../../../core/src/domain/incidents/count-incidents.ts'
import { parseListQuery, toFilter } from '../incident-query.ts'
import { incidentTabs } from './incident-list.ts'

/** GET /incidents/counts: the tabs fragment with fresh counts for the same filters (htmx polling). */
export const incidentCounts = async (c: Context<AppEnv>) => {
  const q = parseListQuery(
    (k) => c.req.query(k),
    (k) => c.req.queries(k) ?? [],
  )
  const counts = await countIncidentsByState(c.var.deps.db, c.var.actor!, toFilter(q, 1))
  c.header('Vary', 'HX-Request')
  c.header('Cache-Control', 'no-store')
  return c.html(incidentTabs(q, counts))
}
