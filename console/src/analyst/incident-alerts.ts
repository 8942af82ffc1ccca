import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listIncidentAlerts } from '../../../core/src/domain/incidents/list-incident-alerts.ts'
import { idParam } from '../forms.ts'
import { ALERT_PAGE, alertSection } from '../views/incident-alerts.ts'

/** GET /incidents/:id/alerts?offset=N: the next page of alert cards (htmx "show more"). */
export const incidentAlerts = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const offset = Math.max(0, Math.min(1_000_000, Number(c.req.query('offset') ?? 0) || 0))
  const { total, alerts } = await listIncidentAlerts(c.var.deps.db, c.var.actor!, id, { offset, limit: ALERT_PAGE })
  c.header('Vary', 'HX-Request')
  return c.html(alertSection(id, alerts, total, offset))
}
